"""The alert policy's decisions, table-driven: quiet hours across midnight and DST changes,
the hourly cap across an hour boundary, and the two together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.digest.policy import cap_until, hold, quiet_until


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("quiet", "zone", "now", "until"),
    [
        # wrapping midnight, in UTC
        ("22:00-07:00", "UTC", "2026-11-02T21:59:59+00:00", None),
        ("22:00-07:00", "UTC", "2026-11-02T22:00:00+00:00", "2026-11-03T07:00:00+00:00"),
        ("22:00-07:00", "UTC", "2026-11-03T03:00:00+00:00", "2026-11-03T07:00:00+00:00"),
        ("22:00-07:00", "UTC", "2026-11-03T07:00:00+00:00", None),
        # not wrapping
        ("12:00-13:30", "UTC", "2026-11-03T12:45:00+00:00", "2026-11-03T13:30:00+00:00"),
        ("12:00-13:30", "UTC", "2026-11-03T13:30:00+00:00", None),
        # the digest's own timezone: 22:00 in Dushanbe (UTC+5) is 17:00 UTC
        ("22:00-07:00", "Asia/Dushanbe", "2026-11-02T17:30:00+00:00", "2026-11-03T02:00:00+00:00"),
        ("22:00-07:00", "Asia/Dushanbe", "2026-11-02T16:59:00+00:00", None),
        # New York falls back on 2026-11-01 at 02:00 EDT: the night is 10 h long, not 9,
        # and the end is 07:00 EST (12:00 UTC), not 07:00 EDT (11:00 UTC)
        (
            "22:00-07:00",
            "America/New_York",
            "2026-11-01T02:30:00+00:00",
            "2026-11-01T12:00:00+00:00",
        ),
        (
            "22:00-07:00",
            "America/New_York",
            "2026-11-01T11:30:00+00:00",
            "2026-11-01T12:00:00+00:00",
        ),
        ("22:00-07:00", "America/New_York", "2026-11-01T12:00:00+00:00", None),
        # it springs forward on 2026-03-08: 07:00 EDT is 11:00 UTC
        (
            "22:00-07:00",
            "America/New_York",
            "2026-03-08T05:00:00+00:00",
            "2026-03-08T11:00:00+00:00",
        ),
        ("22:00-07:00", "America/New_York", "2026-03-08T11:00:00+00:00", None),
        # an end inside the skipped hour (02:30 never happens that night) still ends the hold
        (
            "23:00-02:30",
            "America/New_York",
            "2026-03-08T06:00:00+00:00",
            "2026-03-08T07:30:00+00:00",
        ),
        ("23:00-02:30", "America/New_York", "2026-03-08T07:30:00+00:00", None),
    ],
)
def test_quiet_hours(quiet: str, zone: str, now: str, until: str | None) -> None:
    assert quiet_until(quiet, zone, at(now)) == (at(until) if until else None)


def test_no_quiet_hours_never_holds() -> None:
    assert quiet_until(None, "UTC", at("2026-11-03T03:00:00+00:00")) is None


def test_the_cap_is_a_sliding_hour_not_the_clock_hour() -> None:
    sends = [at(f"2026-11-02T10:{m}:00+00:00") for m in ("50", "55")]
    # a new clock hour does not reset the count: two sends in the last hour, the cap is 2
    assert cap_until(2, sends, at("2026-11-02T11:05:00+00:00")) == at("2026-11-02T11:50:00+00:00")
    assert cap_until(2, sends, at("2026-11-02T11:50:00+00:00")) is None
    assert cap_until(3, sends, at("2026-11-02T11:05:00+00:00")) is None
    assert cap_until(None, sends * 10, at("2026-11-02T11:05:00+00:00")) is None


def test_the_cap_waits_for_the_oldest_send_it_must_let_go() -> None:
    sends = [
        at("2026-11-02T10:10:00+00:00"),
        at("2026-11-02T10:20:00+00:00"),
        at("2026-11-02T10:30:00+00:00"),
    ]
    assert cap_until(2, sends, at("2026-11-02T10:40:00+00:00")) == at("2026-11-02T11:20:00+00:00")


def test_hold_gives_the_later_of_quiet_hours_and_cap() -> None:
    now = at("2026-11-02T06:50:00+00:00")
    sends = [now - timedelta(minutes=5)]
    quiet = hold(quiet_hours="22:00-07:00", max_per_hour=5, timezone="UTC", sends=sends, now=now)
    assert quiet is not None and quiet.until == at("2026-11-02T07:00:00+00:00")
    assert quiet.reason == "quiet hours 22:00-07:00"
    capped = hold(quiet_hours="22:00-07:00", max_per_hour=1, timezone="UTC", sends=sends, now=now)
    assert capped is not None and capped.until == at("2026-11-02T07:45:00+00:00")
    assert capped.reason == "max_per_hour 1"
    free = hold(quiet_hours=None, max_per_hour=2, timezone="UTC", sends=sends, now=now)
    assert free is None
