"""next_check: the status table, backoff, server hints and jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.sources.schedule import next_check

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


class NoJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


class FullJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def when(
    status: int | None,
    *,
    interval: timedelta = 15 * M,
    failures: int = 0,
    retry_after: float | None = None,
    ttl_minutes: int | None = None,
    max_age: float | None = None,
    rng: random.Random | None = None,
) -> timedelta | None:
    at = next_check(
        now=NOW,
        interval=interval,
        status=status,
        failures=failures,
        retry_after=retry_after,
        ttl_minutes=ttl_minutes,
        max_age=max_age,
        rng=rng or NoJitter(),
    )
    return None if at is None else at - NOW


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("200 polls at the interval", {"status": 200}, 15 * M),
        ("304 polls at the interval", {"status": 304}, 15 * M),
        ("410 stops polling", {"status": 410}, None),
        ("410 stops polling even after failures", {"status": 410, "failures": 3}, None),
        ("429 honours Retry-After", {"status": 429, "retry_after": 3600}, H),
        ("503 honours Retry-After", {"status": 503, "retry_after": 7200, "failures": 1}, 2 * H),
        ("Retry-After never polls sooner", {"status": 429, "retry_after": 5}, 15 * M),
        ("429 without Retry-After backs off", {"status": 429, "failures": 1}, 30 * M),
        ("503 without Retry-After backs off", {"status": 503, "failures": 2}, 60 * M),
        ("no response: first failure", {"status": None, "failures": 1}, 30 * M),
        ("no response: third failure", {"status": None, "failures": 3}, 120 * M),
        ("500 backs off", {"status": 500, "failures": 4}, 240 * M),
        ("404 backs off", {"status": 404, "failures": 1}, 30 * M),
        ("backoff is capped at 24 h", {"status": 500, "failures": 12}, 24 * H),
        ("a huge failure count stays finite", {"status": None, "failures": 10_000}, 24 * H),
        ("a failed parse of a 200 backs off", {"status": 200, "failures": 2}, 60 * M),
        (
            "a daily feed is not polled more often when failing",
            {"status": 500, "failures": 1, "interval": 48 * H},
            48 * H,
        ),
        ("TTL lengthens the interval", {"status": 200, "ttl_minutes": 60}, H),
        ("TTL never shortens it", {"status": 200, "ttl_minutes": 5}, 15 * M),
        # a 10-hour <ttl> on a 15-minute news feed would hide a day's news: four times at most
        ("TTL is capped at 4x the interval", {"status": 200, "ttl_minutes": 10 * 60}, H),
        (
            "and at 24 h",
            {"status": 200, "ttl_minutes": 7 * 24 * 60, "interval": 12 * H},
            24 * H,
        ),
        ("max-age lengthens the interval", {"status": 304, "max_age": 1800}, 30 * M),
        ("max-age never shortens it", {"status": 200, "max_age": 60}, 15 * M),
        ("max-age is capped at 4x the interval", {"status": 200, "max_age": 10**9}, H),
        ("the longer hint wins", {"status": 200, "ttl_minutes": 30, "max_age": 2700}, 45 * M),
        ("hints do not cut backoff", {"status": 500, "failures": 3, "max_age": 60}, 120 * M),
        ("Retry-After is capped at 7 days", {"status": 429, "retry_after": 10**9}, 7 * 24 * H),
    ],
)
def test_status_table(case: str, kwargs: dict, expected: timedelta | None):
    assert when(**kwargs) == expected, case


def test_jitter_adds_up_to_ten_percent():
    assert when(200, rng=FullJitter()) == 15 * M * 1.1
    assert when(500, failures=1, rng=FullJitter()) == 30 * M * 1.1


def test_jitter_spreads_feeds_within_ten_percent():
    rng = random.Random(7)
    delays = {when(200, rng=rng) for _ in range(200)}
    assert all(d is not None and 15 * M <= d <= 15 * M * 1.1 for d in delays)
    assert len(delays) > 100  # feeds added together drift apart
