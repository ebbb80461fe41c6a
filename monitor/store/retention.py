"""Retention (DESIGN §11): pruning old rows in short batches, tombstones of pruned articles,
and giving the freed pages back to the file system.

Every write here is a short transaction of its own (a batch is sized to take about
``BATCH_MS``), so polls and sends queue behind one batch at most, and a process killed in the
middle leaves each article either fully there or fully gone with its tombstone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from monitor.store.db import Database
from monitor.store.dialect import Connection

BATCH_MS = 30.0  # aimed-for length of one write transaction (polls wait behind it)
FIRST_BATCH = 20  # articles in the first batch, before the pace (and a warm cache) is known
MAX_BATCH = 2_000
VACUUM_PAGES = 500  # pages handed back per incremental_vacuum step (~25 ms)
# A tombstone whose feed has not been read since it was last listed (a feed unchanged, gone
# or no longer configured) goes after this, whatever its feed may still list.
TOMBSTONE_CAP = timedelta(days=365)
# Writes between two checkpoints of our own, outside the write lock (Database.
# checkpoints_by_hand): each syncs the file, so not after every few (measured over 600 batches
# of a million-article archive: one every 5 writes spent 12.8 s checkpointing, where the
# checkpoints inside COMMITs had added about 6 s).
CHECKPOINT_EVERY = 25
FULL_MERGE_SHARE = 0.2  # a prune removing this share of the articles merges the index fully
_MARKS_MAX = 500  # bound parameters per IN (...) list


@dataclass(frozen=True, slots=True, kw_only=True)
class Cutoffs:
    """Rows older than these go; None keeps that kind for good."""

    articles: datetime | None  # unmatched articles first seen before this
    matched: datetime | None  # matched articles first seen before this
    full_text: datetime | None  # page text of articles first seen before this
    deliveries: datetime | None  # sent or abandoned outbox rows created before this
    tombstones: datetime | None  # tombstones not listed since, by a feed read since then
    tombstones_cap: datetime | None = None  # tombstones not listed since, whatever the feed


def cutoffs(
    now: datetime,
    *,
    articles: timedelta | None,
    matched: timedelta | None,
    full_text: timedelta | None,
    deliveries: timedelta | None,
) -> Cutoffs:
    """The cut-off times of a retention policy at ``now``. A tombstone is kept while its feed
    still lists the item (the feed's last reading listed it), then for as long as an
    article is kept, in case the feed lists it again."""
    horizon = articles or matched
    return Cutoffs(
        articles=now - articles if articles else None,
        matched=now - matched if matched else None,
        full_text=now - full_text if full_text else None,
        deliveries=now - deliveries if deliveries else None,
        tombstones=now - horizon if horizon else None,
        tombstones_cap=now - max(horizon, TOMBSTONE_CAP) if horizon else None,
    )


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


def tombstone_keys(feed: str, guids: Iterable[str]) -> dict[str, str]:
    """The compact tombstone key of each (feed, guid): 16 bytes of hash, as 32 hex chars
    (article ids are 20, so the two kinds never collide)."""
    return {
        guid: hashlib.blake2b(f"{feed}\n{guid}".encode(), digest_size=16).hexdigest()
        for guid in guids
    }


def tombstoned(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` (article ids or tombstone_keys) belong to pruned articles."""
    found: set[str] = set()
    for chunk in _chunks(list(keys)):
        found |= {
            r[0]
            for r in conn.execute(
                f"SELECT key FROM tombstones WHERE key IN ({_marks(chunk)})", chunk
            )
        }
    return found


def mark_listed(conn: Connection, feed: str, keys: Sequence[str], now: str) -> None:
    """``feed`` was just read, listing the pruned items whose tombstone ``keys`` it hit: those
    stay while it lists them; the others of this feed may go (once past their grace)."""
    conn.execute(
        """INSERT INTO feed_readings (feed, read_at) VALUES (?, ?)
           ON CONFLICT (feed) DO UPDATE SET read_at = excluded.read_at""",
        (feed, now),
    )
    for chunk in _chunks(list(keys)):
        conn.execute(
            f"UPDATE tombstones SET listed_at = ?, feed = ? WHERE key IN ({_marks(chunk)})",
            (now, feed, *chunk),
        )


def prune(
    db: Database,
    cut: Cutoffs,
    now: datetime,
    *,
    dry_run: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> PruneReport:
    """Delete what the cut-offs say in short transactions, then hand the space back."""
    report = PruneReport(dry_run=dry_run, bytes_before=file_bytes(db))
    started = clock()
    if dry_run:
        _count(db, cut, report)
    else:
        with db.checkpoints_by_hand():
            _delete(db, cut, now, _Pace(db, report, clock))
    report.bytes_after = report.bytes_before if dry_run else file_bytes(db)
    report.seconds = clock() - started
    return report


def _delete(db: Database, cut: Cutoffs, now: datetime, pace: _Pace) -> None:
    report = pace.report
    total = int(db.query("SELECT COUNT(*) FROM articles")[0][0])
    with db.search.pausing_merges():
        _prune_articles(db, cut, _iso(now), pace)
        _drop_full_text(db, cut, pace)
        if report.rows.get("full_text"):
            db.search.after_text_dropped()
    _prune_small(db, cut, pace)
    _expire_tombstones(db, cut, pace)
    gone = sum(report.rows.get(k, 0) for k in ("articles", "matched"))
    _compact(db, pace, full=gone >= FULL_MERGE_SHARE * total)


def file_bytes(db: Database) -> int:
    """The size of the database's pages (what a prune can give back)."""
    return db.page_bytes()


class _Pace:
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


# articles ----------------------------------------------------------------------


def _doomed(row: Any, cut: Cutoffs) -> bool:
    """Whether an article (first_seen, matched) is past its kind's retention."""
    before = cut.matched if row["matched"] else cut.articles
    return before is not None and row["first_seen"] < _iso(before)


def _scan_until(cut: Cutoffs) -> str | None:
    # One pass over first_seen up to the later cut-off decides both kinds.
    ends = [_iso(c) for c in (cut.articles, cut.matched) if c is not None]
    return max(ends) if ends else None


def _candidates(db: Database, cut: Cutoffs, size: Callable[[], int]) -> Iterable[list[Any]]:
    """Batches of articles past their retention, oldest first (read outside the write lock;
    a keyset cursor, so kept rows are read once, not once per batch)."""
    until = _scan_until(cut)
    if until is None:
        return
    after = ("", 0)
    while True:
        rows = db.query(
            """SELECT rowid, id, first_seen,
                      EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id) AS matched
               FROM articles a WHERE first_seen < ? AND (first_seen, rowid) > (?, ?)
               ORDER BY first_seen, rowid LIMIT ?""",
            (until, *after, size()),
        )
        if not rows:
            return
        after = (rows[-1]["first_seen"], rows[-1]["rowid"])
        yield [r for r in rows if _doomed(r, cut)]


def _prune_articles(db: Database, cut: Cutoffs, now: str, pace: _Pace) -> None:
    for batch in _candidates(db, cut, lambda: pace.size):
        if batch:
            pace.run(partial(_delete_articles, batch=batch, cut=cut, now=now, report=pace.report))
            db.search.after_delete(pace, [r["rowid"] for r in batch])
            _give_back(db, pace, keep=VACUUM_PAGES)


def _delete_articles(
    conn: Connection,
    *,
    batch: list[Any],
    cut: Cutoffs,
    now: str,
    report: PruneReport,
) -> int:
    """One transaction: tombstones for the batch's identities, then its sources, story keys,
    matches, articles and (by trigger) search-index rows. An article matched since it was
    read is kept unless matched articles are past their retention too."""
    ids = [r["id"] for r in batch]
    rows = _select_in(
        conn,
        """SELECT id, feed, guid, first_seen,
                  EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id) AS matched
           FROM articles a WHERE id IN ({})""",
        ids,
    )
    doomed = [r for r in rows if _doomed(r, cut)]
    if not doomed:
        return 0
    ids = [r["id"] for r in doomed]
    keys = {r["id"]: r["feed"] for r in doomed}  # tombstone key -> the feed that listed it
    sources = _select_in(
        conn, "SELECT feed, guid FROM article_sources WHERE article_id IN ({})", ids
    )
    for source in [*doomed, *sources]:
        if source["guid"]:
            keys.update(
                dict.fromkeys(
                    tombstone_keys(source["feed"], [source["guid"]]).values(), source["feed"]
                )
            )
    for chunk in _chunks(sorted(keys), 200):
        conn.execute(
            "INSERT INTO tombstones (key, feed, pruned_at, listed_at) VALUES "
            + ",".join(["(?, ?, ?, ?)"] * len(chunk))
            + " ON CONFLICT (key) DO NOTHING",
            [v for key in chunk for v in (key, keys[key], now, now)],
        )
    report.add(
        "sources", _delete_in(conn, "DELETE FROM article_sources WHERE article_id IN ({})", ids)
    )
    report.add(
        "story_keys", _delete_in(conn, "DELETE FROM story_keys WHERE article_id IN ({})", ids)
    )
    report.add("matches", _delete_in(conn, "DELETE FROM matches WHERE article_id IN ({})", ids))
    _delete_in(conn, "DELETE FROM articles WHERE id IN ({})", ids)
    matched = sum(1 for r in doomed if r["matched"])
    report.add("articles", len(doomed) - matched)
    report.add("matched", matched)
    report.add("tombstones", len(keys))
    return len(doomed)


def _drop_full_text(db: Database, cut: Cutoffs, pace: _Pace) -> None:
    """Empty the page text of articles past full_text (the search index follows by trigger)."""
    if cut.full_text is None:
        return
    after = ("", 0)
    while True:
        rows = db.query(
            """SELECT rowid, first_seen FROM articles
               WHERE first_seen < ? AND (first_seen, rowid) > (?, ?) AND text <> ''
               ORDER BY first_seen, rowid LIMIT ?""",
            (_iso(cut.full_text), *after, pace.size),
        )
        if not rows:
            return
        after = (rows[-1]["first_seen"], rows[-1]["rowid"])
        rowids = [r["rowid"] for r in rows]
        pace.report.add(
            "full_text",
            pace.run(
                partial(
                    _delete_in,
                    sql="UPDATE articles SET text = '' WHERE text <> '' AND rowid IN ({})",
                    values=rowids,
                ),
            ),
        )


# outbox and tombstones -------------------------------------------------------


def _prune_small(db: Database, cut: Cutoffs, pace: _Pace) -> None:
    """Outbox rows, the digest runs none of them needs any more, and the near-duplicate keys
    of kept articles once they are older than any feed's max_age (which retention.articles is
    at least): a story is folded only with one seen within max_age."""
    steps: list[tuple[str, str, datetime | None]] = [
        (
            "story_keys",
            """DELETE FROM story_keys WHERE rowid IN (SELECT rowid FROM story_keys
               WHERE first_seen < ? LIMIT ?)""",
            cut.articles,
        ),
        (
            "deliveries",
            """DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
               WHERE status <> 'pending' AND created_at < ? LIMIT ?)""",
            cut.deliveries,
        ),
        (
            "digest_runs",
            """DELETE FROM digest_runs WHERE id IN (SELECT id FROM digest_runs r
               WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = r.id)
               LIMIT ?)""",
            cut.deliveries,
        ),
    ]
    for kind, sql, before in steps:
        if before is None:
            continue
        while True:
            size = pace.size
            done = pace.run(partial(_delete_older, sql=sql, before=before, limit=size))
            pace.report.add(kind, done)
            if done < size:
                break


def _expire_tombstones(db: Database, cut: Cutoffs, pace: _Pace) -> None:
    """Tombstones past their grace whose feed was read since without listing them, and any
    past the cap."""
    if cut.tombstones is None or cut.tombstones_cap is None:
        return
    params = (_iso(cut.tombstones), _iso(cut.tombstones_cap))
    while True:
        size = pace.size
        done = pace.run(partial(_expire_step, params=params, limit=size))
        pace.report.add("tombstones_expired", done)
        if done < size:
            break


def _expire_step(conn: Connection, *, params: tuple[str, str], limit: int) -> int:
    sql = f"DELETE FROM tombstones WHERE key IN ({_EXPIRED} LIMIT ?)"
    return int(conn.execute(sql, (*params, limit)).rowcount)


_EXPIRED = """SELECT t.key FROM tombstones t LEFT JOIN feed_readings r ON r.feed = t.feed
              WHERE t.listed_at < ? AND (r.read_at > t.listed_at OR t.listed_at < ?)"""


def _delete_older(conn: Connection, *, sql: str, before: datetime, limit: int) -> int:
    return int(conn.execute(sql, (_iso(before), limit)).rowcount)


def _count(db: Database, cut: Cutoffs, report: PruneReport) -> None:
    """A dry run: how many rows of each kind a prune would remove now."""
    for batch in _candidates(db, cut, lambda: MAX_BATCH):
        ids = [r["id"] for r in batch]
        matched = sum(1 for r in batch if r["matched"])
        report.add("articles", len(batch) - matched)
        report.add("matched", matched)
        conn = db.connection()
        for kind, sql in (
            ("sources", "SELECT COUNT(*) FROM article_sources WHERE article_id IN ({})"),
            ("matches", "SELECT COUNT(*) FROM matches WHERE article_id IN ({})"),
            ("story_keys", "SELECT COUNT(*) FROM story_keys WHERE article_id IN ({})"),
            (
                "text_bytes",
                "SELECT COALESCE(SUM(LENGTH(title) + LENGTH(summary) + LENGTH(text)), 0) FROM articles WHERE id IN ({})",
            ),
        ):
            count = sum(r[0] for r in _select_in(conn, sql, ids))
            if kind == "text_bytes":
                report.text_bytes += count
            else:
                report.add(kind, count)
    # what goes of the articles that stay: their page text, their old near-duplicate keys
    kept = (_iso(cut.matched) if cut.matched else "", _iso(cut.articles) if cut.articles else "")
    queries: list[tuple[str, str, datetime | None, tuple[str, ...]]] = [
        (
            "full_text",
            f"SELECT COUNT(*) FROM articles a WHERE first_seen < ? AND text <> '' AND {_KEPT}",
            cut.full_text,
            kept,
        ),
        (
            "story_keys",
            f"""SELECT COUNT(*) FROM story_keys s JOIN articles a ON a.id = s.article_id
                WHERE s.first_seen < ? AND {_KEPT}""",
            cut.articles,
            kept,
        ),
        (
            "deliveries",
            "SELECT COUNT(*) FROM deliveries WHERE status <> 'pending' AND created_at < ?",
            cut.deliveries,
            (),
        ),
    ]
    for kind, sql, before, params in queries:
        if before is not None:
            report.add(kind, int(db.query(sql, (_iso(before), *params))[0][0]))
    if cut.tombstones is not None and cut.tombstones_cap is not None:
        expired = f"SELECT COUNT(*) FROM ({_EXPIRED}) AS e"
        bounds = (_iso(cut.tombstones), _iso(cut.tombstones_cap))
        report.add("tombstones_expired", int(db.query(expired, bounds)[0][0]))


# An article ``a`` that a prune keeps, given (matched cut-off, unmatched cut-off), '' for none.
_KEPT = """a.first_seen >= CASE WHEN EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id)
           THEN ? ELSE ? END"""


# giving space back -------------------------------------------------------------


def _compact(db: Database, pace: _Pace, *, full: bool) -> None:
    """The search index's upkeep (``full``: after most of the archive went), then free pages
    handed back to the file system, each in short steps."""
    db.search.compact(pace, full=full)
    _give_back(db, pace, keep=0)
    db.checkpoint_passive()  # what is left for the truncating checkpoint to copy under the lock
    db.checkpoint()


def _give_back(db: Database, pace: _Pace, *, keep: int) -> None:
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


# helpers -------------------------------------------------------------------------


def _select_in(conn: Connection, sql: str, values: Sequence, *head: object) -> list[Any]:
    out: list[Any] = []
    for chunk in _chunks(list(values)):
        out += conn.execute(sql.format(_marks(chunk)), chunk).fetchall()
    return out


def _delete_in(conn: Connection, sql: str, values: Sequence, *head: object) -> int:
    """``sql`` (with ``{}`` for an IN list) over ``values`` in chunks; rows changed."""
    return sum(
        conn.execute(sql.format(_marks(chunk)), (*head, *chunk)).rowcount
        for chunk in _chunks(list(values))
    )


def _marks(chunk: Sequence) -> str:
    return ",".join("?" * len(chunk))


def _chunks(items: list, size: int = _MARKS_MAX) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")  # as the store writes times
