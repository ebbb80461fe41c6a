"""Retention (DESIGN §11): which rows are past their retention, each kind described once, and
the prune that deletes them (or, dry, counts them) in short paced batches (pacing.py), leaving
tombstones (tombstones.py) and giving the freed pages back.

A process killed in the middle leaves each article either fully there or fully gone with its
tombstone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.pacing import MAX_BATCH, VACUUM_PAGES, Pace, PruneReport, give_back
from monitor.store.records import iso
from monitor.store.sql import CHUNK, chunks, marks
from monitor.store.tombstones import tombstone_keys

# A tombstone whose feed has not been read since it was last listed (a feed unchanged, gone
# or no longer configured) goes after this, whatever its feed may still list.
TOMBSTONE_CAP = timedelta(days=365)
FULL_MERGE_SHARE = 0.2  # a prune removing this share of the articles merges the index fully


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
            _delete(db, cut, now, Pace(db, report, clock))
    report.bytes_after = report.bytes_before if dry_run else file_bytes(db)
    report.seconds = clock() - started
    return report


def _delete(db: Database, cut: Cutoffs, now: datetime, pace: Pace) -> None:
    report = pace.report
    total = int(db.query("SELECT COUNT(*) FROM articles")[0][0])
    with db.search.pausing_merges():
        _prune_articles(db, cut, iso(now) or "", pace)
        _drop_full_text(db, cut, pace)
        if report.rows.get("full_text"):
            db.search.after_text_dropped()
    for sweep in _SWEEPS:
        _sweep(sweep, cut, pace)
    gone = sum(report.rows.get(k, 0) for k in ("articles", "matched"))
    _compact(db, pace, full=gone >= FULL_MERGE_SHARE * total)


def file_bytes(db: Database) -> int:
    """The size of the database's pages (what a prune can give back)."""
    return db.page_bytes()


# articles ----------------------------------------------------------------------


def _doomed(row: Any, cut: Cutoffs) -> bool:
    """Whether an article (first_seen, matched) is past its kind's retention."""
    before = cut.matched if row["matched"] else cut.articles
    return before is not None and row["first_seen"] < iso(before)


def _scan_until(cut: Cutoffs) -> str | None:
    # One pass over first_seen up to the later cut-off decides both kinds.
    ends = [iso(c) or "" for c in (cut.articles, cut.matched) if c is not None]
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


def _prune_articles(db: Database, cut: Cutoffs, now: str, pace: Pace) -> None:
    for batch in _candidates(db, cut, lambda: pace.size):
        if batch:
            pace.run(partial(_delete_articles, batch=batch, cut=cut, now=now, report=pace.report))
            db.search.after_delete(pace, [r["rowid"] for r in batch])
            give_back(db, pace, keep=VACUUM_PAGES)


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
    for chunk in chunks(sorted(keys), 200):
        conn.execute(
            "INSERT INTO tombstones (key, feed, pruned_at, listed_at) VALUES "
            + ",".join(["(?, ?, ?, ?)"] * len(chunk))
            + " ON CONFLICT (key) DO NOTHING",
            [v for key in chunk for v in (key, keys[key], now, now)],
        )
    for kind, table in _WITH_ARTICLE:
        report.add(kind, _delete_in(conn, f"DELETE FROM {table} WHERE article_id IN ({{}})", ids))
    _delete_in(conn, "DELETE FROM articles WHERE id IN ({})", ids)
    matched = sum(1 for r in doomed if r["matched"])
    report.add("articles", len(doomed) - matched)
    report.add("matched", matched)
    report.add("tombstones", len(keys))
    return len(doomed)


def _drop_full_text(db: Database, cut: Cutoffs, pace: Pace) -> None:
    """Empty the page text of articles past full_text (the search index follows by trigger)."""
    if cut.full_text is None:
        return
    after = ("", 0)
    while True:
        rows = db.query(
            f"""SELECT rowid, first_seen FROM articles
                WHERE {_FULL_TEXT} AND (first_seen, rowid) > (?, ?)
                ORDER BY first_seen, rowid LIMIT ?""",
            (iso(cut.full_text), *after, pace.size),
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


# the rest, kind by kind --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sweep:
    """Rows of one table past their retention: ``where`` reads the table as ``t``, with the
    cut-offs ``cuts`` picks as its parameters (nothing goes while one is None). A prune
    deletes them by ``key`` in short batches; a dry run counts them. ``article``: the column
    naming their article, so that a dry run leaves out the rows that go with their article
    (counted by the articles' step)."""

    kind: str
    table: str
    key: str
    where: str
    cuts: Callable[[Cutoffs], tuple[datetime | None, ...]]
    article: str | None = None
    counted: bool = True

    def bounds(self, cut: Cutoffs) -> tuple[str, ...] | None:
        moments = self.cuts(cut)
        return None if None in moments else tuple(iso(m) or "" for m in moments)


_SWEEPS = (
    # the near-duplicate keys of kept articles once older than any feed's max_age (which
    # retention.articles is at least): a story is folded only with one seen within max_age
    _Sweep(
        "story_keys", "story_keys", "rowid", "t.first_seen < ?", lambda c: (c.articles,),
        article="t.article_id",
    ),
    _Sweep(
        "deliveries", "deliveries", "id", "t.status <> 'pending' AND t.created_at < ?",
        lambda c: (c.deliveries,),
    ),
    # a run no outbox row needs any more: a dry run deletes no outbox row, so it counts none
    _Sweep(
        "digest_runs", "digest_runs", "id",
        "t.created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.run_id = t.id)",
        lambda c: (c.deliveries,), counted=False,
    ),
    # tombstones past their grace whose feed was read since without listing them, and any
    # past the cap
    _Sweep(
        "tombstones_expired", "tombstones", "key",
        """t.listed_at < ? AND (t.listed_at < ? OR EXISTS (SELECT 1 FROM feed_readings r
           WHERE r.feed = t.feed AND r.read_at > t.listed_at))""",
        lambda c: (c.tombstones, c.tombstones_cap),
    ),
)  # fmt: skip
# Rows that go with their article, in the same transaction.
_WITH_ARTICLE = (
    ("sources", "article_sources"),
    ("story_keys", "story_keys"),
    ("matches", "matches"),
)
_FULL_TEXT = "first_seen < ? AND text <> ''"  # page text past retention.full_text
# An article ``a`` that a prune keeps, given (matched cut-off, unmatched cut-off), '' for none.
_KEPT = """a.first_seen >= CASE WHEN EXISTS (SELECT 1 FROM matches m WHERE m.article_id = a.id)
           THEN ? ELSE ? END"""


def _sweep(sweep: _Sweep, cut: Cutoffs, pace: Pace) -> None:
    bounds = sweep.bounds(cut)
    if bounds is None:
        return
    sql = f"""DELETE FROM {sweep.table} WHERE {sweep.key} IN (
              SELECT t.{sweep.key} FROM {sweep.table} t WHERE {sweep.where} LIMIT ?)"""
    while True:
        size = pace.size
        done = pace.run(lambda conn: int(conn.execute(sql, (*bounds, size)).rowcount))  # noqa: B023
        pace.report.add(sweep.kind, done)
        if done < size:
            break


def _count(db: Database, cut: Cutoffs, report: PruneReport) -> None:
    """A dry run: how many rows of each kind a prune would remove now."""
    conn = db.connection()
    for batch in _candidates(db, cut, lambda: MAX_BATCH):
        ids = [r["id"] for r in batch]
        matched = sum(1 for r in batch if r["matched"])
        report.add("articles", len(batch) - matched)
        report.add("matched", matched)
        for kind, table in _WITH_ARTICLE:
            sql = f"SELECT COUNT(*) FROM {table} WHERE article_id IN ({{}})"
            report.add(kind, sum(r[0] for r in _select_in(conn, sql, ids)))
        sql = """SELECT COALESCE(SUM(LENGTH(title) + LENGTH(summary) + LENGTH(text)), 0)
                 FROM articles WHERE id IN ({})"""
        report.text_bytes += sum(r[0] for r in _select_in(conn, sql, ids))
    # what goes of the articles that stay: their page text, their old near-duplicate keys
    kept = (iso(cut.matched) or "", iso(cut.articles) or "")
    if cut.full_text is not None:
        sql = f"SELECT COUNT(*) FROM articles a WHERE {_FULL_TEXT} AND {_KEPT}"
        report.add("full_text", int(db.query(sql, (iso(cut.full_text), *kept))[0][0]))
    for sweep in _SWEEPS:
        bounds = sweep.bounds(cut)
        if bounds is None or not sweep.counted:
            continue
        sql = f"SELECT COUNT(*) FROM {sweep.table} t WHERE {sweep.where}"
        if sweep.article:
            sql += (
                f" AND EXISTS (SELECT 1 FROM articles a WHERE a.id = {sweep.article} AND {_KEPT})"
            )
            bounds = (*bounds, *kept)
        report.add(sweep.kind, int(db.query(sql, bounds)[0][0]))


# giving space back -------------------------------------------------------------


def _compact(db: Database, pace: Pace, *, full: bool) -> None:
    """The search index's upkeep (``full``: after most of the archive went), then free pages
    handed back to the file system, each in short steps."""
    db.search.compact(pace, full=full)
    give_back(db, pace, keep=0)
    db.checkpoint_passive()  # what is left for the truncating checkpoint to copy under the lock
    db.checkpoint()


# helpers -------------------------------------------------------------------------


def _select_in(conn: Connection, sql: str, values: Sequence, *head: object) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks(list(values), CHUNK):
        out += conn.execute(sql.format(marks(chunk)), chunk).fetchall()
    return out


def _delete_in(conn: Connection, sql: str, values: Sequence, *head: object) -> int:
    """``sql`` (with ``{}`` for an IN list) over ``values`` in chunks; rows changed."""
    return sum(
        conn.execute(sql.format(marks(chunk)), (*head, *chunk)).rowcount
        for chunk in chunks(list(values), CHUNK)
    )
