"""The outbox's tables: deliveries (one per digest run and channel) with their claims, and the
channels a 410 disabled. The sending policy (backoff, giving up) is digest/outbox.py's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.store.db import Database
from monitor.store.records import from_iso, iso

_DELIVERY_COLUMNS = """id, run_id, digest, channel, status, attempts, created_at,
    next_attempt_at, sent_at, last_error"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One outbox row: a digest run's payload for one channel, and how sending it went."""

    id: str
    run_id: str | None
    digest: str
    channel: str
    status: str  # pending, sent, failed, disabled
    attempts: int
    created_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    payload: str = ""  # the digest as JSON; left out of listings


def _delivery(row: Any) -> Delivery:
    keys = row.keys()
    return Delivery(
        id=row["id"],
        run_id=row["run_id"],
        digest=row["digest"] or "",
        channel=row["channel"] or "",
        status=row["status"],
        attempts=int(row["attempts"] or 0),
        created_at=from_iso(row["created_at"]),
        next_attempt_at=from_iso(row["next_attempt_at"]),
        sent_at=from_iso(row["sent_at"]),
        last_error=row["last_error"],
        payload=row["payload"] if "payload" in keys else "",
    )


def pending_deliveries(db: Database, due_by: datetime | None) -> list[Delivery]:
    """Pending deliveries, oldest first; only those whose next attempt has come by ``due_by``
    unless it is None."""
    sql = f"SELECT {_DELIVERY_COLUMNS}, payload FROM deliveries WHERE status = 'pending'"
    params: tuple = ()
    if due_by is not None:
        sql += " AND next_attempt_at <= ?"
        params = (iso(due_by),)
    return [_delivery(r) for r in db.query(sql + " ORDER BY created_at, id", params)]


def claim_delivery(
    db: Database,
    delivery: str,
    now: datetime,
    *,
    owner: str,
    until: datetime,
    alive: Callable[[str], bool],
) -> bool:
    """Take the right to send one pending delivery until ``until``; refused while another
    holder's claim runs and ``alive`` says that holder may still hold it."""
    with db.write() as conn:
        row = conn.execute(
            "SELECT claimed_by, claimed_until FROM deliveries WHERE id = ? AND status = 'pending'",
            (delivery,),
        ).fetchone()
        if row is None:
            return False
        holder, claimed_until = row
        if (
            holder
            and holder != owner
            and (claimed_until or "") > (iso(now) or "")
            and alive(holder)
        ):
            return False
        # Compare and set: of two workers that read the same claim, only the first update
        # finds it unchanged (PostgreSQL re-reads the row once the first commits).
        taken = conn.execute(
            """UPDATE deliveries SET claimed_by = ?, claimed_until = ?
               WHERE id = ? AND status = 'pending'
                 AND COALESCE(claimed_by, '') = ? AND COALESCE(claimed_until, '') = ?""",
            (owner, iso(until), delivery, holder or "", claimed_until or ""),
        ).rowcount
    return bool(taken)


def mark_sent(db: Database, delivery: str, now: datetime) -> None:
    with db.write() as conn:
        conn.execute(
            """UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1,
               last_error = NULL, claimed_by = NULL WHERE id = ?""",
            (iso(now), delivery),
        )


def retry_later(db: Database, delivery: str, attempts: int, when: datetime, error: str) -> None:
    with db.write() as conn:
        conn.execute(
            """UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?,
               claimed_by = NULL WHERE id = ?""",
            (attempts, iso(when), error[:500], delivery),
        )


def finish(db: Database, delivery: str, status: str, error: str) -> None:
    """Done with a delivery for good (failed, disabled): it is tried no more."""
    with db.write() as conn:
        conn.execute(
            """UPDATE deliveries SET status = ?, last_error = ?, attempts = attempts + 1,
               claimed_by = NULL WHERE id = ?""",
            (status, error[:500], delivery),
        )


def disable_channel(db: Database, channel: str, reason: str, now: datetime) -> None:
    with db.write() as conn:
        conn.execute(
            """INSERT INTO channel_state (channel, disabled_at, reason) VALUES (?,?,?)
               ON CONFLICT (channel) DO UPDATE SET disabled_at = excluded.disabled_at,
               reason = excluded.reason""",
            (channel, iso(now), reason[:500]),
        )


def disabled_channels(db: Database) -> dict[str, str]:
    return {r[0]: r[1] or "" for r in db.query("SELECT channel, reason FROM channel_state")}


def enable_channels(db: Database, names: Sequence[str]) -> int:
    with db.write() as conn:
        return conn.executemany(
            "DELETE FROM channel_state WHERE channel = ?", [(n,) for n in names]
        ).rowcount


def recent_deliveries(db: Database, *, limit: int, offset: int = 0) -> list[Delivery]:
    """Outbox rows newest first, their payload left out (it is the whole digest)."""
    return [
        _delivery(r)
        for r in db.query(
            f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries
                ORDER BY created_at DESC, id LIMIT ? OFFSET ?""",
            (int(limit), int(offset)),
        )
    ]


def backlog(db: Database) -> int:
    return int(db.query("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")[0][0])
