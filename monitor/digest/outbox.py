"""The outbox: sending pending deliveries, retrying with backoff across restarts, marking them sent."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.errors import DeliveryError
from alerts.records import Digest, digest_from_json
from monitor import metrics
from monitor.store import outbox as table
from monitor.store.db import Database
from monitor.store.outbox import Delivery, disabled_channels
from monitor.store.records import iso

log = logging.getLogger("monitor.outbox")

# One sender at a time: the instant digests of parallel polls and the outbox job would otherwise
# read the same pending row at once and send it two or three times. Between processes (the
# service and a `deliveries --retry`), a claim on the row does the same.
_SENDING = threading.Lock()
CLAIM_LEASE = timedelta(minutes=5)  # longer than any channel's send timeout
ME = f"{socket.gethostname()}:{os.getpid()}"

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(hours=48)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    id: str
    channel: str
    digest: str
    status: str  # sent, pending (will retry), failed (gave up), disabled
    error: str | None = None


def retry_at(
    *, attempts: int, created_at: datetime, now: datetime, retry_after: float | None = None
) -> datetime | None:
    """When to try again after `attempts` failures: 1 min doubling to 6 h; None once 48 h have passed."""
    delay = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    if retry_after is not None:
        delay = max(timedelta(seconds=retry_after), timedelta(seconds=1))
    when = now + delay
    return None if when - created_at > GIVE_UP_AFTER else when


def deliver_pending(
    db: Database,
    channels: Mapping[str, Any],
    now: datetime,
    *,
    ignore_backoff: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> list[DeliveryReport]:
    """Send every pending delivery that is due; one failing channel never holds up the others."""
    with _SENDING:
        return _deliver_due(db, channels, now, ignore_backoff=ignore_backoff, clock=clock)


def _deliver_due(
    db: Database,
    channels: Mapping[str, Any],
    now: datetime,
    *,
    ignore_backoff: bool,
    clock: Callable[[], datetime] | None,
) -> list[DeliveryReport]:
    disabled = set(disabled_channels(db))
    reports = []
    for row in table.pending_deliveries(db, None if ignore_backoff else now):
        channel = channels.get(row.channel)
        if row.channel in disabled or channel is None:
            reason = (
                "channel disabled" if row.channel in disabled else "channel no longer configured"
            )
            status = "disabled" if row.channel in disabled else "failed"
            reports.append(_finish(db, row, status, reason))
            continue
        if not claim(db, row.id, now):
            continue  # another process is sending it right now
        reports.append(_send_one(db, row, channel, clock() if clock else now))
    return reports


def claim(db: Database, delivery: str, now: datetime, owner: str = ME) -> bool:
    """Take the right to send one delivery; refused while another live process holds it.

    A claim of a process that died (SIGKILL between send and mark) lapses at once on this host,
    elsewhere when its lease ends; the delivery is then resent with its same id.
    """
    return table.claim_delivery(
        db, delivery, now, owner=owner, until=now + CLAIM_LEASE, alive=alive
    )


def alive(holder: str) -> bool:
    """Whether the process ``host:pid`` may still hold a claim: on this host, whether it runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's claim: trust its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _send_one(db: Database, row: Delivery, channel: Any, now: datetime) -> DeliveryReport:
    try:
        digest = digest_from_json(row.payload)
        channel.send(digest, row.id)
    except DeliveryError as exc:
        if exc.disable:
            table.disable_channel(db, row.channel, str(exc), now)
            log.error("channel disabled channel=%s: %s", row.channel, exc)
            return _finish(db, row, "disabled", str(exc))
        return _retry_later(db, row, str(exc), now, exc.retry_after)
    except Exception as exc:  # a channel bug must not stop the outbox
        log.exception("delivery crashed channel=%s delivery=%s", row.channel, row.id)
        return _retry_later(db, row, f"{type(exc).__name__}: {exc}", now, None)
    mark_sent(db, row.id, now)
    log.info("delivered channel=%s digest=%s delivery=%s", row.channel, row.digest, row.id)
    metrics.record_delivery(row.channel, "sent")
    metrics.record_delivery_delays(row.channel, delivery_delays(digest, now))
    return DeliveryReport(id=row.id, channel=row.channel, digest=row.digest, status="sent")


def delivery_delays(digest: Digest, sent: datetime) -> list[float]:
    """Seconds from first seen to sent of each entry a digest carried (time to alert, second
    half: DESIGN §17); entries of rows written before entries said when they were seen have none."""
    entries = [e for section in digest.sections for e in section.entries]
    entries += [e for spike in digest.spikes for e in spike.entries]
    return [max(0.0, (sent - e.detected_at).total_seconds()) for e in entries if e.detected_at]


def mark_sent(db: Database, delivery: str, now: datetime) -> None:
    """The channel accepted it: only now is it sent (a crash before this line means a resend)."""
    table.mark_sent(db, delivery, now)


def _retry_later(
    db: Database, row: Delivery, error: str, now: datetime, retry_after: float | None
) -> DeliveryReport:
    attempts = row.attempts + 1
    when = retry_at(
        attempts=attempts, created_at=row.created_at or now, now=now, retry_after=retry_after
    )
    if when is None:
        log.error(
            "delivery given up after 48 h channel=%s delivery=%s: %s", row.channel, row.id, error
        )
        return _finish(db, row, "failed", f"gave up after {attempts} attempts: {error}")
    table.retry_later(db, row.id, attempts, when, error)
    log.warning(
        "delivery failed channel=%s delivery=%s attempt=%d retry_at=%s: %s",
        row.channel,
        row.id,
        attempts,
        iso(when),
        error[:200],
    )
    metrics.record_delivery(row.channel, "retry")
    return DeliveryReport(
        id=row.id, channel=row.channel, digest=row.digest, status="pending", error=error
    )


def _finish(db: Database, row: Delivery, status: str, error: str) -> DeliveryReport:
    table.finish(db, row.id, status, error)
    metrics.record_delivery(row.channel, status)
    return DeliveryReport(
        id=row.id, channel=row.channel, digest=row.digest, status=status, error=error
    )


def outbox_rows(db: Database, limit: int = 200) -> list[Delivery]:
    """The outbox newest first, for `news-monitor deliveries`."""
    return table.recent_deliveries(db, limit=limit)
