"""Digest schedules read as crontab(5) reads them (Vixie cron), checked without APScheduler,
and the trigger the service builds from them firing when crontab would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config.cron import CronError, parse_cron
from monitor.service.crontrigger import ScheduleTrigger

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday, midnight


def fire_days(expression: str, days: int = 14) -> list[str]:
    """The weekday names of every time the service's trigger fires in ``days`` from Monday."""
    trigger = ScheduleTrigger(expression, "UTC")
    fired: list[str] = []
    moment = trigger.get_next_fire_time(None, MONDAY)
    while moment is not None and moment < MONDAY + timedelta(days=days):
        fired.append(moment.strftime("%a %d %H:%M"))
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return fired


@pytest.mark.parametrize(
    ("expression", "days"),
    [
        ("0 8 * * 0", {"Sun"}),
        ("0 8 * * 7", {"Sun"}),
        ("0 8 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 8 * * mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 8 * * 6,0", {"Sat", "Sun"}),
        ("0 8 * * */2", {"Sun", "Tue", "Thu", "Sat"}),
        ("0 8 * * 5-7", {"Fri", "Sat", "Sun"}),
        ("0 8 * * 5-0", {"Fri", "Sat", "Sun"}),
        ("0 8 * * sat-sun", {"Sat", "Sun"}),
        ("0 8 * * SAT-SUN", {"Sat", "Sun"}),
        ("0 8 * * fri-sun", {"Fri", "Sat", "Sun"}),
    ],
)
def test_the_day_of_the_week_counts_from_sunday_as_in_crontab(
    expression: str, days: set[str]
) -> None:
    # APScheduler 3 counts 0 as Monday: `1-5` handed over as written fires Tuesday to Saturday.
    assert {fired.split()[0] for fired in fire_days(expression)} == days


def test_steps_ranges_and_lists_fire_when_crontab_would() -> None:
    assert fire_days("*/20 9-10 * * 1", days=1) == [
        "Mon 30 09:00", "Mon 30 09:20", "Mon 30 09:40",
        "Mon 30 10:00", "Mon 30 10:20", "Mon 30 10:40",
    ]  # fmt: skip
    assert fire_days("30 6 1,15 * *", days=20) == ["Tue 01 06:30", "Tue 15 06:30"]
    assert fire_days("0 12 last * *", days=40) == ["Mon 30 12:00", "Thu 31 12:00"]
    # crontab reads a step longer than its field as the first value
    assert fire_days("*/60 3 * * *", days=2) == ["Mon 30 03:00", "Tue 01 03:00"]


@pytest.mark.parametrize(
    ("macro", "fired"),
    [
        ("@daily", ["Mon 30 00:00", "Tue 01 00:00"]),
        ("@midnight", ["Mon 30 00:00", "Tue 01 00:00"]),
        ("@weekly", ["Sun 06 00:00", "Sun 13 00:00"]),
        ("@monthly", ["Tue 01 00:00", "Fri 01 00:00"]),
        ("@yearly", ["Fri 01 00:00 2027", "Sat 01 00:00 2028"]),
        ("@annually", ["Fri 01 00:00 2027", "Sat 01 00:00 2028"]),
        ("@hourly", ["Mon 30 00:00", "Mon 30 01:00"]),
    ],
)
def test_the_macros_are_the_fields_they_stand_for(macro: str, fired: list[str]) -> None:
    trigger = ScheduleTrigger(macro, "UTC")
    first = trigger.get_next_fire_time(None, MONDAY)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    shape = "%a %d %H:%M %Y" if "2027" in fired[0] else "%a %d %H:%M"
    assert [first.strftime(shape), second.strftime(shape)] == fired


def test_day_of_month_and_day_of_week_both_given_fire_on_either() -> None:
    # crontab(5): "the command will be run when either field matches"
    assert fire_days("0 0 1 * 1", days=40) == [
        "Mon 30 00:00", "Tue 01 00:00", "Mon 07 00:00", "Mon 14 00:00", "Mon 21 00:00",
        "Mon 28 00:00", "Fri 01 00:00", "Mon 04 00:00",
    ]  # fmt: skip
    assert fire_days("0 0 15 * sat-sun", days=16) == [
        "Sat 05 00:00", "Sun 06 00:00", "Sat 12 00:00", "Sun 13 00:00", "Tue 15 00:00",
    ]  # fmt: skip
    # a field that starts with `*` leaves the other alone: both must hold
    assert fire_days("0 0 */10 * 2", days=40) == ["Tue 01 00:00"]  # 1, 11, 21, 31 and a Tuesday


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 8 * *", "wrong number of fields; got 4, expected 5"),
        ("0 25 * * *", "hour: 25 is outside 0-23"),
        ("61 * * * *", "minute: 61 is outside 0-59"),
        ("0 8 0 * *", "day: 0 is outside 1-31"),
        ("0 8 * 13 *", "month: 13 is outside 1-12"),
        ("0 8 * * 8", "day of week: 8 is outside 0-7"),
        ("0 8 * * fri-mon", "day of week: 'fri-mon' runs backwards (5 > 1)"),
        ("0 8 * * */0", "day of week: the step of '*/0' must be at least 1"),
        ("0 8 * foo *", "month: 'foo' is not a number 1-12 or a name (jan, feb,"),
        ("0 8 * * monday", "day of week: 'monday' is not a number 0-7 or a name (sun, mon,"),
        ("0 8-x * * *", "hour: 'x' is not a number 0-23"),
        ("0 8 * * 1,,2", "day of week: '' is not a number, a range, a name or '*'"),
        ("@reboot", "@reboot runs once at start-up and has no time a digest could be sent at"),
        ("@fortnightly", "unknown macro '@fortnightly' (known: @yearly, @annually, @monthly,"),
        ("0 8 * * mon-sat-sun", "day of week: 'mon-sat-sun' is not a number, a range"),
        ("0 ٨ * * *", "hour: '٨' is not a number, a range, a name or '*'"),
        ("0 8 * * ²", "day of week: '²' is not a number, a range, a name or '*'"),
    ],
)
def test_a_bad_schedule_says_which_field_and_why(expression: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "expression",
    ["0 8 * * *", "*/15 6-22 * * mon-fri", "0 0 1 jan,jul *", "5 4 * * sun", "0 8 last * *"],
)
def test_every_accepted_schedule_builds_a_trigger(expression: str) -> None:
    trigger = ScheduleTrigger(expression, "Asia/Dushanbe")
    assert trigger.get_next_fire_time(None, MONDAY) is not None
