"""WebSub subscriptions (DESIGN §17): one row per feed that names a hub, with its callback id,
its own secret, its state and lease, and when the service next talks to the hub about it.

States: ``discovered`` (to subscribe), ``requested`` (asked, waiting for the hub's
verification), ``active`` (verified, leased until ``lease_until``), ``denied`` or ``failed``
(the hub refused or did not answer: retried later), ``leaving`` (unsubscribe asked: the feed
left the config). The secret is read only to check a signature and to send it to the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.records import from_iso, iso


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    feed: str
    callback: str  # the id in /websub/<id>
    hub: str
    topic: str
    secret: str = ""  # never shown, never logged
    state: str = "discovered"
    lease_seconds: int | None = None
    lease_until: datetime | None = None
    requested_at: datetime | None = None
    verified_at: datetime | None = None
    next_action_at: datetime | None = None
    failures: int = 0
    last_push_at: datetime | None = None
    pushes: int = 0
    error: str | None = None

    def live(self, now: datetime) -> bool:
        """The hub pushes this feed now: verified, and the lease still runs (a renewal
        under way keeps it)."""
        return (
            self.state in ("active", "requested")
            and self.lease_until is not None
            and self.lease_until > now
        )


_COLUMNS = """feed, callback, hub, topic, secret, state, lease_seconds, lease_until, requested_at,
    verified_at, next_action_at, failures, last_push_at, pushes, error"""


class SubscriptionsMixin:
    db: Database

    def subscriptions(self) -> list[Subscription]:
        return [
            _subscription(r)
            for r in self.db.query(f"SELECT {_COLUMNS} FROM websub_subscriptions ORDER BY feed")
        ]

    def subscription(self, feed: str) -> Subscription | None:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM websub_subscriptions WHERE feed = ?", (feed,))
        return _subscription(rows[0]) if rows else None

    def subscription_by_callback(self, callback: str) -> Subscription | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM websub_subscriptions WHERE callback = ?", (callback,)
        )
        return _subscription(rows[0]) if rows else None

    def note_hub(self, new: Subscription, now: datetime) -> bool:
        """A poll found ``new.hub`` / ``new.topic`` in a feed: a new row to subscribe, or the
        row of a feed whose hub or topic changed subscribed again (its secret kept). Returns
        whether anything changed."""
        with self.db.write() as conn:
            changed = conn.execute(
                """UPDATE websub_subscriptions SET hub = ?, topic = ?, state = 'discovered',
                       next_action_at = ?, failures = 0, error = NULL
                   WHERE feed = ? AND (hub <> ? OR topic <> ?)""",
                (new.hub, new.topic, iso(now), new.feed, new.hub, new.topic),
            ).rowcount
            inserted = conn.execute(
                f"""INSERT INTO websub_subscriptions ({_COLUMNS}) VALUES
                    (?, ?, ?, ?, ?, 'discovered', NULL, NULL, NULL, NULL, ?, 0, NULL, 0, NULL)
                    ON CONFLICT (feed) DO NOTHING""",
                (new.feed, new.callback, new.hub, new.topic, new.secret, iso(now)),
            ).rowcount
        return bool(changed or inserted)

    def claim_subscription_actions(self, now: datetime, hold: timedelta) -> list[Subscription]:
        """Rows whose time to talk to the hub has come, each taken by one worker: its next
        action moves ``hold`` ahead (a worker that dies mid-request leaves it to run out)."""
        due = self.db.query(
            f"""SELECT {_COLUMNS} FROM websub_subscriptions
                WHERE next_action_at IS NOT NULL AND next_action_at <= ? ORDER BY next_action_at""",
            (iso(now),),
        )
        won = []
        with self.db.write() as conn:
            for row in due:
                if conn.execute(
                    """UPDATE websub_subscriptions SET next_action_at = ?
                       WHERE feed = ? AND next_action_at = ?""",
                    (iso(now + hold), row["feed"], row["next_action_at"]),
                ).rowcount:
                    won.append(_subscription(row))
        return won

    def subscription_requested(
        self, feed: str, *, leaving: bool, now: datetime, retry_at: datetime
    ) -> None:
        """Written before the request goes out: a hub may verify before it answers."""
        with self.db.write() as conn:
            conn.execute(
                """UPDATE websub_subscriptions SET state = ?, requested_at = ?, next_action_at = ?
                   WHERE feed = ?""",
                ("leaving" if leaving else "requested", iso(now), iso(retry_at), feed),
            )

    def subscription_refused(
        self, feed: str, *, state: str, error: str, retry_at: datetime, now: datetime
    ) -> None:
        """The hub refused or did not answer (``failed``), or denied the subscription
        (``denied``): retried at ``retry_at``; the feed is polled as before, now."""
        with self.db.write() as conn:
            conn.execute(
                """UPDATE websub_subscriptions SET state = ?, error = ?, next_action_at = ?,
                       failures = failures + 1, lease_until = NULL
                   WHERE feed = ? AND state IN ('requested', 'active', 'discovered')""",
                (state, error[:300], iso(retry_at), feed),
            )
            _poll_soon(conn, feed, now)

    def subscription_verified(
        self, feed: str, *, lease_seconds: int, now: datetime, renew_at: datetime
    ) -> None:
        with self.db.write() as conn:
            conn.execute(
                """UPDATE websub_subscriptions SET state = 'active', lease_seconds = ?,
                       lease_until = ?, verified_at = ?, next_action_at = ?, failures = 0,
                       error = NULL
                   WHERE feed = ?""",
                (
                    lease_seconds,
                    iso(now + timedelta(seconds=lease_seconds)),
                    iso(now),
                    iso(renew_at),
                    feed,
                ),
            )

    def subscriptions_lapsed(self, now: datetime) -> list[str]:
        """Active rows whose lease ran out unrenewed (the service was down, say): subscribed
        again now, and their feeds polled as before meanwhile."""
        stamp = iso(now)
        with self.db.write() as conn:
            feeds = [
                r[0]
                for r in conn.execute(
                    """SELECT feed FROM websub_subscriptions
                       WHERE state = 'active' AND lease_until <= ?""",
                    (stamp,),
                )
            ]
            for feed in feeds:
                conn.execute(
                    """UPDATE websub_subscriptions SET state = 'discovered', next_action_at = ?
                       WHERE feed = ?""",
                    (stamp, feed),
                )
                _poll_soon(conn, feed, now)
        return feeds

    def resubscribe_all(self, now: datetime) -> int:
        """At start: every subscription is asked for again now (a hub may have dropped ours
        while this service could not answer it), leaving ones asked to end again."""
        with self.db.write() as conn:
            return conn.execute(
                "UPDATE websub_subscriptions SET next_action_at = ?", (iso(now),)
            ).rowcount

    def leave_subscriptions(self, feeds: list[str], now: datetime) -> None:
        """Feeds gone from the config: their subscriptions are to be ended now."""
        with self.db.write() as conn:
            for feed in feeds:
                conn.execute(
                    """UPDATE websub_subscriptions SET state = 'leaving', next_action_at = ?,
                           requested_at = NULL
                       WHERE feed = ? AND state <> 'leaving'""",
                    (iso(now), feed),
                )

    def forget_subscription(self, feed: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM websub_subscriptions WHERE feed = ?", (feed,))

    def record_push(self, feed: str, now: datetime) -> None:
        with self.db.write() as conn:
            conn.execute(
                """UPDATE websub_subscriptions SET pushes = pushes + 1, last_push_at = ?
                   WHERE feed = ?""",
                (iso(now), feed),
            )


def _poll_soon(conn: Connection, feed: str, now: datetime) -> None:
    # A feed polled at push_poll while its hub pushed must not wait hours once it stops.
    conn.execute(
        "UPDATE feeds SET next_check_at = ? WHERE url = ? AND next_check_at > ?",
        (iso(now), feed, iso(now)),
    )


def _subscription(row: Any) -> Subscription:  # a row of either backend, by column name
    return Subscription(
        feed=row["feed"],
        callback=row["callback"],
        hub=row["hub"],
        topic=row["topic"],
        secret=row["secret"],
        state=row["state"],
        lease_seconds=row["lease_seconds"],
        lease_until=from_iso(row["lease_until"]),
        requested_at=from_iso(row["requested_at"]),
        verified_at=from_iso(row["verified_at"]),
        next_action_at=from_iso(row["next_action_at"]),
        failures=row["failures"],
        last_push_at=from_iso(row["last_push_at"]),
        pushes=row["pushes"],
        error=row["error"],
    )
