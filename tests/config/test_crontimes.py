"""Cron fire times across clock changes: none lost, none doubled, checked against a brute-force
oracle (tests/config/cron_oracle.py) and croniter over random schedules and every DST change of
2026-27 in zones that move by an hour, by half an hour, at midnight, and not at all."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from cron_oracle import Window, random_schedule, transitions
from croniter import croniter

from monitor.config.cron import parse_cron
from monitor.config.crontimes import fire_times, next_fire
from monitor.service.crontrigger import ScheduleTrigger

ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # moves by 30 minutes
    "America/Santiago",  # southern hemisphere, changes at midnight: 00:00 can be missing
    "Asia/Dushanbe",  # no DST: nothing may change there
)
# More schedules with NEWS_MONITOR_CRON_SWEEP=3000 (a few minutes).
SCHEDULES = int(os.environ.get("NEWS_MONITOR_CRON_SWEEP", "40"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def following(expression: str, zone: str, after: datetime, count: int = 1) -> list[str]:
    found, moment = [], after
    for _ in range(count):
        moment = next_fire(parse_cron(expression), moment, ZoneInfo(zone))
        found.append(moment.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %z"))
    return found


@pytest.mark.parametrize(
    ("expression", "zone", "after", "expected"),
    [
        # APScheduler 3.11 gave 6 April, 1 May, 10 March, 12 October for these
        ("0 0 * * mon", "Europe/London", utc(2026, 3, 23, 1), "Mon 2026-03-30 00:00 +0100"),
        ("0 0 1 * *", "Europe/London", utc(2026, 3, 2), "Wed 2026-04-01 00:00 +0100"),
        ("0 0 * * *", "America/New_York", utc(2026, 3, 8, 6), "Mon 2026-03-09 00:00 -0400"),
        ("0 0 * * *", "Australia/Lord_Howe", utc(2026, 10, 4, 0), "Mon 2026-10-05 00:00 +1100"),
        # a fixed time in the gap runs once, at the end of the gap
        ("30 1 * * *", "Europe/London", utc(2026, 3, 28, 12), "Sun 2026-03-29 02:00 +0100"),
        ("15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 12), "Sun 2026-10-04 02:30 +1100"),
        ("0 0 * * *", "America/Santiago", utc(2026, 9, 5, 12), "Sun 2026-09-06 01:00 -0300"),
    ],
)
def test_the_next_fire_after_a_clock_change_is_not_lost(
    expression: str, zone: str, after: datetime, expected: str
) -> None:
    assert following(expression, zone, after) == [expected]


def london(expression: str, after: datetime, until: datetime) -> list[str]:
    zone = ZoneInfo("Europe/London")
    times = fire_times(parse_cron(expression), after, until, zone)
    return [t.astimezone(zone).strftime("%H:%M%z") for t in times]


def test_a_time_the_clock_shows_twice_fires_once() -> None:
    assert following("30 1 * * *", "Europe/London", utc(2026, 10, 24, 12), 2) == [
        "Sun 2026-10-25 01:30 +0100",
        "Mon 2026-10-26 01:30 +0000",
    ]
    # every wall-clock time once: the repeated hour is not walked twice
    assert london("*/20 * * * *", utc(2026, 10, 24, 23, 50), utc(2026, 10, 25, 2)) == [
        "01:00+0100", "01:20+0100", "01:40+0100", "02:00+0000",
    ]  # fmt: skip
    assert following("45 1 * * *", "Australia/Lord_Howe", utc(2026, 4, 4, 12), 2) == [
        "Sun 2026-04-05 01:45 +1100",
        "Mon 2026-04-06 01:45 +1030",
    ]


def test_the_times_a_gap_skips_fire_once_at_its_end() -> None:
    assert london("*/15 * * * *", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)) == [
        "00:45+0000", "02:00+0100", "02:15+0100", "02:30+0100",
    ]  # fmt: skip
    assert london("10 1-23/2 * * *", utc(2026, 3, 28, 23), utc(2026, 3, 29, 3)) == [
        "23:10+0000", "02:00+0100", "03:10+0100",
    ]  # fmt: skip


def test_day_of_month_or_day_of_week_when_both_are_given() -> None:
    fired = following("0 0 1 * 1", "UTC", utc(2026, 5, 28), 6)
    assert [f[:14] for f in fired] == [
        "Mon 2026-06-01", "Mon 2026-06-08", "Mon 2026-06-15", "Mon 2026-06-22",
        "Mon 2026-06-29", "Wed 2026-07-01",
    ]  # fmt: skip
    # either field starting with `*` means both must hold, as crontab reads it
    assert [f[:14] for f in following("0 0 */2 * 1", "UTC", utc(2026, 5, 28), 3)] == [
        "Mon 2026-06-01", "Mon 2026-06-15", "Mon 2026-06-29",
    ]  # fmt: skip


def test_macros_and_ranges_ending_on_sunday() -> None:
    monday = utc(2026, 11, 30)
    assert following("@weekly", "UTC", monday) == ["Sun 2026-12-06 00:00 +0000"]
    assert following("@hourly", "UTC", monday) == ["Mon 2026-11-30 01:00 +0000"]
    assert following("@yearly", "UTC", monday) == ["Fri 2027-01-01 00:00 +0000"]
    for weekend in ("sat-sun", "6-0", "6-7", "sat,sun"):
        assert [f[:3] for f in following(f"0 9 * * {weekend}", "UTC", monday, 4)] == [
            "Sat", "Sun", "Sat", "Sun",
        ]  # fmt: skip
    assert [f[:3] for f in following("0 9 * * 5-0", "UTC", monday, 3)] == ["Fri", "Sat", "Sun"]


def test_a_schedule_that_never_fires_has_no_next_time() -> None:
    assert next_fire(parse_cron("0 0 30 2 *"), utc(2026, 1, 1), ZoneInfo("UTC")) is None
    assert following("0 0 29 2 *", "UTC", utc(2026, 3, 1)) == ["Tue 2028-02-29 00:00 +0000"]


def test_the_service_trigger_walks_the_same_times_as_apscheduler_asks_for_them() -> None:
    trigger = ScheduleTrigger("0 0 * * mon", "Europe/London")
    now = utc(2026, 3, 23, 1)
    first = trigger.get_next_fire_time(None, now)
    assert first == local("Europe/London", 2026, 3, 30)
    # APScheduler walks missed times with the previous fire time and a later `now`
    second = trigger.get_next_fire_time(first, first + timedelta(days=30))
    assert second == local("Europe/London", 2026, 4, 6)
    # a time exactly now is due now
    assert trigger.get_next_fire_time(None, first) == first


@cache
def windows() -> list[tuple[str, datetime, Window]]:
    found = []
    for name in ZONES:
        zone = ZoneInfo(name)
        # a zone without changes is swept over London's dates
        for change in transitions(zone) or transitions(ZoneInfo("Europe/London")):
            window = Window(zone, change - timedelta(days=1), change + timedelta(days=4))
            found.append((name, change, window))
    return found


def schedules(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [random_schedule(rng) for _ in range(SCHEDULES)]


def test_fire_times_match_a_brute_force_oracle_across_every_clock_change() -> None:
    wrong = []
    for expression in schedules(27):
        cron = parse_cron(expression)
        for zone, _, window in windows():
            expected = window.fires(expression)
            got = fire_times(
                cron, window.start - timedelta(microseconds=1), window.end, window.zone
            )
            if got != expected:
                wrong.append((expression, zone, window.start, set(expected) ^ set(got)))
    assert wrong == []


def croniter_times(expression: str, window: Window) -> list[datetime]:
    """croniter's times, a wall-clock time it repeats at a fall-back kept once (croniter fires
    it at both passes)."""
    seen, found = set(), []
    it = croniter(expression.replace("last", "L"), window.start - timedelta(seconds=1))
    it.set_current(window.start.astimezone(window.zone) - timedelta(seconds=1))
    while (moment := it.get_next(datetime)) <= window.end:
        wall = moment.replace(tzinfo=None)
        if wall not in seen:
            seen.add(wall)
            found.append(moment.astimezone(UTC))
    return found


def croniter_reads_it_as_crontab(expression: str) -> bool:
    # croniter ORs the days when one is `*/2` and the other not `*`; crontab ANDs them
    _, _, day, _, weekday = expression.split()
    return not (
        (day.startswith("*/") and weekday != "*") or (weekday.startswith("*/") and day != "*")
    )


def test_fire_times_match_croniter_across_every_clock_change() -> None:
    # croniter drops a skipped time when the hour field is `*` (the next hour has one): away
    # from the end of the gap, the two must agree; the oracle above pins the gap's end.
    wrong = []
    for expression in filter(croniter_reads_it_as_crontab, schedules(7)):
        cron = parse_cron(expression)
        for zone, change, window in windows():
            expected = [t for t in croniter_times(expression, window) if t != change]
            got = [
                t
                for t in fire_times(
                    cron, window.start - timedelta(microseconds=1), window.end, window.zone
                )
                if t != change
            ]
            if got != expected:
                wrong.append((expression, zone, window.start, set(expected) ^ set(got)))
    assert wrong == []
