"""Opening a digest's run when its policy allows: quiet hours, max_per_hour, urgent rules.

What waits is never copied anywhere: held matches stay undelivered in `matches` until the run
that takes them, and a cron run held by quiet hours or a cap is one row in `digest_holds`. Both
live in the database, so a restart or a reload in the middle of quiet hours loses nothing, and
the run that takes them is one transaction, so nothing goes out twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.records import Digest, FeedNote
from monitor.config.load import Config, DigestConfig
from monitor.digest.policy import HOUR, Hold, hold
from monitor.digest.select import digest_lock, open_run, opened_for
from monitor.store import runs
from monitor.store.db import Database


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """What one attempt to send a digest did: the run it opened (if any) and why it waits."""

    opened: Digest | None
    held: Hold | None = None


def urgent_rules(config: Config, digest: str) -> list[str]:
    return [r.name for r in config.rules if r.digest == digest and r.urgent]


def open_due_run(
    db: Database,
    config: Config,
    digest: DigestConfig,
    now: datetime,
    *,
    scheduled: bool = False,
    scheduled_for: datetime | None = None,
    feeds: Sequence[FeedNote] = (),
) -> Release:
    """Send what the digest's policy allows now, in one transaction.

    `scheduled` is a cron digest's time coming; an instant digest sends whenever it is allowed,
    a cron one only at its time or, when that time was held, at the hold's end. Urgent rules'
    matches go out even while the rest waits. ``scheduled_for``, the cron time, opens one run
    however many workers fire for it.
    """
    with db.write(lock=digest_lock(digest.name)) as conn:
        if opened_for(conn, digest.name, scheduled_for):
            return Release(opened=None)  # another worker's clock fired first
        held_since = runs.held_since(conn, digest.name)
        if not (digest.instant or scheduled or held_since):
            return Release(opened=None)
        waiting = hold(
            quiet_hours=digest.quiet_hours,
            max_per_hour=digest.max_per_hour,
            timezone=digest.timezone,
            sends=runs.sends_since(conn, digest.name, now - HOUR),
            now=now,
        )
        if waiting is None:
            runs.unhold(conn, digest.name)
            opened = open_run(conn, config, digest, now, feeds=feeds, scheduled_for=scheduled_for)
            return Release(opened=opened)
        if not digest.instant and not held_since:
            runs.hold(conn, digest.name, now)
        urgent = urgent_rules(config, digest.name)
        opened = (
            open_run(conn, config, digest, now, rules=urgent, send_empty=False, feeds=feeds)
            if urgent
            else None
        )
        return Release(opened=opened, held=waiting)


def digest_hold(db: Database, digest: DigestConfig, now: datetime) -> Hold | None:
    """Why the digest would wait now (for `digest preview`), or None."""
    return hold(
        quiet_hours=digest.quiet_hours,
        max_per_hour=digest.max_per_hour,
        timezone=digest.timezone,
        sends=runs.sends_since(db.connection(), digest.name, now - HOUR),
        now=now,
    )
