"""Standard five-field cron expressions, read the way crontab(5) reads them.

`check` validates every digest's schedule here without importing APScheduler (its import
brings asyncio, ssl and importlib.metadata: a sixth of `check`'s start-up), and the service
builds its triggers from the fields this returns. The day of the week is where the two differ:
crontab counts 0 (and 7) as Sunday, APScheduler 3 counts 0 as Monday, so a weekday list written
`1-5` would fire Tuesday to Saturday if handed over as written. So every field goes over as
the plain list of values it stands for (days by name): APScheduler reads nothing in it that
crontab reads otherwise, and rejects nothing that passed here (it refuses a step longer than
the field, `*/60`, which crontab reads as minute 0). Besides crontab's, the day of the month
takes `last`. As in APScheduler, a day of the month and a day of the week both given must both
hold (crontab fires when either does).
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
# A crontab day's number (0 and 7 are Sunday) as the name APScheduler knows it by.
_SCHEDULER_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ITEM = re.compile(
    r"(?P<range>\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?\Z", re.ASCII
)


class CronError(ValueError):
    """A schedule that is not a five-field cron expression; says which field and why."""


@dataclass(frozen=True, slots=True)
class Cron:
    """The fields of a valid expression, ready for APScheduler's CronTrigger."""

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str

    def trigger_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


def parse_cron(expression: str) -> Cron:
    """The expression's fields, or CronError naming the field that is wrong."""
    values = expression.split()
    if len(values) != len(FIELDS):
        raise CronError(f"wrong number of fields; got {len(values)}, expected 5")
    minute, hour, day, month, weekday = values
    return Cron(
        minute=_numbers("minute", minute),
        hour=_numbers("hour", hour),
        day="last" if day.lower() == "last" else _numbers("day", day),
        month=_numbers("month", month),
        day_of_week=_weekdays(weekday),
    )


def _values(name: str, value: str) -> set[int]:
    found: set[int] = set()
    for item in value.split(","):
        found |= set(_field_values(name, item))
    return found


def _numbers(name: str, value: str) -> str:
    return "*" if value == "*" else ",".join(str(n) for n in sorted(_values(name, value)))


def _field_values(name: str, item: str) -> range:
    """The values one comma-separated item of a field stands for (before any step)."""
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


def _weekdays(value: str) -> str:
    """The day-of-week field in APScheduler's terms: '*' as it is, else the days by name."""
    if value == "*":
        return "*"
    days = {day % 7 for day in _values("day_of_week", value)}
    return ",".join(_SCHEDULER_DAYS[day] for day in sorted(days))
