"""When a cron schedule fires, in its timezone, across every clock change (pure).

A schedule names wall-clock times, and each one it names fires once:
- a time a spring-forward skips fires at the end of the gap, the first instant after the jump
  (several skipped times of one gap fire once, there);
- a time a fall-back repeats fires at its first pass only;
- every other time fires when the zone's clock shows it.
So no time is lost and none doubled, whatever the size of the change (Lord Howe moves by 30
minutes, Santiago at midnight). APScheduler 3.11's CronTrigger loses the next fire after a
spring-forward (`0 0 * * mon` in London after 23 March 2026 gives 6 April, not 30 March), so
the service asks `next_fire` instead (`service/crontrigger.py`).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.config.cron import Cron

# A schedule that fires at all fires within eight years (29 February on a given weekday, or
# in a leap year after a century that is not one); past that it never will.
_HORIZON_DAYS = 8 * 366 + 7


def next_fire(cron: Cron, after: datetime, zone: ZoneInfo) -> datetime | None:
    """The first instant strictly after ``after`` (aware) at which ``cron`` fires in ``zone``,
    in UTC; None when it never fires again (`0 0 30 2 *`)."""
    after = after.astimezone(UTC)
    # Only a gap moves a time later, and no gap is longer than a day (Samoa skipped 30
    # December 2011): wall-clock times further back cannot fire after `after`. Start the day
    # before, as a gap can move a time of one date past the next midnight.
    floor = _wall(after, zone) - timedelta(hours=26)
    day = floor.date()
    hours = sorted(cron.hours)
    minutes = sorted(cron.minutes)
    for _ in range(_HORIZON_DAYS):
        if _runs_on(cron, day):
            for hour in hours:
                if datetime.combine(day, time(hour, 59)) < floor:
                    continue
                for minute in minutes:
                    wall = datetime.combine(day, time(hour, minute))
                    moment = _instant(wall, zone)
                    # Wall-clock order is instant order (a gap's times all land on its end, a
                    # repeated time on its first pass): the first one past `after` is next.
                    if moment > after:
                        return moment
        day += timedelta(days=1)
    return None


def fire_times(cron: Cron, after: datetime, until: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every fire time in (after, until], in order."""
    found: list[datetime] = []
    moment = next_fire(cron, after, zone)
    while moment is not None and moment <= until:
        found.append(moment)
        moment = next_fire(cron, moment, zone)
    return found


def never_fires(cron: Cron) -> bool:
    """A schedule whose days of the month exist in none of its months (`0 0 30 2 *`)."""
    if cron.last_day or not cron.days_restricted or cron.either_day:
        return False
    longest = max(calendar.monthrange(2024, month)[1] for month in cron.months)  # a leap year
    return min(cron.days) > longest


def _runs_on(cron: Cron, day: date) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    return cron.day_matches(day.day, day.weekday(), day.month, length)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time of ``zone`` fires at: the first at which the clock
    shows it, or the end of the gap it falls in."""
    readings = [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    shown = [moment for moment in readings if _wall(moment, zone) == wall]
    if shown:
        return min(shown)
    # In a gap, fold=0 reads the time with the offset before the change and fold=1 with the
    # one after: the change lies between the two readings. Find it to the second.
    low, high = min(readings), max(readings)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) > wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)
