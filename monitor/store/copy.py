"""Moving an SQLite archive into another database (PostgreSQL): every table, in batches, each
row inserted once (ON CONFLICT DO NOTHING), so a copy that stopped half-way is simply run again."""

from __future__ import annotations

from collections.abc import Callable

from monitor.store.db import Database
from monitor.store.sql import insert_rows

# Parents before children (article_sources and matches refer to articles).
TABLES = (
    "feeds", "articles", "article_sources", "story_keys", "matches", "digest_runs",
    "deliveries", "channel_state", "tombstones", "feed_readings", "digest_holds",
    "source_health", "spikes",
)  # fmt: skip
BATCH = 1000
# Worked out by each engine on its own: the order rows were stored in, the search index.
_DERIVED = {"rowid", "search"}


def copy_archive(
    source: Database, target: Database, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` (SQLite) that ``target`` lacks; returns rows per table in
    ``target`` afterwards. The target's search index is built by its next index_search()."""
    counts: dict[str, int] = {}
    for table in TABLES:
        columns = [r[1] for r in source.query(f"PRAGMA table_info({table})")]
        if not columns:
            continue  # an older archive without this table
        wanted = _target_columns(target, table)
        names = [c for c in columns if c in wanted and c not in _DERIVED]
        listed = ", ".join(f'"{c}"' for c in names)
        cursor = source.connection().execute(f"SELECT {listed} FROM {table} ORDER BY rowid")
        while rows := [tuple(r) for r in cursor.fetchmany(BATCH)]:
            with target.write() as conn:
                insert_rows(conn, f"INSERT INTO {table} ({listed})", rows, "ON CONFLICT DO NOTHING")
            if progress:
                progress(table, len(rows))
        counts[table] = int(target.query(f"SELECT COUNT(*) FROM {table}")[0][0])
    return counts


def _target_columns(target: Database, table: str) -> set[str]:
    if target.dialect.name == "sqlite":
        return {r[1] for r in target.query(f"PRAGMA table_info({table})")}
    return {
        r[0]
        for r in target.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", (table,)
        )
    }
