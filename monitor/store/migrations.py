"""The one migration history of both backends: each entry a name and its steps, applied once,
in order, in one transaction. Order is important: add new migrations at the end of the list.

An archive made before this history (each backend then kept a list of its own, every step of
which it applied whenever it was opened) is adopted: its schema is brought to the one
described in schema.py, which is what its old steps had built, and the first entry is
recorded as applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.errors import StoreError
from monitor.store import schema
from monitor.store.dialect import Connection

if TYPE_CHECKING:
    from monitor.store.interface import Backend

Step = Callable[[Connection, "Backend"], None]


def _create_schema(conn: Connection, backend: Backend) -> None:
    """Every table and index of schema.py, the backend's search index and its counters."""
    for table in schema.TABLES:
        conn.execute(schema.create_table(table, backend.types, backend.ordered_key))
    for index in schema.INDEXES:
        conn.execute(schema.create_index(index))
    for statement in backend.feed_count_triggers:
        conn.execute(statement)
    backend.search.create(conn)


def _ensure(tables: Sequence[str], indexes: Sequence[str]) -> Step:
    """A step creating the named tables and indexes of schema.py where they are missing (a
    new database got them from 0001_schema already)."""

    def step(conn: Connection, backend: Backend) -> None:
        for name in tables:
            if not backend.columns(conn, name):
                conn.execute(
                    schema.create_table(schema.TABLE[name], backend.types, backend.ordered_key)
                )
        present = backend.index_names(conn)
        for index in schema.INDEXES:
            if index.name in indexes and index.name not in present:
                conn.execute(schema.create_index(index))

    return step


HISTORY: list[tuple[str, Sequence[Step]]] = [
    ("0001_schema", [_create_schema]),
    (
        "0002_websub_subscriptions",
        [
            _ensure(
                ["websub_subscriptions"],
                ["websub_callback", "websub_next_action", "article_sources_feed_seen"],
            )
        ],
    ),
]

# A step of each old per-backend list: an archive that had it applied had every step that
# changed a table (those after it only added tables, created here when missing).
_OLD_LAST = {"0015_story_keys_by_article", "0008_story_keys_by_article"}
_OLD_FIRST = "0001_base_schema"
# Indexes the PostgreSQL list named otherwise -> their name in schema.py.
_RENAMED = {
    "articles_url": "idx_articles_url",
    "articles_first_seen": "idx_articles_first_seen",
    "articles_cluster_id": "idx_articles_cluster_id",
    "article_sources_feed_guid": "idx_article_sources_feed_guid",
    "matches_digest_run_id": "idx_matches_digest_run_id",
    "matches_cluster_id_rule": "idx_matches_cluster_id_rule",
    "deliveries_status_next": "idx_deliveries_status_next_attempt_at",
}
# The SQLite list made the (rule, matched_at) index twice, under two names.
_DUPLICATES = ("matches_rule_matched_at",)


def migrate(conn: Connection, backend: Backend) -> list[str]:
    """Apply the migrations not yet recorded, in the caller's transaction; returns their names."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    if _OLD_FIRST in done and HISTORY[0][0] not in done:
        _adopt(conn, backend, done)
        done.add(HISTORY[0][0])
    applied = []
    for name, steps in HISTORY:
        if name in done:
            continue
        for step in steps:
            step(conn, backend)
        _record(conn, name)
        applied.append(name)
    return applied


def _adopt(conn: Connection, backend: Backend, done: set[str]) -> None:
    if not done & _OLD_LAST:
        raise StoreError(
            "this database was made by a much older news-monitor and was not upgraded since: "
            "open it once with the release before this one, then again with this one"
        )
    for table in schema.TABLES:
        if not backend.columns(conn, table.name):
            conn.execute(schema.create_table(table, backend.types, backend.ordered_key))
    present = backend.index_names(conn)
    for old, new in _RENAMED.items():
        if old in present and new not in present:
            backend.rename_index(conn, old, new)
    for name in _DUPLICATES:
        if name in present:
            conn.execute(f"DROP INDEX {name}")
    present = backend.index_names(conn)
    for index in schema.INDEXES:
        if index.name not in present:
            conn.execute(schema.create_index(index))
    _record(conn, HISTORY[0][0])


def _record(conn: Connection, name: str) -> None:
    conn.execute(
        "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
        (name, datetime.now(UTC).isoformat()),
    )
