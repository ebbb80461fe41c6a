"""When to poll a feed next, from its interval, the last outcome and the server's hints (pure).

The status table (DESIGN §7):

    2xx, 304              the configured interval, lengthened by the feed's TTL or the
                          response's Cache-Control max-age / Expires (never beyond MAX_HINT)
    410                   never again: next_check returns None
    429, 503              Retry-After when the server sent one (never sooner than the interval)
    no response, 4xx, 5xx interval * 2^failures, at most MAX_BACKOFF
    anything, failures>0  a failed poll (a body that did not parse, say): the same backoff

Every delay gets up to JITTER of random extra, so feeds added together drift apart.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=24)
MAX_HINT = timedelta(hours=24)
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
    return max(interval, min(max(hints), MAX_HINT))


def _with_jitter(delay: timedelta, rng: random.Random) -> timedelta:
    return delay * (1 + rng.uniform(0, JITTER))
