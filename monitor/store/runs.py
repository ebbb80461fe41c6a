"""Digest runs: the matches and spikes no run has taken yet, a run's row and its outbox rows,
the cron runs held by quiet hours or a cap, and the sends a cap counts. Every function that
takes a connection runs inside the caller's write transaction (digest/release.py opens it
under the digest's named lock), so a run takes its matches exactly once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.records import MatchedRow, from_iso, iso, matched_row

# The columns of a match joined with its article, as MatchedRow reads them.
MATCH_COLUMNS = """m.article_id, m.rule, m.digest, m.terms, m.hits, m.matched_at, m.run_id,
    a.title, a.link, a.url, a.feed, a.summary, a.text, a.published, a.first_seen,
    a.cluster_id AS acluster, a.language"""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpikeRow:
    """A stored spike: a rule matching far more than usual in a window."""

    id: str
    rule: str
    digest: str
    window: str  # as configured, e.g. "1h"
    window_start: datetime | None
    count: int
    usual: float
    article_ids: tuple[str, ...]  # its top stories


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """A run's row: the digest it belongs to, its payload, and the channels it goes to."""

    id: str
    digest: str
    created_at: datetime
    entries: int
    payload: str
    kind: str
    scheduled_for: datetime | None
    deliveries: Sequence[tuple[str, str]]  # (delivery id, channel)


def opened_for(conn: Connection, digest: str, scheduled_for: datetime | None) -> bool:
    """Whether the run of cron time ``scheduled_for`` was opened already (by any worker)."""
    return scheduled_for is not None and bool(
        conn.execute(
            "SELECT 1 FROM digest_runs WHERE digest = ? AND scheduled_for = ?",
            (digest, iso(scheduled_for)),
        ).fetchone()
    )


def held_since(conn: Connection, digest: str) -> datetime | None:
    row = conn.execute("SELECT since FROM digest_holds WHERE digest = ?", (digest,)).fetchone()
    return from_iso(row[0]) if row else None


def hold(conn: Connection, digest: str, since: datetime) -> None:
    conn.execute(
        """INSERT INTO digest_holds (digest, since) VALUES (?, ?)
           ON CONFLICT (digest) DO NOTHING""",
        (digest, iso(since)),
    )


def unhold(conn: Connection, digest: str) -> None:
    conn.execute("DELETE FROM digest_holds WHERE digest = ?", (digest,))


def held_digests(db: Database) -> set[str]:
    return {row[0] for row in db.query("SELECT digest FROM digest_holds")}


def sends_since(conn: Connection, digest: str, since: datetime) -> list[datetime]:
    """When the digest's runs (not its health notices) were opened after ``since``."""
    rows = conn.execute(
        """SELECT created_at FROM digest_runs
           WHERE digest = ? AND kind = 'digest' AND created_at > ?""",
        (digest, iso(since)),
    ).fetchall()
    return [moment for row in rows if (moment := from_iso(row[0])) is not None]


def write_run(conn: Connection, run: Run) -> None:
    """The run's row and one pending outbox row per channel."""
    conn.execute(
        """INSERT INTO digest_runs (id, digest, created_at, entries, payload, kind, scheduled_for)
           VALUES (?,?,?,?,?,?,?)""",
        (
            run.id,
            run.digest,
            iso(run.created_at),
            run.entries,
            run.payload,
            run.kind,
            iso(run.scheduled_for),
        ),
    )
    for delivery, channel in run.deliveries:
        conn.execute(
            """INSERT INTO deliveries (id, run_id, digest, channel, payload, status, attempts,
                                       created_at, next_attempt_at)
               VALUES (?,?,?,?,?, 'pending', 0, ?, ?)""",
            (
                delivery,
                run.id,
                run.digest,
                channel,
                run.payload,
                iso(run.created_at),
                iso(run.created_at),
            ),
        )


def undelivered_matches(conn: Connection, rules: Sequence[str]) -> list[MatchedRow]:
    """The matches of ``rules`` no run has taken yet, oldest first, with their articles."""
    if not rules:
        return []
    marks = ",".join("?" * len(rules))
    return [
        matched_row(r)
        for r in conn.execute(
            f"""SELECT {MATCH_COLUMNS} FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.run_id IS NULL AND m.rule IN ({marks}) ORDER BY m.matched_at""",
            tuple(rules),
        ).fetchall()
    ]


def matches_of_rule(conn: Connection, rule: str, article_ids: Sequence[str]) -> list[MatchedRow]:
    """The matches of ``rule`` on these articles, with their articles."""
    if not article_ids:
        return []
    marks = ",".join("?" * len(article_ids))
    return [
        matched_row(r)
        for r in conn.execute(
            f"""SELECT {MATCH_COLUMNS} FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.rule = ? AND m.article_id IN ({marks})""",
            (rule, *article_ids),
        ).fetchall()
    ]


def undelivered_spikes(conn: Connection, rules: Sequence[str]) -> list[SpikeRow]:
    if not rules:
        return []
    marks = ",".join("?" * len(rules))
    return [
        _spike(r)
        for r in conn.execute(
            f"""SELECT * FROM spikes WHERE run_id IS NULL AND rule IN ({marks})
                ORDER BY detected_at""",
            tuple(rules),
        ).fetchall()
    ]


def _spike(row: Mapping) -> SpikeRow:
    return SpikeRow(
        id=row["id"],
        rule=row["rule"],
        digest=row["digest"],
        window=row["window"],
        window_start=from_iso(row["window_start"]),
        count=int(row["count"]),
        usual=float(row["usual"]),
        article_ids=tuple(json.loads(row["article_ids"] or "[]")),
    )


def take(
    conn: Connection, run_id: str, matches: Sequence[MatchedRow], spikes: Sequence[SpikeRow]
) -> None:
    """The run takes these matches and spikes: no later run sends them again."""
    conn.executemany(
        "UPDATE matches SET run_id = ? WHERE article_id = ? AND rule = ?",
        [(run_id, m.article_id, m.rule) for m in matches],
    )
    conn.executemany("UPDATE spikes SET run_id = ? WHERE id = ?", [(run_id, s.id) for s in spikes])


def feed_names(conn: Connection) -> dict[str, str]:
    """The names feeds were stored under (the config's names win over these)."""
    return {row[0]: row[1] for row in conn.execute("SELECT url, name FROM feeds") if row[1]}
