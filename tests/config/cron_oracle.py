"""A brute-force cron oracle, written apart from `monitor/config/cron*.py`, to check it against.

It reads a five-field expression with its own few lines (Vixie's rules) and walks every UTC
minute of a window to learn the first instant that shows each wall-clock minute (for a minute
the clock jumped over, the first instant after the jump), then walks every wall-clock minute of
the window and keeps those the expression names.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
NAMES = {
    **{n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    **{
        n: i + 1
        for i, n in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
}


def _field(text: str, low: int, high: int, sunday_wraps: bool = False) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step = part.partition("/")
        if body == "*":
            first, last = low, high
        else:
            a, _, b = body.partition("-")
            first = int(NAMES.get(a.lower(), a) if not a.isdigit() else a)
            last = int(NAMES.get(b.lower(), b) if b and not b.isdigit() else b or first)
            if step and not b:
                last = high
            if sunday_wraps and last == 0 and first > 0:
                last = 7
        out |= set(range(first, last + 1, int(step or 1)))
    return out


@dataclass(frozen=True)
class Expr:
    minutes: set[int]
    hours: set[int]
    days: set[int]
    last: bool
    months: set[int]
    weekdays: set[int]  # crontab's numbering, Sunday 0
    either: bool

    @classmethod
    def read(cls, text: str) -> Expr:
        m, h, dom, mon, dow = text.split()
        return cls(
            minutes=_field(m, 0, 59),
            hours=_field(h, 0, 23),
            days=set() if dom == "last" else _field(dom, 1, 31),
            last=dom == "last",
            months=_field(mon, 1, 12),
            weekdays={d % 7 for d in _field(dow, 0, 6, sunday_wraps=True)},
            either=not dom.startswith("*") and not dow.startswith("*"),
        )

    def on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days or (
            self.last and day.day == calendar.monthrange(day.year, day.month)[1]
        )
        by_weekday = (day.weekday() + 1) % 7 in self.weekdays
        return by_day or by_weekday if self.either else by_day and by_weekday


class Window:
    """Which instant each wall-clock minute of a zone fires at, between two instants."""

    def __init__(self, zone: ZoneInfo, start: datetime, end: datetime) -> None:
        self.zone, self.start, self.end = zone, start, end
        self.first: dict[datetime, datetime] = {}
        previous = None
        moment = start
        while moment <= end:
            wall = moment.astimezone(zone).replace(tzinfo=None)
            if previous is not None:
                skipped = previous + MINUTE
                while skipped < wall:  # the clock jumped over these: they fire now
                    self.first.setdefault(skipped, moment)
                    skipped += MINUTE
            self.first.setdefault(wall, moment)
            previous = wall if previous is None else max(previous, wall)
            moment += MINUTE

    def fires(self, expression: str) -> list[datetime]:
        expr = Expr.read(expression)
        found: set[datetime] = set()
        day = min(self.first).date()
        while day <= max(self.first).date():
            if expr.on(day):
                wall = datetime(day.year, day.month, day.day)
                for _ in range(24 * 60):
                    if wall.hour in expr.hours and wall.minute in expr.minutes:
                        moment = self.first.get(wall)
                        if moment is not None:
                            found.add(moment)
                    wall += MINUTE
            day += timedelta(days=1)
        return sorted(found)


def transitions(zone: ZoneInfo, years: tuple[int, ...] = (2026, 2027)) -> list[datetime]:
    """Every instant in those years at which the zone's offset changes."""
    found = []
    moment = datetime(years[0], 1, 1, tzinfo=UTC)
    end = datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        step = moment + timedelta(hours=1)
        if step.astimezone(zone).utcoffset() != offset:
            offset = step.astimezone(zone).utcoffset()
            while (step - MINUTE).astimezone(zone).utcoffset() == offset:
                step -= MINUTE  # to the minute: Lord Howe changes on the half hour
            found.append(step)
        moment = step
    return found


def random_schedule(rng: random.Random) -> str:
    """A five-field expression leaning on the hours and days clock changes happen at."""
    minute = rng.choice(["0", "30", "45", "15", "*/15", "*/20", "5-10", "0,30", "59", "*/7"])
    hour = rng.choice(
        ["0", "1", "2", "3", "1-3", "*", "*/2", "0,12", "2,3", "23", "*/5", "1,2", "22-2"]
    )
    if hour == "22-2":
        hour = "0-2,22-23"
    day = rng.choice(["*"] * 6 + ["1", "1,15", "29", "31", "5-9", "*/2", "last", "30"])
    month = rng.choice(["*"] * 6 + ["3", "3,4", "10", "4,9,10", "jan-jun", "*/3"])
    weekday = rng.choice(
        ["*"] * 6 + ["0", "7", "1", "mon", "sat-sun", "5-0", "1-5", "sun", "6,0", "*/3"]
    )
    return f"{minute} {hour} {day} {month} {weekday}"
