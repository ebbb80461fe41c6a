"""Moving an SQLite archive into another database (PostgreSQL): every table, in batches, each
row inserted once (ON CONFLICT DO NOTHING), so a copy that stopped half-way is simply run again."""

from __future__ import annotations

from collections.abc import Callable

from monitor.store.db import Database
from monitor.store.schema import COPY_ORDER, TABLE, quote
from monitor.store.sql import insert_rows

BATCH = 1000


def copy_archive(
    source: Database, target: Database, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` (SQLite) that ``target`` lacks; returns rows per table in
    ``target`` afterwards. Both are migrated to the one schema when opened; what each engine
    works out itself (the order rows were stored in, the search index, the per-feed counts)
    is not copied, and the target's search index is built by its next index_search()."""
    counts: dict[str, int] = {}
    for table in COPY_ORDER:
        listed = ", ".join(quote(c.name) for c in TABLE[table].columns)
        cursor = source.connection().execute(f"SELECT {listed} FROM {table} ORDER BY rowid")
        while rows := [tuple(r) for r in cursor.fetchmany(BATCH)]:
            with target.write() as conn:
                insert_rows(conn, f"INSERT INTO {table} ({listed})", rows, "ON CONFLICT DO NOTHING")
            if progress:
                progress(table, len(rows))
        counts[table] = int(target.query(f"SELECT COUNT(*) FROM {table}")[0][0])
    return counts
