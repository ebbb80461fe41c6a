"""Pacing a prune: each write a short transaction sized to take about BATCH_MS (polls and
sends queue behind one batch at most), the WAL checkpointed between them, freed pages given
back to the file system in short steps; and what a prune reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.store.db import Database
from monitor.store.dialect import Connection

BATCH_MS = 30.0  # aimed-for length of one write transaction (polls wait behind it)
FIRST_BATCH = 20  # articles in the first batch, before the pace (and a warm cache) is known
MAX_BATCH = 2_000
VACUUM_PAGES = 500  # pages handed back per incremental_vacuum step (~25 ms)
# Writes between two checkpoints of our own, outside the write lock (Database.
# checkpoints_by_hand): each syncs the file, so not after every few (measured over 600 batches
# of a million-article archive: one every 5 writes spent 12.8 s checkpointing, where the
# checkpoints inside COMMITs had added about 6 s).
CHECKPOINT_EVERY = 25


@dataclass(slots=True, kw_only=True)
class PruneReport:
    """What a prune removed (or, dry, would remove), per kind of row."""

    dry_run: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    bytes_before: int = 0
    bytes_after: int = 0
    text_bytes: int = 0  # dry run: article text that would go (the file shrinks by about this)
    batches: int = 0
    longest_batch_ms: float = 0.0
    seconds: float = 0.0

    def add(self, kind: str, count: int) -> None:
        self.rows[kind] = self.rows.get(kind, 0) + count

    @property
    def bytes_given_back(self) -> int:
        return max(0, self.bytes_before - self.bytes_after)


class Pace:
    """Times each write batch, sizes the next to take about BATCH_MS, and checkpoints the
    WAL every CHECKPOINT_EVERY writes, between them."""

    def __init__(self, db: Database, report: PruneReport, clock: Callable[[], float]) -> None:
        self.db = db
        self.report = report
        self.clock = clock
        self.size = FIRST_BATCH

    def run(self, work: Callable[[Connection], int], *, adapt: bool = True) -> int:
        """``work`` in one write transaction; returns what it returned (rows done)."""
        started = self.clock()
        with self.db.write() as conn:
            done = work(conn)
        elapsed_ms = self.timed(started)
        if done and adapt:
            # towards the aimed-for length, at most doubling: a transaction's cost is not
            # linear in its rows (an FTS merge may fall due at any COMMIT)
            wanted = done * BATCH_MS / max(elapsed_ms, 1e-3)
            self.size = int(min(MAX_BATCH, 2 * self.size, max(10, wanted)))
        return done

    def timed(self, started: float) -> float:
        """Counts a write that began at ``started``; returns how long it took, in ms."""
        elapsed_ms = (self.clock() - started) * 1000
        self.report.batches += 1
        self.report.longest_batch_ms = max(self.report.longest_batch_ms, elapsed_ms)
        if self.report.batches % CHECKPOINT_EVERY == 0:
            self.db.checkpoint_passive()
        return elapsed_ms


def give_back(db: Database, pace: Pace, *, keep: int) -> None:
    """Hand free pages to the file system in short steps until at most ``keep`` are left.
    Each page given back is looked up in the free list, so a step costs in proportion to the
    list's length: while deleting, the pages each batch frees are given back as they come
    (measured: 500-page steps took 139 ms on average after deleting 890,000 of a million
    articles, 527,000 pages listed; at 200,000 articles, 25-90 ms with 100,000 listed and
    3-4 ms once the list was short)."""
    while db.free_pages() > keep:
        started = pace.clock()
        db.incremental_vacuum(VACUUM_PAGES)
        pace.timed(started)
