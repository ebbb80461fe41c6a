"""Time to alert, first half (DESIGN §17): how long after its publication an article was first
seen, for the dates that can be trusted. (The second half, first seen to sent, is the outbox's.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from monitor.store.store import StoredArticle

# A date later than first seen by more than this is a wrong clock or a wrong date, not news.
SKEW = timedelta(seconds=5)


def detection_delays(articles: Iterable[StoredArticle], *, backlog: bool) -> list[float]:
    """Seconds from published to first seen of newly stored articles whose date says when
    they appeared: not a feed's backlog (its first poll finds items of any age), not a bare
    date (midnight, to the second), not a date in the future, and not the time first seen
    itself (what a source without dates is given)."""
    if backlog:
        return []
    return [
        max(0.0, (a.first_seen - a.published).total_seconds())
        for a in articles
        if a.published is not None and _trusted(a.published, a.first_seen)
    ]


def _trusted(published: datetime, first_seen: datetime) -> bool:
    if published == first_seen or published > first_seen + SKEW:
        return False
    return (published.hour, published.minute, published.second) != (0, 0, 0)
