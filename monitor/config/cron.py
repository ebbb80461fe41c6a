"""Cron schedules read the way crontab(5) reads them (Vixie cron): five fields or an `@` macro.

`check` validates every digest's schedule here without importing APScheduler (its import
brings asyncio, ssl and importlib.metadata: a sixth of `check`'s start-up). Each field becomes
the set of values it stands for; when those values fall is `crontimes.py`'s business.

What crontab means and a naive reading gets wrong:
- day of the month and day of the week both restricted (neither starts with `*`): a day that
  matches either fires; `0 0 1 * 1` runs on every 1st and on every Monday. When either field
  starts with `*` (`*`, `*/2`), both must hold, which is what the other one alone says.
- the day of the week counts 0 and 7 as Sunday, so a range may end on Sunday: `sat-sun`, `5-0`,
  `5-7` are Friday/Saturday to Sunday. Any other range must run forwards.
- a step longer than its field (`*/60`) is the field's first value, not an error.
- `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly` are the fields they
  stand for; `@reboot` has no time to compute and is refused.
Beyond crontab, the day of the month may be `last` (the month's last day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_BOUNDS = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day": (1, 31),
    "month": (1, 12),
    "day_of_week": (0, 7),
}
_NAMES = {
    "month": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "day_of_week": ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}
_FIRST_NAME = {"month": 1, "day_of_week": 0}  # the number of each field's first name
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ITEM = re.compile(
    r"(?P<range>\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?\Z", re.ASCII
)


class CronError(ValueError):
    """A schedule that is not a cron expression; says which field and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cron:
    """The values each field stands for. Weekdays count Monday as 0, as `date.weekday()` does."""

    expression: str
    fields: tuple[str, ...]  # the five fields as written (a macro's as it stands for them)
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    last_day: bool  # `last` in the day-of-month field
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool  # the day-of-month field does not start with `*`
    weekdays_restricted: bool  # nor the day-of-week field
    either_day: bool  # both restricted: a day matching either fires (crontab's OR)

    def day_matches(self, day: int, weekday: int, month: int, last_of_month: int) -> bool:
        """Whether a date (day of month, Monday-based weekday, month, its month's length)
        is one this schedule runs on."""
        if month not in self.months:
            return False
        by_day = day in self.days or (self.last_day and day == last_of_month)
        by_weekday = weekday in self.weekdays
        return (by_day or by_weekday) if self.either_day else (by_day and by_weekday)

    def describe(self) -> str:
        """What `check` shows: a macro's fields, and how the two day fields combine."""
        minute, hour, day, month, weekday = self.fields
        said = f"= {' '.join(self.fields)}" if self.expression.startswith("@") else ""
        if self.either_day:
            said += f" (day of month {day} or day of week {weekday}: either fires)"
        return said.strip()


def parse_cron(expression: str) -> Cron:
    """The expression's values, or CronError naming the field that is wrong."""
    text = expression.strip()
    if text.startswith("@"):
        text = _macro(text)
    values = text.split()
    if len(values) != len(FIELDS):
        raise CronError(f"wrong number of fields; got {len(values)}, expected 5")
    minute, hour, day, month, weekday = values
    last_day = day.lower() == "last"
    days_restricted = not day.startswith("*")
    weekdays_restricted = not weekday.startswith("*")
    return Cron(
        expression=expression.strip(),
        fields=tuple(values),
        minutes=_values("minute", minute),
        hours=_values("hour", hour),
        days=frozenset() if last_day else _values("day", day),
        last_day=last_day,
        months=_values("month", month),
        # crontab's Sunday is 0 or 7; Python's weekday() counts from Monday
        weekdays=frozenset((n - 1) % 7 for n in _values("day_of_week", weekday)),
        days_restricted=days_restricted,
        weekdays_restricted=weekdays_restricted,
        either_day=days_restricted and weekdays_restricted,
    )


def _macro(text: str) -> str:
    word = text.lower()
    if word == "@reboot":
        raise CronError(
            "@reboot runs once at start-up and has no time a digest could be sent at; "
            "write a schedule such as @daily or '0 8 * * *'"
        )
    if word not in MACROS:
        raise CronError(f"unknown macro '{text}' (known: {', '.join(MACROS)})")
    return MACROS[word]


def _values(name: str, value: str) -> frozenset[int]:
    found: set[int] = set()
    for item in value.split(","):
        found |= set(_field_values(name, item))
    return frozenset(found)


def _field_values(name: str, item: str) -> range:
    """The values one comma-separated item of a field stands for."""
    low, high = _BOUNDS[name]
    match = _ITEM.match(item)
    if not match:
        raise CronError(f"{_said(name)}: '{item}' is not a number, a range, a name or '*'")
    step = int(match["step"]) if match["step"] else 1
    if step == 0:
        raise CronError(f"{_said(name)}: the step of '{item}' must be at least 1")
    if match["range"] == "*":
        first, last = low, high if name != "day_of_week" else 6
    else:
        first = _value(name, match["first"])
        last = _value(name, match["last"]) if match["last"] else (high if match["step"] else first)
        if name == "day_of_week" and match["last"] and last == 0 and first > 0:
            last = 7  # a range ending on Sunday: `sat-sun`, `5-0`
        if first > last:
            raise CronError(f"{_said(name)}: '{item}' runs backwards ({first} > {last})")
    return range(first, last + 1, step)


def _said(name: str) -> str:
    return name.replace("_", " ")


def _value(name: str, word: str) -> int:
    low, high = _BOUNDS[name]
    if word.isdigit():
        number = int(word)
        if not low <= number <= high:
            raise CronError(f"{_said(name)}: {number} is outside {low}-{high}")
        return number
    names = _NAMES.get(name, ())
    if word.lower() in names:
        return names.index(word.lower()) + _FIRST_NAME[name]
    expected = f"a number {low}-{high}" + (f" or a name ({', '.join(names)})" if names else "")
    raise CronError(f"{_said(name)}: '{word}' is not {expected}")
