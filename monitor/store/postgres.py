"""The PostgreSQL backend (psycopg 3, imported only for a postgresql:// setting): the store's
placeholders (``?``, ``:name``) as psycopg's, rows that read like sqlite3.Row, named locks
across processes (advisory locks), and tsvector search holding the matcher's own words.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg

from monitor.errors import StoreError
from monitor.rules import Rule, rule_tsquery
from monitor.rules.tsquery import tsvector
from monitor.store.dialect import Connection

if TYPE_CHECKING:
    from monitor.store.interface import Pace

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


class PgConnection:
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


class PostgresBackend:
    """One connection per thread (autocommit reads); `write()` is one transaction, and
    ``write(lock=name)`` first takes a transaction-scoped advisory lock of that name, so the
    same critical section never runs in two workers at once."""

    types: Mapping[str, str] = {
        "text": "TEXT",
        "int": "INTEGER",
        "bigint": "BIGINT",
        "real": "DOUBLE PRECISION",
        "blob": "BYTEA",
        "serial": "BIGSERIAL",
    }
    # the order rows were stored in, as SQLite's rowid gives it
    ordered_key = "rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE"
    skip_locked = " FOR UPDATE SKIP LOCKED"  # other workers skip rows claimed, not committed
    feed_count_triggers: Sequence[str] = (
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
    )

    def __init__(self, setting: str) -> None:
        self.path = setting
        self._local = threading.local()
        self.search = TsvectorSearch(self)

    def connection(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            # Client-side binding: parameters are quoted into the statement as psycopg2 did, so
            # an untyped NULL (``? IS NOT NULL``) means what it means in SQLite.
            try:
                raw = psycopg.connect(
                    self.path,
                    autocommit=True,
                    cursor_factory=psycopg.ClientCursor,
                    row_factory=_row_factory,
                )
            except psycopg.OperationalError as exc:
                # one line that says which database and why, not a driver traceback
                reason = (
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                )
                raise StoreError(f"database {self.path}: cannot connect: {reason}") from None
            conn = PgConnection(raw)
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[PgConnection]:
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

    def migrating(self) -> AbstractContextManager[PgConnection]:
        return self.write(lock="migrations")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # the statements that differ ---------------------------------------------------------

    def index_names(self, conn: Connection) -> set[str]:
        return {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            )
        }

    def columns(self, conn: Connection, table: str) -> list[str]:
        return [
            r[0]
            for r in conn.execute(
                """SELECT column_name FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = ?
                   ORDER BY ordinal_position""",
                (table,),
            )
        ]

    def rename_index(self, conn: Connection, old: str, new: str) -> None:
        conn.execute(f"ALTER INDEX {old} RENAME TO {new}")

    # space: PostgreSQL's autovacuum reuses freed pages by itself -----------------------

    def page_bytes(self) -> int:
        return int(
            self.connection().execute("SELECT pg_database_size(current_database())").fetchone()[0]
        )

    def disk_bytes(self) -> int:
        return self.page_bytes()

    def page_size(self) -> int:
        return 8192

    def free_pages(self) -> int:
        return 0  # nothing to give back by hand

    def incremental_vacuum(self, pages: int) -> None:
        pass  # free_pages() is 0: never called for want of pages

    def checkpoint_passive(self) -> None:
        pass  # PostgreSQL checkpoints in its own processes

    @contextmanager
    def checkpoints_by_hand(self) -> Iterator[None]:
        yield  # PostgreSQL checkpoints in its own processes

    def checkpoint(self) -> None:
        pass  # PostgreSQL checkpoints in its own processes


class TsvectorSearch:
    """A tsvector column on articles, built from the matcher's words of the fields rules read
    (monitor/rules/tsquery.py), with a GIN index; a changed article is indexed again."""

    def __init__(self, backend: PostgresBackend) -> None:
        self.backend = backend

    def create(self, conn: Connection) -> None:
        for statement in (
            "ALTER TABLE articles ADD COLUMN search TSVECTOR",
            "CREATE INDEX articles_search ON articles USING GIN (search)",
            "CREATE INDEX articles_unindexed ON articles (rowid) WHERE search IS NULL",
            """CREATE FUNCTION monitor_search_stale() RETURNS trigger LANGUAGE plpgsql
               AS $$ BEGIN NEW.search := NULL; RETURN NEW; END $$""",
            """CREATE TRIGGER articles_search_stale
               BEFORE UPDATE OF title, summary, text, author ON articles
               FOR EACH ROW EXECUTE FUNCTION monitor_search_stale()""",
        ):
            conn.execute(statement)

    def query_for(self, rule: Rule) -> str | None:
        return rule_tsquery(rule)

    def index_new(self) -> int:
        """Build the tsvector of every article stored or changed since the last call."""
        done = 0
        while True:
            with self.backend.write() as conn:
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

    def ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        sql = """SELECT id FROM articles
                 WHERE search @@ ?::tsquery AND first_seen >= ?
                 ORDER BY first_seen DESC"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self.backend.connection().execute(sql, (query, since or ""))]

    @contextmanager
    def pausing_merges(self) -> Iterator[None]:
        yield  # a GIN index has no segments to merge

    def after_delete(self, pace: Pace, rowids: Iterable[int]) -> None:
        pass  # deleted rows leave the GIN index with them

    def after_text_dropped(self) -> None:
        # The trigger emptied the changed rows' index: until indexed again, an article would
        # not be found at all, by its title either.
        self.index_new()

    def compact(self, pace: Pace, *, full: bool) -> None:
        pass  # autovacuum gives space back, the GIN index needs no merging


def _indexed(row: Row) -> str:
    """The tsvector literal of an article row (id, title, summary, text, author): its fields
    as rules read them, `text` being the summary plus the full text."""
    text = "\n\n".join(part for part in (row[2], row[3]) if part)
    return tsvector(row[1], text, row[4])
