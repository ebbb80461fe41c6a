"""SQLite's full-text search: FTS5 over partitions of the archive (search_index.py), queried in
FTS5's language (monitor.rules.fts_query), and its upkeep during a prune: merging the segments
a delete leaves, in short steps rather than at whichever COMMIT they fall due in."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, cast

from monitor.rules import Rule, fts_query
from monitor.store import search_index
from monitor.store.dialect import Connection

if TYPE_CHECKING:
    from monitor.store.interface import Backend, Pace

# Work per FTS5 merge step. A step ends only at a term's boundary, so it costs at least one
# term's doclist in one partition (search_index bounds their size); past that, about this
# many pages. In a prune of 890,000 of a million articles the longest step took 163 ms at 500
# pages and 64 ms at 100.
MERGE_PAGES = 100
AUTOMERGE = 4  # FTS5's default: merge once a level holds this many segments


class Fts5Search:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def create(self, conn: Connection) -> None:
        conn.execute(
            """CREATE TABLE fts_state (
                   id INTEGER PRIMARY KEY CHECK (id = 1), indexed_rowid INTEGER NOT NULL)"""
        )
        conn.execute("INSERT INTO fts_state (id, indexed_rowid) VALUES (1, 0)")
        search_index.create_schema(conn)  # type: ignore[arg-type]

    def query_for(self, rule: Rule) -> str | None:
        return fts_query(rule)

    def index_new(self) -> int:
        """Add every article stored since the last call to the index, a partition's worth
        per transaction (a single FTS segment flush each); returns how many were indexed."""
        added = 0
        while True:
            with self.backend.write() as conn:
                done = search_index.index_new(conn)
            added += done
            if done < search_index.PART_ROWS:
                return added

    def ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        # Every article first seen since `since` has a rowid at least the smallest of theirs
        # (read off the first_seen index): bounding the index's rowids by it keeps FTS5 and the
        # join from visiting every archived article a common term is in, and leaves out the
        # partitions wholly before it. `+rowid`: a bare MIN(rowid) walks the table in rowid
        # order until one row qualifies.
        conn = self.backend.connection()
        first = conn.execute(
            "SELECT MIN(+rowid) FROM articles WHERE first_seen >= ?", (since or "",)
        ).fetchone()[0]
        if first is None:
            return []
        # one snapshot: the partitions as listed are the ones searched
        own = not cast(sqlite3.Connection, conn).in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            found = search_index.search_sql(conn, first)
            if found is None:
                return []
            sql = f"""SELECT a.id FROM ({found}) f JOIN articles a ON a.rowid = f.rowid
                      WHERE a.first_seen >= ?2 ORDER BY a.first_seen DESC"""
            if limit:
                sql += f" LIMIT {int(limit)}"
            return [r[0] for r in conn.execute(sql, (query, since or ""))]
        finally:
            if own:
                conn.execute("COMMIT")

    @contextmanager
    def pausing_merges(self) -> Iterator[None]:
        # The index merges its segments at whichever COMMIT they fall due in (measured: a 30
        # ms batch became 130 ms); while a prune deletes, it does that work in steps instead.
        with self.backend.write() as conn:
            search_index.set_automerge(conn, 0)
        try:
            yield
        finally:
            with self.backend.write() as conn:
                search_index.set_automerge(conn, AUTOMERGE)

    def after_delete(self, pace: Pace, rowids: Iterable[int]) -> None:
        """Each batch adds a segment of deletions to the partitions it touched: merged as they
        come, in bounded steps of their own, rather than all at once at a later COMMIT."""
        for part in search_index.holding(self.backend.connection(), rowids):
            pace.run(partial(search_index.merge_step, part=part, pages=MERGE_PAGES), adapt=False)

    def after_text_dropped(self) -> None:
        pass  # the partitions' triggers followed every change

    def compact(self, pace: Pace, *, full: bool) -> None:
        """Merge the segments (a deleted row's terms stay in them until a merge), fold drained
        partitions together, each in short steps. ``full`` merges each partition down to one
        segment (after most of it went); otherwise only as SQLite would anyway."""
        self._fold(pace)
        pages = -MERGE_PAGES if full else MERGE_PAGES
        for part in search_index.parts(self.backend.connection()):
            for _ in range(100_000):
                step = partial(search_index.merge_step, part=part, pages=pages)
                if pace.run(step, adapt=False) < 2:
                    break  # SQLite's documented sign that a merge had nothing left to do

    def _fold(self, pace: Pace) -> None:
        """Drained neighbouring partitions become one, so their number stays bounded: the new
        one is filled in steps beside them, then takes their place; they are emptied in steps
        and dropped (a fold left half-way by a stop is taken up by the next prune)."""
        while True:
            started = pace.clock()
            with self.backend.write() as conn:
                part = search_index.begin_fold(conn)
            pace.timed(started)
            if part is None:
                break
            while pace.run(partial(search_index.fold_step, part=part, limit=pace.size)):
                pass
        for part in search_index.parts(self.backend.connection(), "retired"):
            while pace.run(partial(search_index.drop_step, part=part, limit=pace.size)):
                pass
