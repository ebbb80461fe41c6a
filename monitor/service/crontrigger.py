"""The APScheduler trigger of a cron digest: it asks `config/crontimes.py` for each fire time.

APScheduler 3.11's own CronTrigger loses the next fire after a spring-forward and repeats a
fixed time at a fall-back; this one only runs the jobs at the times `next_fire` computes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from monitor.config.cron import Cron, parse_cron
from monitor.config.crontimes import next_fire


class ScheduleTrigger(BaseTrigger):
    """Fires a job at a cron schedule's times in its timezone."""

    __slots__ = ("cron", "zone")

    def __init__(self, schedule: str | Cron, timezone: str) -> None:
        self.cron = parse_cron(schedule) if isinstance(schedule, str) else schedule
        self.zone = ZoneInfo(timezone)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # As APScheduler's own triggers: the first time at or after `now`, or right after the
        # previous fire when the scheduler walks through the times a pause made it miss.
        if previous_fire_time is None:
            start = now - timedelta(microseconds=1)
        else:
            start = min(now, previous_fire_time)
        moment = next_fire(self.cron, start, self.zone)
        return moment.astimezone(self.zone) if moment else None

    def __str__(self) -> str:
        return f"cron[{self.cron.expression}, {self.zone.key}]"

    def __repr__(self) -> str:
        return f"<ScheduleTrigger ({self.cron.expression!r}, timezone={self.zone.key!r})>"
