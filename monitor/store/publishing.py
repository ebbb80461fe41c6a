"""A feed's publishing history as adaptive polling reads it (DESIGN §17): when its recent items
appeared, and whether the store knew the feed before that window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Database
from monitor.store.store import from_iso, iso

MAX_ITEMS = 500  # a window's rate is read from its newest items at most


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentItems:
    """(published, first seen) of the feed's items first seen since the window's start, newest
    first; ``older``: the feed had delivered items before it."""

    items: tuple[tuple[datetime | None, datetime], ...]
    older: bool


def recent_items(db: Database, feed: str, since: datetime) -> RecentItems:
    """The items ``feed`` delivered since ``since`` (its own source rows: an article it carried
    after another feed counts for both), in two short reads."""
    stamp = iso(since)
    rows = db.query(
        """SELECT a.published, s.first_seen FROM article_sources s
           JOIN articles a ON a.id = s.article_id
           WHERE s.feed = ? AND s.first_seen >= ? ORDER BY s.first_seen DESC LIMIT ?""",
        (feed, stamp, MAX_ITEMS),
    )
    older = bool(
        db.query(
            "SELECT 1 FROM article_sources WHERE feed = ? AND first_seen < ? LIMIT 1",
            (feed, stamp),
        )
    )
    items = []
    for published, seen in rows:
        first_seen = from_iso(seen)
        if first_seen is not None:
            items.append((from_iso(published), first_seen))
    return RecentItems(items=tuple(items), older=older)
