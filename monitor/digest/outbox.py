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
from alerts.records import digest_from_json
from monitor import metrics
from monitor.store.db import Database
from monitor.store.store import from_iso, iso

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
    sql = "SELECT * FROM deliveries WHERE status = 'pending'"
    params: tuple = ()
    if not ignore_backoff:
        sql += " AND next_attempt_at <= ?"
        params = (iso(now),)
    reports = []
    for row in db.query(sql + " ORDER BY created_at, id", params):
        channel = channels.get(row["channel"])
        if row["channel"] in disabled or channel is None:
            reason = (
                "channel disabled" if row["channel"] in disabled else "channel no longer configured"
            )
            reports.append(
                _finish(
                    db, row, "disabled" if row["channel"] in disabled else "failed", reason, now
                )
            )
            continue
        if not claim(db, row["id"], now):
            continue  # another process is sending it right now
        reports.append(_send_one(db, row, channel, clock() if clock else now))
    return reports


def claim(db: Database, delivery: str, now: datetime, owner: str = ME) -> bool:
    """Take the right to send one delivery; refused while another live process holds it.

    A claim of a process that died (SIGKILL between send and mark) lapses at once on this host,
    elsewhere when its lease ends; the delivery is then resent with its same id.
    """
    with db.write() as conn:
        row = conn.execute(
            "SELECT claimed_by, claimed_until FROM deliveries WHERE id = ? AND status = 'pending'",
            (delivery,),
        ).fetchone()
        if row is None:
            return False
        holder, until = row
        if holder and holder != owner and (until or "") > (iso(now) or "") and _alive(holder):
            return False
        # Compare and set: of two workers that read the same claim, only the first update
        # finds it unchanged (PostgreSQL re-reads the row once the first commits).
        taken = conn.execute(
            """UPDATE deliveries SET claimed_by = ?, claimed_until = ?
               WHERE id = ? AND status = 'pending'
                 AND COALESCE(claimed_by, '') = ? AND COALESCE(claimed_until, '') = ?""",
            (owner, iso(now + CLAIM_LEASE), delivery, holder or "", until or ""),
        ).rowcount
    return bool(taken)


def _alive(holder: str) -> bool:
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


def _send_one(db: Database, row: Any, channel: Any, now: datetime) -> DeliveryReport:
    try:
        channel.send(digest_from_json(row["payload"]), row["id"])
    except DeliveryError as exc:
        if exc.disable:
            _disable_channel(db, row["channel"], str(exc), now)
            log.error("channel disabled channel=%s: %s", row["channel"], exc)
            return _finish(db, row, "disabled", str(exc), now)
        return _retry_later(db, row, str(exc), now, exc.retry_after)
    except Exception as exc:  # a channel bug must not stop the outbox
        log.exception("delivery crashed channel=%s delivery=%s", row["channel"], row["id"])
        return _retry_later(db, row, f"{type(exc).__name__}: {exc}", now, None)
    mark_sent(db, row["id"], now)
    log.info("delivered channel=%s digest=%s delivery=%s", row["channel"], row["digest"], row["id"])
    metrics.record_delivery(row["channel"], "sent")
    return DeliveryReport(id=row["id"], channel=row["channel"], digest=row["digest"], status="sent")


def mark_sent(db: Database, delivery: str, now: datetime) -> None:
    """The channel accepted it: only now is it sent (a crash before this line means a resend)."""
    with db.write() as conn:
        conn.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL, claimed_by = NULL WHERE id = ?",
            (iso(now), delivery),
        )


def _retry_later(
    db: Database, row: Any, error: str, now: datetime, retry_after: float | None
) -> DeliveryReport:
    attempts = row["attempts"] + 1
    when = retry_at(
        attempts=attempts,
        created_at=from_iso(row["created_at"]) or now,
        now=now,
        retry_after=retry_after,
    )
    if when is None:
        log.error(
            "delivery given up after 48 h channel=%s delivery=%s: %s",
            row["channel"],
            row["id"],
            error,
        )
        return _finish(db, row, "failed", f"gave up after {attempts} attempts: {error}", now)
    with db.write() as conn:
        conn.execute(
            "UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?, claimed_by = NULL WHERE id = ?",
            (attempts, iso(when), error[:500], row["id"]),
        )
    log.warning(
        "delivery failed channel=%s delivery=%s attempt=%d retry_at=%s: %s",
        row["channel"],
        row["id"],
        attempts,
        iso(when),
        error[:200],
    )
    metrics.record_delivery(row["channel"], "retry")
    return DeliveryReport(
        id=row["id"], channel=row["channel"], digest=row["digest"], status="pending", error=error
    )


def _finish(db: Database, row: Any, status: str, error: str, now: datetime) -> DeliveryReport:
    with db.write() as conn:
        conn.execute(
            "UPDATE deliveries SET status = ?, last_error = ?, attempts = attempts + 1, claimed_by = NULL WHERE id = ?",
            (status, error[:500], row["id"]),
        )
    metrics.record_delivery(row["channel"], status)
    return DeliveryReport(
        id=row["id"], channel=row["channel"], digest=row["digest"], status=status, error=error
    )


def _disable_channel(db: Database, channel: str, reason: str, now: datetime) -> None:
    with db.write() as conn:
        conn.execute(
            """INSERT INTO channel_state (channel, disabled_at, reason) VALUES (?,?,?)
               ON CONFLICT (channel) DO UPDATE SET disabled_at = excluded.disabled_at, reason = excluded.reason""",
            (channel, iso(now), reason[:500]),
        )


def disabled_channels(db: Database) -> dict[str, str]:
    return {r[0]: r[1] or "" for r in db.query("SELECT channel, reason FROM channel_state")}


def enable_channels(db: Database, names: list[str]) -> int:
    """Channels stay disabled (after a 410) until `deliveries --enable NAME` calls this."""
    with db.write() as conn:
        return conn.executemany(
            "DELETE FROM channel_state WHERE channel = ?", [(n,) for n in names]
        ).rowcount


def outbox_rows(db: Database, limit: int = 200) -> list[dict]:
    return [
        dict(r)
        for r in db.query(
            """SELECT id, digest, channel, status, attempts, created_at, next_attempt_at, sent_at, last_error
               FROM deliveries ORDER BY created_at DESC LIMIT ?""",
            (limit,),
        )
    ]


def backlog(db: Database) -> int:
    return int(db.query("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")[0][0])
