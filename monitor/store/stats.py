"""What the database holds (`news-monitor stats`): its size, rows per table, the oldest
article and how many arrived on each of the last days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.store.db import Database
from monitor.store.retention import file_bytes

TABLES = (
    "feeds",
    "articles",
    "article_sources",
    "story_keys",
    "matches",
    "digest_runs",
    "deliveries",
    "tombstones",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseStats:
    path: str
    file_bytes: int  # the file itself and its WAL, as on disk
    page_bytes: int  # pages in use or free inside the file
    free_bytes: int  # free pages a prune would give back
    rows: dict[str, int]
    oldest_article: str | None  # first_seen of the oldest article
    per_day: tuple[tuple[str, int], ...]  # (YYYY-MM-DD, articles first seen that day), oldest first


def database_stats(db: Database, now: datetime, days: int = 7) -> DatabaseStats:
    conn = db.connection()
    rows = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
    oldest = conn.execute("SELECT MIN(first_seen) FROM articles").fetchone()[0]
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    counted = dict(
        conn.execute(
            """SELECT SUBSTR(first_seen, 1, 10) AS day, COUNT(*) FROM articles
               WHERE first_seen >= ? GROUP BY SUBSTR(first_seen, 1, 10)""",
            (first.isoformat(),),
        ).fetchall()
    )
    per_day = tuple(
        (day, int(counted.get(day, 0)))
        for day in ((first + timedelta(days=n)).isoformat() for n in range(days))
    )
    on_disk = db.disk_bytes()
    return DatabaseStats(
        path=db.path,
        file_bytes=on_disk,
        page_bytes=file_bytes(db),
        free_bytes=db.free_bytes(),
        rows=rows,
        oldest_article=oldest,
        per_day=per_day,
    )
