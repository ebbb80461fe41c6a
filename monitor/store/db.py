"""The database the store works on: one object over a backend (sqlite.py or postgres.py,
chosen by the setting in backend.open_database), with the migrations applied on opening.
Its methods are the backend's, named once for every caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from monitor.store import migrations
from monitor.store.dialect import Connection
from monitor.store.interface import Backend, Search


class Database:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.path = backend.path
        self.migrate()

    @property
    def search(self) -> Search:
        return self.backend.search

    @property
    def skip_locked(self) -> str:
        return self.backend.skip_locked

    def connection(self) -> Connection:
        """This thread's connection, for reads."""
        return self.backend.connection()

    def query(self, sql: str, params: tuple | dict = ()) -> list[Any]:
        return self.connection().execute(sql, params).fetchall()

    def write(self, lock: str | None = None) -> Any:
        """One write transaction. ``lock`` names a critical section that must not run in two
        processes at once (a read-then-write like folding a story)."""
        return self.backend.write(lock)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """One transaction around every write() this thread makes inside it: filling a
        database in bulk (the scale bench) commits once rather than once per batch. Every
        other writer waits for the whole of it: never around the service's work."""
        with self.backend.bulk():
            yield

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns the names applied."""
        with self.backend.migrating() as conn:
            return migrations.migrate(conn, self.backend)

    def close(self) -> None:
        self.backend.close()

    # search ----------------------------------------------------------------------------

    def index_search(self) -> int:
        return self.backend.search.index_new()

    def search_ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        return self.backend.search.ids(query, since, limit)

    # space -------------------------------------------------------------------------------

    def page_bytes(self) -> int:
        """The size of the database's pages (what a prune can give back)."""
        return self.backend.page_bytes()

    def disk_bytes(self) -> int:
        """The files as on disk."""
        return self.backend.disk_bytes()

    def free_pages(self) -> int:
        """Pages the file holds that no table uses (0 where the engine reuses them itself)."""
        return self.backend.free_pages()

    def free_bytes(self) -> int:
        return self.free_pages() * self.backend.page_size()

    def incremental_vacuum(self, pages: int) -> None:
        self.backend.incremental_vacuum(pages)

    def checkpoint_passive(self) -> None:
        self.backend.checkpoint_passive()

    def checkpoints_by_hand(self) -> Any:
        return self.backend.checkpoints_by_hand()

    def checkpoint(self) -> None:
        self.backend.checkpoint()
