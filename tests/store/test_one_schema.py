"""One schema, one migration history: an empty SQLite file and an empty PostgreSQL database
migrate to the same tables, columns and indexes (those schema.py describes), and an archive
written before the one history (on either backend) opens with every row kept.

The fixtures are archives made by the code before the one history, each holding 3 articles
(one in Cyrillic), 4 sources, 2 matches, a digest run with 2 outbox rows (one pending), 6
near-duplicate keys, 2 feeds and a tombstone: the SQLite file as written (gzipped), the
PostgreSQL database as `pg_dump --inserts --no-owner --no-privileges` wrote it."""

from __future__ import annotations

import gzip
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.store import schema
from monitor.store.backend import open_database
from monitor.store.db import Database
from monitor.store.dialect import is_postgres
from monitor.store.outbox import pending_deliveries
from monitor.store.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
# What each backend keeps beside the shared schema: the search index (FTS5 partitions and
# their state; a tsvector column) and PostgreSQL's column keeping the store order, which
# SQLite's rowid is.
SEARCH_TABLES = {"fts_state", "search_parts", "migrations"}
BACKEND_COLUMNS = {("articles", "rowid"), ("articles", "search"), ("story_keys", "rowid")}
SEARCH_INDEXES = {"articles_search", "articles_unindexed", "articles_rowid_key", "story_keys_rowid_key"}  # fmt: skip


Shape = tuple[dict[str, set[str]], dict[str, tuple[str, tuple[str, ...], bool]]]


def shape(db: Database) -> Shape:
    """Tables with their columns, and indexes (table, columns, unique), primary keys aside."""
    if is_postgres(db.path):
        tables: dict[str, set[str]] = {}
        for table, column in db.query(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema()"""
        ):
            tables.setdefault(table, set()).add(column)
        indexes = {
            name: (table, tuple(columns), bool(unique))
            for name, table, columns, unique in db.query(
                """SELECT i.relname, t.relname,
                          ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n
                                ORDER BY k.o),
                          x.indisunique
                   FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                   JOIN pg_class t ON t.oid = x.indrelid
                   JOIN pg_namespace s ON s.oid = t.relnamespace
                   WHERE s.nspname = current_schema() AND NOT x.indisprimary"""
            )
        }
    else:
        names = [
            r[0]
            for r in db.query(
                """SELECT name FROM sqlite_master WHERE type = 'table'
                   AND name NOT LIKE 'search\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"""
            )
        ]
        tables = {t: {r[1] for r in db.query(f"PRAGMA table_info({t})")} for t in names}
        indexes = {
            name: (
                table,
                tuple(r[2] for r in db.query(f"PRAGMA index_info({name})")),
                "UNIQUE" in sql.upper().split("INDEX")[0],
            )
            for name, table, sql in db.query(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    tables = {
        t: {c for c in cols if (t, c) not in BACKEND_COLUMNS}
        for t, cols in tables.items()
        if t not in SEARCH_TABLES
    }
    indexes = {
        n: i for n, i in indexes.items() if n not in SEARCH_INDEXES and i[0] not in SEARCH_TABLES
    }
    return tables, indexes


def described() -> Shape:
    tables = {t.name: {c.name for c in t.columns} for t in schema.TABLES}
    indexes = {i.name: (i.table, i.columns, i.unique) for i in schema.INDEXES}
    return tables, indexes


def test_an_empty_sqlite_file_and_an_empty_postgres_database_migrate_to_one_schema(
    tmp_path: Path, postgres_url: str
) -> None:
    lite = shape(open_database(str(tmp_path / "monitor.db")))
    pg = shape(open_database(postgres_url))
    assert lite == pg
    assert lite == described()
    # the (rule, matched_at) index once, not twice under two names
    assert [n for n, i in lite[1].items() if i[1:] == (("rule", "matched_at"), False)] == [
        "matches_rule_matched"
    ]


@pytest.fixture
def old_archive(database_url: str, tmp_path: Path) -> str:
    """The fixture archive restored into ``database_url`` as the older code left it."""
    if is_postgres(database_url):
        import psycopg

        script = (FIXTURES / "archive_before_one_history.pg.sql").read_text(encoding="utf-8")
        with psycopg.connect(database_url, autocommit=True) as raw:
            raw.execute(script)  # type: ignore[call-overload]
        return database_url
    Path(database_url).write_bytes(
        gzip.decompress((FIXTURES / "archive_before_one_history.db.gz").read_bytes())
    )
    return database_url


def counts(db: Database) -> dict[str, int]:
    tables = ("feeds", "articles", "article_sources", "matches", "digest_runs", "deliveries")
    more = ("story_keys", "tombstones")
    return {t: int(db.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in (*tables, *more)}


def test_an_archive_from_before_the_one_history_opens_with_every_row(old_archive: str) -> None:
    db = open_database(old_archive)

    assert counts(db) == {
        "feeds": 2,
        "articles": 3,
        "article_sources": 4,
        "matches": 2,
        "digest_runs": 1,
        "deliveries": 2,
        "story_keys": 6,
        "tombstones": 1,
    }
    assert shape(db) == described()
    titles = {r[0]: r[1] for r in db.query("SELECT id, title FROM articles")}
    assert titles["art2"] == "Саммит ШОС открылся в Астане"
    [pending] = pending_deliveries(db, None)
    assert (pending.id, pending.channel, pending.attempts) == ("msg_run1_a", "team", 1)
    store = Store(db)
    assert {r[0]: r[1] for r in db.query("SELECT feed, articles FROM feed_counts")} == {
        "https://news.example.org/rss": 3,
        "https://wire.example.org/rss": 1,
    }
    since = datetime(2026, 11, 1, tzinfo=UTC)
    store.index_new_articles()
    assert store.fts_candidates(store.db.search.query_for(rule("Rogun")) or "", since) == ["art0"]
    assert open_database(old_archive).migrate() == []  # opened again: nothing left to do


def rule(query: str):  # noqa: ANN201
    from monitor.rules import build_rule

    return build_rule(name="q", query=query)


def test_an_archive_older_still_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "ancient.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        raw.execute("INSERT INTO migrations VALUES ('0001_base_schema', '')")
    with pytest.raises(Exception, match="older news-monitor"):
        open_database(str(path))
