"""Adaptive polling (DESIGN §17), the pure decision: a feed's interval follows its rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.sources.schedule import History, adaptive_interval, item_times, publishing_rate

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def every(gap: timedelta, span: timedelta) -> tuple[datetime, ...]:
    """Items every ``gap`` over the last ``span``."""
    count = int(span / gap)
    return tuple(NOW - gap * k for k in range(count))


def interval(history: History) -> timedelta:
    return adaptive_interval(history, NOW, minimum=2 * M, maximum=6 * H)


@pytest.mark.parametrize(
    ("case", "history", "expected"),
    [
        ("never gave an item: first the minimum", History(), 2 * M),
        ("never gave an item: the wait doubles", History(previous=5 * M), 10 * M),
        ("never gave an item: at most 15 minutes", History(previous=12 * M), 15 * M),
        (
            "an item a minute for days: the minimum",
            History(times=every(M, 3 * D), since=NOW - 30 * D),
            2 * M,
        ),
        (
            "an item an hour: four polls an hour",
            History(times=every(H, 3 * D), since=NOW - 30 * D),
            15 * M,
        ),
        (
            "twice a week: the maximum",
            History(times=(NOW - 2 * D,), since=NOW - 90 * D),
            6 * H,
        ),
        ("watched for months, silent: the maximum", History(since=NOW - 90 * D), 6 * H),
        (
            "a quiet feed's burst: ten items this hour tighten it at once",
            History(times=every(6 * M, H), since=NOW - 90 * D),
            3 * M,
        ),
        (
            "a new feed whose first page spans ten minutes: busy already",
            History(times=every(M, 10 * M), since=NOW - 9 * M),
            2 * M,
        ),
    ],
)
def test_the_interval_follows_the_publishing_rate(
    case: str, history: History, expected: timedelta
) -> None:
    assert interval(history) == pytest.approx(expected, abs=timedelta(seconds=1)), case


def test_busier_is_never_polled_less_often() -> None:
    quiet = History(times=every(12 * H, 3 * D), since=NOW - 30 * D)
    steady = History(times=every(H, 3 * D), since=NOW - 30 * D)
    busy = History(times=every(5 * M, 3 * D), since=NOW - 30 * D)
    assert interval(quiet) > interval(steady) > interval(busy)
    assert publishing_rate(busy, NOW) == pytest.approx(12, rel=0.05)


def test_bounds_hold_whatever_the_rate() -> None:
    flood = History(times=every(timedelta(seconds=1), H), since=NOW - D)
    assert adaptive_interval(flood, NOW, minimum=M, maximum=H) == M
    assert adaptive_interval(History(since=NOW - 90 * D), NOW, minimum=M, maximum=H) == H


def test_a_date_in_the_future_or_missing_counts_as_first_seen() -> None:
    seen = NOW - H
    assert item_times([(NOW + D, seen), (None, seen), (NOW - 2 * H, seen)]) == (
        seen,
        seen,
        NOW - 2 * H,
    )
