"""When to poll a feed next, from its interval, the last outcome and the server's hints (pure).

The status table (DESIGN §7):

    2xx, 304              the configured interval, lengthened by the feed's TTL or the
                          response's Cache-Control max-age / Expires (never beyond
                          MAX_HINT_FACTOR times the interval, nor MAX_HINT)
    410                   never again: next_check returns None
    429, 503              Retry-After when the server sent one (never sooner than the interval)
    no response, 4xx, 5xx interval * 2^failures, at most MAX_BACKOFF
    anything, failures>0  a failed poll (a body that did not parse, say): the same backoff

Every delay gets up to JITTER of random extra, so feeds added together drift apart.

The interval itself is the configured one, or with `interval: auto` (DESIGN §17)
`adaptive_interval`: a quarter of the gap the feed's recent publishing rate predicts between
two items, between min_interval and max_interval. The status table applies on top of either.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=24)
MAX_HINT = timedelta(hours=24)
# A publisher's hint may slow a feed down, but not past this many intervals: one real feed's
# <ttl> of 10 hours would otherwise have hidden most of a day's news from a 15-minute watch.
MAX_HINT_FACTOR = 4
MAX_RETRY_AFTER = timedelta(days=7)
JITTER = 0.10
GONE = 410
_RATE_LIMITED = frozenset({429, 503})


def next_check(
    *,
    now: datetime,
    interval: timedelta,
    status: int | None,
    failures: int,
    retry_after: float | None,
    ttl_minutes: int | None,
    max_age: float | None,
    rng: random.Random,
) -> datetime | None:
    """The time of the next poll, or None when the feed is gone and must not be polled again.

    ``status`` is the final HTTP status, or None when no response came (timeout, refused
    connection, oversized body). ``failures`` counts consecutive failed polls including this one.
    """
    if status == GONE:
        return None
    return now + _with_jitter(
        poll_delay(
            interval=interval,
            status=status,
            failures=failures,
            retry_after=retry_after,
            ttl_minutes=ttl_minutes,
            max_age=max_age,
        ),
        rng,
    )


def poll_delay(
    *,
    interval: timedelta,
    status: int | None,
    failures: int,
    retry_after: float | None,
    ttl_minutes: int | None,
    max_age: float | None,
) -> timedelta:
    """The delay before the next poll of a feed that is not gone, before jitter."""
    if status in _RATE_LIMITED and retry_after is not None:
        return max(interval, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    if failures > 0 or status is None or status >= 400:
        return backoff(interval, max(failures, 1))
    return hinted_interval(interval, ttl_minutes=ttl_minutes, max_age=max_age)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """interval * 2^failures, at most MAX_BACKOFF (or the interval, if that is longer)."""
    # Past 2^20 every interval is over the cap; stopping there keeps the product finite.
    return max(interval, min(interval * 2 ** min(failures, 20), MAX_BACKOFF))


def hinted_interval(
    interval: timedelta, *, ttl_minutes: int | None, max_age: float | None
) -> timedelta:
    """The interval, lengthened (never shortened) by the feed's TTL or the HTTP freshness."""
    hints = [timedelta(minutes=ttl_minutes)] if ttl_minutes and ttl_minutes > 0 else []
    if max_age and max_age > 0:
        hints.append(timedelta(seconds=max_age))
    if not hints:
        return interval
    return max(interval, min(max(hints), interval * MAX_HINT_FACTOR, MAX_HINT))


def _with_jitter(delay: timedelta, rng: random.Random) -> timedelta:
    return delay * (1 + rng.uniform(0, JITTER))


# adaptive polling ------------------------------------------------------------------------

POLLS_PER_GAP = 4  # polls in the gap the rate predicts: an item waits about an eighth of it
LONG_WINDOW = timedelta(days=3)  # the feed's usual rate
SHORT_WINDOW = timedelta(hours=2)  # a burst (a story breaking) tightens the interval at once
SHORT_FLOOR = timedelta(minutes=30)  # a burst's rate is never read from less time than this
BURST_ITEMS = 2  # one new item is not a burst
# The long window starts from one item per hour, as if seen over an extra hour: a feed known
# for a short while is neither rated busy on one item nor quiet for want of history.
PRIOR_ITEMS = 1
PRIOR_SPAN = timedelta(hours=1)
UNKNOWN_MOST = timedelta(minutes=15)  # a feed that never gave an item waits no longer


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """What the store knows of a feed's recent items.

    ``times``: when each item of the long window appeared (published, or first seen if that
    is earlier or it has no date). ``since``: how far back the feed has been watched, None
    when nothing of it was ever stored (older items than the window make it the window's start).
    """

    times: tuple[datetime, ...] = ()
    since: datetime | None = None
    previous: timedelta | None = None  # what the last poll waited, if it was scheduled


def publishing_rate(history: History, now: datetime) -> float:
    """New items per hour: the long window's rate, or a recent burst's if that is higher."""
    long_start, short_start = now - LONG_WINDOW, now - SHORT_WINDOW
    watched_from = max(history.since, long_start) if history.since else now
    long_items = sum(1 for t in history.times if long_start < t <= now)
    usual = (long_items + PRIOR_ITEMS) / _hours(now - watched_from + PRIOR_SPAN)
    short_items = sum(1 for t in history.times if short_start < t <= now)
    if short_items < BURST_ITEMS:
        return usual
    burst_span = max(now - max(watched_from, short_start), SHORT_FLOOR)
    return max(usual, short_items / _hours(burst_span))


def adaptive_interval(
    history: History, now: datetime, *, minimum: timedelta, maximum: timedelta
) -> timedelta:
    """The interval a feed publishing at its recent rate deserves, within [minimum, maximum].

    A feed that never gave an item has no rate: it starts at the minimum and doubles the wait
    on each empty poll up to UNKNOWN_MOST, so that one that starts publishing is soon read."""
    if history.since is None and not history.times:
        doubled = history.previous * 2 if history.previous else minimum
        return max(minimum, min(doubled, UNKNOWN_MOST, maximum))
    rate = publishing_rate(history, now)
    gap = timedelta(hours=1 / (rate * POLLS_PER_GAP)) if rate > 0 else maximum
    return max(minimum, min(gap, maximum))


def item_times(pairs: Iterable[tuple[datetime | None, datetime]]) -> tuple[datetime, ...]:
    """When items appeared, from (published, first seen) pairs: a date in the future or
    missing is replaced by the time the item was first seen."""
    return tuple(min(published or seen, seen) for published, seen in pairs)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
