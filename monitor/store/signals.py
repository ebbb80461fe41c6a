"""Source signals: what the health notices and spike alerts decide from (a feed's failures and
the times of its new items; a rule's match counts per window) and what they remember (the
state each feed was last notified of; the spikes stored for their digest run)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.records import from_iso, iso


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedFailures:
    """A feed's row as the health notices read it."""

    url: str
    failures: int
    failing_since: datetime | None
    last_polled_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewItem:
    """One article a feed delivered: when it was first seen through that feed, and published."""

    feed: str
    first_seen: datetime
    published: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Spike:
    """A spike to store: ``count`` matches of ``rule`` in ``window`` against ``usual``."""

    id: str
    rule: str
    digest: str
    window_start: datetime
    detected_at: datetime
    window: str
    count: int
    usual: float
    article_ids: Sequence[str]


def feed_failures(db: Database) -> dict[str, FeedFailures]:
    return {
        r["url"]: FeedFailures(
            url=r["url"],
            failures=int(r["consecutive_failures"] or 0),
            failing_since=from_iso(r["failing_since"]),
            last_polled_at=from_iso(r["last_polled_at"]),
            error=r["last_error"],
        )
        for r in db.query(
            """SELECT url, consecutive_failures, failing_since, last_polled_at, last_error
               FROM feeds"""
        )
    }


def new_items_since(db: Database, since: datetime) -> list[NewItem]:
    """Every (feed, article) first seen through that feed after ``since``."""
    items = []
    for feed, seen, published in db.query(
        """SELECT s.feed, s.first_seen, a.published FROM article_sources s
           JOIN articles a ON a.id = s.article_id WHERE s.first_seen > ?""",
        (iso(since),),
    ):
        first_seen = from_iso(seen)
        if first_seen is not None:
            items.append(NewItem(feed=feed, first_seen=first_seen, published=from_iso(published)))
    return items


def notified_states(conn: Connection) -> dict[str, str]:
    """The health state each feed was last notified of (feeds never notified: absent)."""
    return {r[0]: r[1] for r in conn.execute("SELECT url, notified FROM source_health")}


def set_notified(conn: Connection, states: Mapping[str, str], now: datetime) -> None:
    for url, state in states.items():
        conn.execute(
            """INSERT INTO source_health (url, notified, changed_at) VALUES (?, ?, ?)
               ON CONFLICT (url) DO UPDATE SET notified = excluded.notified,
               changed_at = excluded.changed_at""",
            (url, state, iso(now)),
        )


def last_spike(conn: Connection, rule: str) -> datetime | None:
    row = conn.execute("SELECT MAX(detected_at) FROM spikes WHERE rule = ?", (rule,)).fetchone()
    return from_iso(row[0])


def match_count(conn: Connection, rule: str, after: datetime, until: datetime) -> int:
    """Matches of ``rule`` in (after, until]."""
    row = conn.execute(
        "SELECT COUNT(*) FROM matches WHERE rule = ? AND matched_at > ? AND matched_at <= ?",
        (rule, iso(after), iso(until)),
    ).fetchone()
    return int(row[0])


def top_matches(
    conn: Connection, rule: str, after: datetime, until: datetime, limit: int
) -> list[str]:
    """Article ids of ``rule``'s matches in (after, until], most hits first, newest first."""
    return [
        row[0]
        for row in conn.execute(
            """SELECT article_id FROM matches WHERE rule = ? AND matched_at > ? AND matched_at <= ?
               ORDER BY hit_count DESC, matched_at DESC LIMIT ?""",
            (rule, iso(after), iso(until), limit),
        )
    ]


def save_spike(conn: Connection, spike: Spike) -> None:
    conn.execute(
        """INSERT INTO spikes (id, rule, digest, window_start, detected_at, "window", count,
                               usual, article_ids)
           VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING""",
        (
            spike.id,
            spike.rule,
            spike.digest,
            iso(spike.window_start),
            iso(spike.detected_at),
            spike.window,
            spike.count,
            spike.usual,
            json.dumps(list(spike.article_ids)),
        ),
    )
