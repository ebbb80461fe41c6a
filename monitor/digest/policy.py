"""When a digest may go out: quiet hours in its timezone and its hourly cap (pure, `now` passed in).

Held matches are simply undelivered ones (`select.py`), so a decision here never loses anything:
it only says until when the digest waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    """A digest waits until `until` (UTC) because of `reason`."""

    until: datetime
    reason: str  # "quiet hours 22:00-07:00" or "max_per_hour 6"


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """`22:00-07:00` -> (22:00, 07:00); the config loader has already checked the form."""
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(quiet_hours: str | None, timezone: str, now: datetime) -> datetime | None:
    """The end (UTC) of the quiet hours `now` falls in, or None outside them.

    Decided on the wall clock of the digest's timezone, so a DST change moves the quiet hours
    with the clock people live by; a range whose start is after its end wraps midnight.
    """
    if not quiet_hours:
        return None
    start, end = parse_quiet_hours(quiet_hours)
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= wall < end:
            return None
        end_day = local.date()
    else:
        if end <= wall < start:
            return None
        end_day = local.date() + timedelta(days=1) if wall >= start else local.date()
    # An end inside a spring-forward gap (02:30 that never happens) resolves to just after it.
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def cap_until(
    max_per_hour: int | None, sends: Sequence[datetime], now: datetime
) -> datetime | None:
    """When the next send is allowed if `max_per_hour` sends already went out in the last hour.

    The hour is a sliding one, not the clock hour: six sends at 10:55 and a seventh at 11:01
    would be seven within ten minutes.
    """
    if not max_per_hour:
        return None
    recent = sorted(t for t in sends if now - HOUR < t <= now)
    if len(recent) < max_per_hour:
        return None
    return recent[-max_per_hour] + HOUR


def hold(
    *,
    quiet_hours: str | None,
    max_per_hour: int | None,
    timezone: str,
    sends: Sequence[datetime],
    now: datetime,
) -> Hold | None:
    """Why and until when a digest must wait now, or None when it may go out."""
    quiet_end = quiet_until(quiet_hours, timezone, now)
    when = quiet_end or now
    capped = cap_until(max_per_hour, sends, when)
    if capped is not None:
        return Hold(until=capped, reason=f"max_per_hour {max_per_hour}")
    if quiet_end is not None:
        return Hold(until=quiet_end, reason=f"quiet hours {quiet_hours}")
    return None
