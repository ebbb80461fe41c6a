"""Feeds and their leases: a feed's polling state, which feeds are due, claiming them for a
worker, writing a poll's outcome, and the recent items adaptive polling reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.records import FeedHealth, FeedPoll, FeedState, from_iso, iso
from monitor.store.sql import insert_rows, marks

MAX_RECENT_ITEMS = 500  # a window's rate is read from its newest items at most


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentItems:
    """(published, first seen) of a feed's items first seen since a time, newest first;
    ``older``: the feed had delivered items before it."""

    items: tuple[tuple[datetime | None, datetime], ...]
    older: bool


class FeedsMixin:
    db: Database

    def feed_state(self, url: str) -> FeedState | None:
        rows = self.db.query("SELECT * FROM feeds WHERE url = ?", (url,))
        if not rows:
            return None
        r = rows[0]
        return FeedState(
            url=r["url"],
            etag=r["etag"],
            last_modified=r["last_modified"],
            body_hash=r["body_hash"],
            consecutive_failures=r["consecutive_failures"],
            next_check_at=from_iso(r["next_check_at"]),
            redirect_to=r["redirect_to"],
            gone=bool(r["gone"]),
            backlog_done=bool(r["backlog_done"]),
            last_polled_at=from_iso(r["last_polled_at"]),
        )

    def due_feeds(self, urls: Iterable[str], now: datetime) -> list[str]:
        """Of the configured feeds, those due now (DUE), most overdue first."""
        configured = self._add_feeds(urls)
        rows = self.db.query(f"SELECT url, next_check_at FROM feeds WHERE {DUE}", (iso(now),))
        due = sorted((r[1] or "", r[0]) for r in rows if r[0] in configured)
        return [url for _, url in due]

    def claim_due_feeds(
        self,
        urls: Sequence[str],
        now: datetime,
        *,
        owner: str,
        lease: timedelta,
        limit: int,
        alive: Callable[[str], bool] = lambda holder: True,
        due_by: datetime | None = None,
    ) -> list[str]:
        """Up to ``limit`` of the configured feeds due by ``due_by`` (default: now) and free,
        claimed for ``owner`` until ``now + lease``, most overdue first: several workers on
        one database each poll a feed only while they hold its lease (DESIGN §15). A poll's
        row ends the lease; a worker that dies leaves it to run out, and then another claims
        the feed.

        Rows other workers are claiming at this moment are skipped, not waited for (``FOR
        UPDATE SKIP LOCKED`` on PostgreSQL; SQLite lets one writer in at a time anyway).
        A lease whose holder is known dead (``alive``: a process of this host that is gone, as
        after a SIGKILL and restart) lapses at once.
        """
        stamp = iso(now)
        configured = self._add_feeds(urls)
        holders = self.db.query(
            "SELECT DISTINCT leased_by FROM feeds WHERE leased_until > ?", (stamp,)
        )
        dead = sorted(h for (h,) in holders if h and h != owner and not alive(h)) or [""]
        claimable = f"{DUE} AND {FREE.format(dead=marks(dead))}"
        params = (iso(due_by or now), stamp, *dead)
        rows = self.db.query(f"SELECT next_check_at, url FROM feeds WHERE {claimable}", params)
        queue = claim_order((r[0] or "", r[1]) for r in rows if r[1] in configured)
        claimed: list[str] = []
        while queue and len(claimed) < limit:
            window, queue = queue[: limit - len(claimed)], queue[limit - len(claimed) :]
            with self.db.write() as conn:
                got = {
                    r[0]
                    for r in conn.execute(
                        f"""SELECT url FROM feeds WHERE url IN ({marks(window)}) AND {claimable}
                            {self.db.skip_locked}""",
                        (*window, *params),
                    )
                }
                if got:
                    conn.execute(
                        f"UPDATE feeds SET leased_by = ?, leased_until = ? WHERE url IN ({marks(list(got))})",
                        (owner, iso(now + lease), *got),
                    )
            claimed += [url for url in window if url in got]
        return claimed

    def _add_feeds(self, urls: Iterable[str]) -> set[str]:
        """A row for each configured feed never polled (to hold its lease); returns the urls."""
        configured = set(urls)
        known = {r[0] for r in self.db.query("SELECT url FROM feeds")}
        missing = [(url,) for url in sorted(configured - known)]
        if missing:
            with self.db.write() as conn:
                insert_rows(
                    conn, "INSERT INTO feeds (url)", missing, "ON CONFLICT (url) DO NOTHING"
                )
        return configured

    def release_feeds(self, owner: str, urls: Sequence[str] | None = None) -> int:
        """Give up ``owner``'s leases (of ``urls`` only, when given): others may poll them now."""
        listed = [] if urls is None else list(urls) or [""]
        only = f" AND url IN ({marks(listed)})" if listed else ""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE feeds SET leased_by = NULL, leased_until = NULL WHERE leased_by = ?{only}",
                (owner, *listed),
            ).rowcount

    def record_poll(self, poll: FeedPoll) -> None:
        with self.db.write() as conn:
            write_poll(conn, poll)

    def recent_items(self, feed: str, since: datetime) -> RecentItems:
        """The items ``feed`` delivered since ``since`` (its own source rows: an article it
        carried after another feed counts for both), in two short reads (DESIGN §17)."""
        stamp = iso(since)
        rows = self.db.query(
            """SELECT a.published, s.first_seen FROM article_sources s
               JOIN articles a ON a.id = s.article_id
               WHERE s.feed = ? AND s.first_seen >= ? ORDER BY s.first_seen DESC LIMIT ?""",
            (feed, stamp, MAX_RECENT_ITEMS),
        )
        older = self.db.query(
            "SELECT 1 FROM article_sources WHERE feed = ? AND first_seen < ? LIMIT 1",
            (feed, stamp),
        )
        items = [(from_iso(published), from_iso(seen)) for published, seen in rows]
        return RecentItems(
            items=tuple((p, seen) for p, seen in items if seen is not None), older=bool(older)
        )

    def feed_health(self) -> list[FeedHealth]:
        return [
            FeedHealth(
                url=r["url"],
                name=r["name"],
                last_polled_at=from_iso(r["last_polled_at"]),
                last_status=r["last_status"],
                last_outcome=r["last_outcome"],
                last_error=r["last_error"],
                last_warning=r["last_warning"],
                consecutive_failures=int(r["consecutive_failures"] or 0),
                next_check_at=from_iso(r["next_check_at"]),
                redirect_to=r["redirect_to"],
                gone=bool(r["gone"]),
                articles=int(r["articles"]),
            )
            for r in self.db.query(
                """SELECT f.*, COALESCE(c.articles, 0) AS articles
                   FROM feeds f LEFT JOIN feed_counts c ON c.feed = f.url ORDER BY f.url"""
            )
        ]


# The one rule of which feeds are due (parameter: the time they are due by): their next check
# has come, or they were never polled; and not gone.
DUE = """(gone = 0 AND (next_check_at <= ?
          OR (next_check_at IS NULL AND last_polled_at IS NULL)))"""
# ... and free to claim (parameters: now, then the holders known dead): nobody's lease runs.
FREE = "(leased_until IS NULL OR leased_until <= ? OR leased_by IN ({dead}))"


def claim_order(candidates: Iterable[tuple[str, str]]) -> list[str]:
    """Due feeds ``(next_check_at, url)`` in the order to claim them: the most overdue minute
    first, and within a minute one host at a time. Sorted by URL alone, a batch would be one
    publisher's feeds, and the per-host limit would leave all but two poll threads waiting."""
    ranked: Counter[tuple[str, str]] = Counter()
    keyed = []
    for due, url in sorted(candidates):
        minute, host = due[:16], urlsplit(url).netloc
        keyed.append(((minute, ranked[minute, host], due, url), url))
        ranked[minute, host] += 1
    return [url for _, url in sorted(keyed)]


def write_poll(conn: Connection, poll: FeedPoll) -> None:
    conn.execute(
        "INSERT INTO feeds (url, name) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
        (poll.url, poll.name),
    )
    validators = (
        ""
        if poll.keep_validators
        else ", etag = :etag, last_modified = :last_modified, body_hash = COALESCE(:body_hash, body_hash)"
    )
    conn.execute(
        f"""UPDATE feeds SET name = :name, last_polled_at = :polled_at, last_status = :status,
                last_outcome = :outcome, last_error = :error, last_warning = :warning,
                consecutive_failures = :failures, next_check_at = :next_check_at,
                failing_since = CASE WHEN :failures = 0 THEN NULL
                                     ELSE COALESCE(failing_since, :polled_at) END,
                redirect_to = COALESCE(:redirect_to, redirect_to), gone = :gone,
                backlog_done = CASE WHEN :ok = 1 THEN 1 ELSE backlog_done END,
                entries_seen = entries_seen + :entries, leased_by = NULL, leased_until = NULL {validators}
                WHERE url = :url""",
        {
            "url": poll.url,
            "name": poll.name,
            "polled_at": iso(poll.polled_at),
            "status": poll.status,
            "outcome": poll.outcome,
            "error": poll.error,
            "warning": poll.warning,
            "failures": poll.failures,
            "next_check_at": iso(poll.next_check_at),
            "redirect_to": poll.redirect_to,
            "gone": int(poll.outcome == "gone"),
            "ok": int(poll.outcome in ("ok", "unchanged", "not_modified")),
            "entries": poll.entries_seen,
            "etag": poll.etag,
            "last_modified": poll.last_modified,
            "body_hash": poll.body_hash,
        },
    )
