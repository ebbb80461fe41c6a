"""PostgreSQL behind the same surface as the SQLite `Database` (psycopg 3, imported lazily):
the portable SQL the store writes (``?``/``:name`` placeholders, ON CONFLICT) translated to
psycopg's, rows that read like sqlite3.Row, named locks across processes, tsvector search,
and this backend's migrations.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import psycopg

from monitor.rules.tsquery import tsvector
from monitor.store.db import WORKBENCH_TABLES, Database, feed_keys_without_secrets
from monitor.store.dialect import POSTGRES, Dialect

INDEX_BATCH = 500  # articles per search-index UPDATE batch
# ``?``, ``:name`` and ``%`` outside quoted strings and identifiers; ``::`` is a cast.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|(?<!:):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Portable SQL -> psycopg's: ``?`` -> ``%s``, ``:name`` -> ``%(name)s``, ``%`` -> ``%%``
    (in string literals too)."""

    def swap(found: re.Match[str]) -> str:
        token = found.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if found.group(1):
            return f"%({found.group(1)})s"
        if token.startswith("'"):
            return token.replace("%", "%%")  # psycopg reads % inside string literals too
        return token

    return _TOKENS.sub(swap, sql)


def lock_key(name: str) -> int:
    """A named lock's pg_advisory_xact_lock key: 64 stable bits of its name."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


class Row(tuple):
    """A result row readable by position, by column name and as ``dict(row)``, like sqlite3.Row."""

    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {c.name: i for i, c in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names = names
        return row

    return make


class Connection:
    """A psycopg connection that takes the store's portable SQL."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(translate(sql), params)
        return cursor

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.raw.cursor()
        rows = list(rows)
        if rows:
            cursor.executemany(translate(sql), rows)
        return cursor

    def close(self) -> None:
        self.raw.close()


Step = str | Callable[[Connection], None]  # a migration step: DDL, or a function doing more


class PostgresDatabase(Database):
    """One connection per thread (autocommit reads); `write()` is one transaction, and
    ``write(lock=name)`` first takes a transaction-scoped advisory lock of that name, so the
    same critical section never runs in two workers at once."""

    dialect: Dialect = POSTGRES

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.migrate()

    def connection(self) -> Connection:  # type: ignore[override]
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            # Client-side binding: parameters are quoted into the statement as psycopg2 did, so
            # an untyped NULL (``? IS NOT NULL``) means what it means in SQLite.
            raw = psycopg.connect(
                self.path,
                autocommit=True,
                cursor_factory=psycopg.ClientCursor,
                row_factory=_row_factory,
            )
            conn = Connection(raw)
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[Connection]:  # type: ignore[override]
        conn = self.connection()
        with conn.raw.transaction():
            if lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(lock),))
            yield conn

    @contextmanager
    def bulk(self) -> Iterator[None]:
        # psycopg nests transaction() blocks as savepoints of the outer one by itself
        with self.connection().raw.transaction():
            yield

    def query(self, sql: str, params: tuple | dict = ()) -> list[Any]:
        return self.connection().execute(sql, params).fetchall()

    def utils(self) -> Any:
        raise NotImplementedError("sqlite-utils works on SQLite only")

    def migrate(self) -> list[str]:
        applied: list[str] = []
        with self.write(lock="migrations") as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
            for name, steps in MIGRATIONS:
                if name in done:
                    continue
                for step in steps:
                    if callable(step):
                        step(conn)
                    else:
                        conn.raw.execute(step)  # DDL as written: no placeholders to translate
                conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
                applied.append(name)
        return applied

    # space: PostgreSQL's autovacuum gives it back; these report it ------------------------

    def page_bytes(self) -> int:
        return int(self.query("SELECT pg_database_size(current_database())")[0][0])

    def disk_bytes(self) -> int:
        return self.page_bytes()

    def free_bytes(self) -> int:
        return 0

    def free_pages(self) -> int:
        return 0

    def incremental_vacuum(self, pages: int) -> None:
        pass

    def checkpoint_passive(self) -> None:
        pass

    @contextmanager
    def checkpoints_by_hand(self) -> Iterator[None]:
        yield  # PostgreSQL checkpoints in its own processes

    def checkpoint(self) -> None:
        pass

    # search --------------------------------------------------------------------

    def index_search(self) -> int:
        """Build the tsvector of every article stored or changed since the last call: the
        matcher's words of the fields rules read (monitor/rules/tsquery.py)."""
        done = 0
        while True:
            with self.write() as conn:
                rows = conn.execute(
                    """SELECT id, title, summary, text, author FROM articles
                       WHERE search IS NULL ORDER BY rowid LIMIT ? FOR UPDATE SKIP LOCKED""",
                    (INDEX_BATCH,),
                ).fetchall()
                conn.executemany(
                    "UPDATE articles SET search = ?::tsvector WHERE id = ?",
                    [(_indexed(r), r[0]) for r in rows],
                )
            done += len(rows)
            if len(rows) < INDEX_BATCH:
                return done

    def search_ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        sql = """SELECT id FROM articles
                 WHERE search @@ ?::tsquery AND first_seen >= ?
                 ORDER BY first_seen DESC"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self.query(sql, (query, since or ""))]


def _indexed(row: Row) -> str:
    """The tsvector literal of an article row (id, title, summary, text, author): its fields
    as rules read them, `text` being the summary plus the full text."""
    text = "\n\n".join(part for part in (row[2], row[3]) if part)
    return tsvector(row[1], text, row[4])


# Migrations: each a list of steps applied once in one transaction, a step being DDL as
# written or a function of the connection. The first builds the schema SQLite reaches through
# its own migrations 0001-0006.
_BASE = [
    """CREATE TABLE feeds (
         url TEXT PRIMARY KEY, name TEXT, etag TEXT, last_modified TEXT, body_hash TEXT,
         last_polled_at TEXT, last_status INTEGER, last_outcome TEXT, last_error TEXT,
         last_warning TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0, next_check_at TEXT,
         redirect_to TEXT, gone INTEGER NOT NULL DEFAULT 0,
         backlog_done INTEGER NOT NULL DEFAULT 0, entries_seen INTEGER NOT NULL DEFAULT 0,
         leased_by TEXT, leased_until TEXT)""",
    # rowid: the order articles were stored in, as SQLite's rowid gives it (stories grow from
    # their first article; the search index catches up in that order).
    """CREATE TABLE articles (
         rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE, id TEXT PRIMARY KEY,
         url TEXT, link TEXT, guid TEXT, feed TEXT, title TEXT, summary TEXT, text TEXT,
         author TEXT, language TEXT, published TEXT, first_seen TEXT, fingerprint BYTEA,
         cluster_id TEXT, full_text_status TEXT, search TSVECTOR)""",
    "CREATE UNIQUE INDEX articles_url ON articles (url)",
    "CREATE INDEX articles_first_seen ON articles (first_seen)",
    "CREATE INDEX articles_cluster_id ON articles (cluster_id)",
    "CREATE INDEX articles_search ON articles USING GIN (search)",
    "CREATE INDEX articles_unindexed ON articles (rowid) WHERE search IS NULL",
    # A changed title or text is indexed again by the next index_search().
    """CREATE FUNCTION monitor_search_stale() RETURNS trigger LANGUAGE plpgsql
       AS $$ BEGIN NEW.search := NULL; RETURN NEW; END $$""",
    """CREATE TRIGGER articles_search_stale BEFORE UPDATE OF title, summary, text ON articles
       FOR EACH ROW EXECUTE FUNCTION monitor_search_stale()""",
    """CREATE TABLE article_sources (
         article_id TEXT NOT NULL REFERENCES articles (id), feed TEXT NOT NULL, guid TEXT,
         url TEXT, first_seen TEXT, PRIMARY KEY (article_id, feed))""",
    "CREATE INDEX article_sources_feed_guid ON article_sources (feed, guid)",
    """CREATE TABLE matches (
         article_id TEXT NOT NULL REFERENCES articles (id), rule TEXT NOT NULL, cluster_id TEXT,
         digest TEXT, terms TEXT, hits TEXT, hit_count INTEGER, matched_at TEXT, run_id TEXT,
         PRIMARY KEY (article_id, rule))""",
    "CREATE INDEX matches_digest_run_id ON matches (digest, run_id)",
    "CREATE INDEX matches_cluster_id_rule ON matches (cluster_id, rule)",
    """CREATE TABLE digest_runs (
         id TEXT PRIMARY KEY, digest TEXT, created_at TEXT, entries INTEGER, payload TEXT,
         scheduled_for TEXT)""",
    "CREATE UNIQUE INDEX digest_runs_scheduled ON digest_runs (digest, scheduled_for)",
    """CREATE TABLE deliveries (
         id TEXT PRIMARY KEY, run_id TEXT, digest TEXT, channel TEXT, payload TEXT,
         status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
         created_at TEXT, next_attempt_at TEXT, last_error TEXT, sent_at TEXT,
         claimed_by TEXT, claimed_until TEXT)""",
    "CREATE INDEX deliveries_status_next ON deliveries (status, next_attempt_at)",
    "CREATE TABLE channel_state (channel TEXT PRIMARY KEY, disabled_at TEXT, reason TEXT)",
    """CREATE TABLE story_keys (
         rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE, key BIGINT NOT NULL,
         article_id TEXT NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (key, article_id))""",
    "CREATE INDEX story_keys_first_seen ON story_keys (first_seen)",
]

# Retention (DESIGN §11) and the alert policy (§13), as SQLite's 0006, 0008 and 0009 made them.
_RETENTION_AND_POLICY = [
    """CREATE TABLE tombstones (
         key TEXT PRIMARY KEY, pruned_at TEXT NOT NULL, listed_at TEXT NOT NULL, feed TEXT)""",
    "CREATE INDEX tombstones_listed_at ON tombstones (listed_at)",
    "CREATE INDEX deliveries_created_at ON deliveries (created_at)",
    "CREATE INDEX digest_runs_created_at ON digest_runs (created_at)",
    "CREATE TABLE feed_readings (feed TEXT PRIMARY KEY, read_at TEXT NOT NULL)",
    "ALTER TABLE feeds ADD COLUMN failing_since TEXT",
    "ALTER TABLE digest_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest'",
    "CREATE INDEX digest_runs_digest_created ON digest_runs (digest, created_at)",
    "CREATE TABLE digest_holds (digest TEXT PRIMARY KEY, since TEXT NOT NULL)",
    """CREATE TABLE source_health (
         url TEXT PRIMARY KEY, notified TEXT NOT NULL, changed_at TEXT NOT NULL)""",
    # "window" is a reserved word in PostgreSQL: the portable SQL quotes it.
    """CREATE TABLE spikes (
         id TEXT PRIMARY KEY, rule TEXT NOT NULL, digest TEXT NOT NULL,
         window_start TEXT NOT NULL, detected_at TEXT NOT NULL, "window" TEXT NOT NULL,
         count INTEGER NOT NULL, usual DOUBLE PRECISION NOT NULL, article_ids TEXT NOT NULL,
         run_id TEXT)""",
    "CREATE INDEX spikes_rule_detected ON spikes (rule, detected_at)",
    "CREATE INDEX matches_rule_matched ON matches (rule, matched_at)",
]

# `news-monitor feeds`' article count per feed, kept by a trigger (as SQLite's 0013 does).
_FEED_COUNTS = [
    "CREATE TABLE feed_counts (feed TEXT PRIMARY KEY, articles BIGINT NOT NULL)",
    """INSERT INTO feed_counts (feed, articles)
       SELECT feed, COUNT(*) FROM article_sources GROUP BY feed""",
    """CREATE FUNCTION monitor_count_sources() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'UPDATE') THEN
           UPDATE feed_counts SET articles = articles - 1 WHERE feed = OLD.feed;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO feed_counts (feed, articles) VALUES (NEW.feed, 1)
           ON CONFLICT (feed) DO UPDATE SET articles = feed_counts.articles + 1;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER article_sources_counted AFTER INSERT OR DELETE OR UPDATE OF feed
       ON article_sources FOR EACH ROW EXECUTE FUNCTION monitor_count_sources()""",
]

# The index held PostgreSQL's own parse of unaccented text, which splits and folds words unlike
# the matcher; every article is indexed again from the matcher's words, author included, and
# unaccent is no longer needed.
_SEARCH_THE_MATCHERS_WORDS = [
    "UPDATE articles SET search = NULL WHERE search IS NOT NULL",
    "DROP TRIGGER articles_search_stale ON articles",
    """CREATE TRIGGER articles_search_stale BEFORE UPDATE OF title, summary, text, author
       ON articles FOR EACH ROW EXECUTE FUNCTION monitor_search_stale()""",
    "DROP FUNCTION IF EXISTS monitor_unaccent(text)",
]

_STORY_KEYS_BY_ARTICLE = "CREATE INDEX IF NOT EXISTS story_keys_article ON story_keys (article_id)"

MIGRATIONS: list[tuple[str, Sequence[Step]]] = [
    ("0001_base_schema", _BASE),
    ("0002_retention_and_policy", _RETENTION_AND_POLICY),
    ("0003_article_source_names", ["ALTER TABLE article_sources ADD COLUMN source_name TEXT"]),
    ("0004_feed_article_counts", _FEED_COUNTS),
    ("0005_feed_keys_without_secrets", [feed_keys_without_secrets]),
    ("0006_search_the_matchers_words", _SEARCH_THE_MATCHERS_WORDS),
    # As SQLite's web_0001: the web page lists the matches of every rule newest first.
    (
        "0007_matches_by_time",
        ["CREATE INDEX IF NOT EXISTS matches_matched_at ON matches (matched_at)"],
    ),
    # As SQLite's 0015: a pruned article's near-duplicate keys found by its id.
    ("0008_story_keys_by_article", [_STORY_KEYS_BY_ARTICLE]),
    # As SQLite's 0016: the web page's config changes and judgements (DESIGN §18).
    (
        "0009_workbench",
        [
            WORKBENCH_TABLES[0].replace("id INTEGER PRIMARY KEY", "id BIGSERIAL PRIMARY KEY"),
            WORKBENCH_TABLES[1],
        ],
    ),
]
