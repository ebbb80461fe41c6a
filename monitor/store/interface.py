"""The small interface both backends offer the store (DESIGN §15); backend.py opens the one
a setting names.

A backend owns its connections and transactions, the few statements that truly differ (column
types, the column keeping the store order, claiming rows, the triggers counting sources,
renaming an index), its full-text search and its space upkeep. Everything else (every table,
every statement of the store's modules, the migration history) is shared."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from monitor.store.dialect import Connection

if TYPE_CHECKING:
    from monitor.rules import Rule


class Pace(Protocol):
    """A prune's pacing of its short write transactions (pacing.Pace)."""

    size: int
    clock: Callable[[], float]

    def run(self, work: Callable[[Any], int], *, adapt: bool = True) -> int: ...

    def timed(self, started: float) -> float: ...


class Search(Protocol):
    """The archive's full-text index: the prefilter of archive search and backtests, whose
    answers the matcher then judges (so that both backends' answers are equal)."""

    def create(self, conn: Connection) -> None:
        """Its tables, columns and triggers in a new database."""

    def query_for(self, rule: Rule) -> str | None:
        """The rule in the index's query language, finding at least its matches; None when
        no such query is safe and every article of the period is read."""

    def index_new(self) -> int:
        """Index every article stored or changed since the last call; returns how many."""

    def ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        """Ids of articles first seen since ``since`` that ``query`` finds, newest first."""

    def pausing_merges(self) -> AbstractContextManager[None]:
        """While a prune deletes: no index upkeep inside its COMMITs."""

    def after_delete(self, pace: Pace, rowids: Iterable[int]) -> None:
        """After a prune's batch deleted these articles."""

    def after_text_dropped(self) -> None:
        """After a prune emptied articles' page text."""

    def compact(self, pace: Pace, *, full: bool) -> None:
        """After a prune: the index's own upkeep, in short steps."""


class Backend(Protocol):
    path: str
    types: Mapping[str, str]  # schema.TYPES -> this engine's column types
    ordered_key: str  # the column keeping the store order, "" where the engine has a rowid
    skip_locked: str  # appended to a SELECT that claims rows
    feed_count_triggers: Sequence[str]

    @property
    def search(self) -> Search: ...

    def connection(self) -> Connection: ...

    def write(self, lock: str | None = None) -> AbstractContextManager[Connection]: ...

    def bulk(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...

    def migrating(self) -> AbstractContextManager[Connection]:
        """The transaction migrations run in (held by one process at a time)."""

    def index_names(self, conn: Connection) -> set[str]: ...

    def columns(self, conn: Connection, table: str) -> list[str]: ...

    def rename_index(self, conn: Connection, old: str, new: str) -> None: ...

    # space upkeep: what the files take, and giving freed pages back where the engine does
    # not do it by itself
    def page_bytes(self) -> int: ...

    def disk_bytes(self) -> int: ...

    def free_pages(self) -> int: ...

    def page_size(self) -> int: ...

    def incremental_vacuum(self, pages: int) -> None: ...

    def checkpoint_passive(self) -> None: ...

    def checkpoints_by_hand(self) -> AbstractContextManager[None]: ...

    def checkpoint(self) -> None: ...
