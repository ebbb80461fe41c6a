"""The database seam and its SQLite side. `Database` is the surface every backend offers
(`connection()`, `query()`, `write(lock=...)`, `migrate()`, search, a `dialect`); this class
is SQLite: connections one per thread, WAL, BEGIN IMMEDIATE writes, its named migrations.
`monitor.store.backend.open_database(setting)` picks SQLite or PostgreSQL (postgres.py)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from monitor.secrets import mask_url
from monitor.store import search_index
from monitor.store.dialect import SQLITE, Connection, Dialect, is_postgres, sqlite_path

log = logging.getLogger("monitor.store")

BUSY_TIMEOUT_MS = 60_000
AUTO_VACUUM_INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL
WRITER_CACHE_KIB = 32 * 1024  # the writer's page cache (SQLite's default is 2 MB)
CHECKPOINT_PAGES = 10_000  # WAL pages before the writer checkpoints (SQLite's default is 1,000)
FTS_WATERMARK = search_index.WATERMARK  # articles up to this rowid are indexed
_FTS_DELETE_OLD = """INSERT INTO articles_fts (articles_fts, rowid, title, summary, text)
              SELECT 'delete', old.rowid, old.title, old.summary, old.text"""


def _create_base(db: sqlite_utils.Database) -> None:
    db.table("feeds").create(
        {
            "url": str,
            "name": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_polled_at": str,
            "last_status": int,
            "last_outcome": str,
            "last_error": str,
            "last_warning": str,
            "consecutive_failures": int,
            "next_check_at": str,
            "redirect_to": str,
            "gone": int,
            "backlog_done": int,
            "entries_seen": int,
        },
        pk="url",
        defaults={"consecutive_failures": 0, "gone": 0, "backlog_done": 0, "entries_seen": 0},
        not_null={"consecutive_failures", "gone", "backlog_done", "entries_seen"},
    )
    # A text primary key computed from the canonical URL: INSERT OR IGNORE works with it
    # (an autoincrement id with UNIQUE(url) makes sqlite-utils raise KeyError on ignore).
    db.table("articles").create(
        {
            "id": str,
            "url": str,
            "link": str,
            "guid": str,
            "feed": str,
            "title": str,
            "summary": str,
            "text": str,
            "author": str,
            "language": str,
            "published": str,
            "first_seen": str,
            "fingerprint": bytes,
            "cluster_id": str,
            "full_text_status": str,
        },
        pk="id",
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["first_seen"])
    db.table("articles").create_index(["cluster_id"])
    db.table("articles").enable_fts(
        ["title", "summary", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
    )
    db.table("article_sources").create(
        {"article_id": str, "feed": str, "guid": str, "url": str, "first_seen": str},
        pk=("article_id", "feed"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_sources").create_index(["feed", "guid"])
    db.table("matches").create(
        {
            "article_id": str,
            "rule": str,
            "cluster_id": str,
            "digest": str,
            "terms": str,
            "hits": str,
            "hit_count": int,
            "matched_at": str,
            "run_id": str,
        },
        pk=("article_id", "rule"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("matches").create_index(["digest", "run_id"])
    db.table("matches").create_index(["cluster_id", "rule"])
    db.table("digest_runs").create(
        {"id": str, "digest": str, "created_at": str, "entries": int, "payload": str}, pk="id"
    )
    db.table("deliveries").create(
        {
            "id": str,
            "run_id": str,
            "digest": str,
            "channel": str,
            "payload": str,
            "status": str,
            "attempts": int,
            "created_at": str,
            "next_attempt_at": str,
            "last_error": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
        not_null={"status", "attempts"},
    )
    db.table("deliveries").create_index(["status", "next_attempt_at"])
    db.table("channel_state").create(
        {"channel": str, "disabled_at": str, "reason": str}, pk="channel"
    )


def _create_story_keys(db: sqlite_utils.Database) -> None:
    # The near-duplicate index lives here rather than in memory: nothing to load at start,
    # nothing to grow over months, and look-up plus insert share the write transaction.
    db.execute(
        """CREATE TABLE story_keys (
               key INTEGER NOT NULL, article_id TEXT NOT NULL, first_seen TEXT NOT NULL,
               PRIMARY KEY (key, article_id)) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX story_keys_first_seen ON story_keys (first_seen)")


def _add_delivery_claims(db: sqlite_utils.Database) -> None:
    # Which process is sending a delivery right now, so two processes never send it at once.
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_by TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_until TEXT")


def _story_keys_with_rowid(db: sqlite_utils.Database) -> None:
    # In a WITHOUT ROWID table the first_seen index carries the whole primary key, so every
    # key landed on a random page of two trees; in a rowid table the rows and that index only
    # grow at their ends (measured: a quarter of the time a cold run spent storing articles).
    db.execute(
        """CREATE TABLE story_keys_new (
               key INTEGER NOT NULL, article_id TEXT NOT NULL, first_seen TEXT NOT NULL,
               PRIMARY KEY (key, article_id))"""
    )
    db.execute(
        """INSERT INTO story_keys_new (key, article_id, first_seen)
           SELECT key, article_id, first_seen FROM story_keys ORDER BY first_seen"""
    )
    db.execute("DROP TABLE story_keys")
    db.execute("ALTER TABLE story_keys_new RENAME TO story_keys")
    db.execute("CREATE INDEX story_keys_first_seen ON story_keys (first_seen)")


def _index_full_text_in_batches(db: sqlite_utils.Database) -> None:
    # Tokenising in an insert trigger, and flushing an FTS segment at every feed's COMMIT, cost
    # most of a cold run's time under the single writer lock; Store.index_new_articles now
    # indexes every article past this watermark in one transaction. Rows already stored count
    # as indexed: the dropped trigger indexed them.
    db.execute("DROP TRIGGER IF EXISTS articles_ai")
    db.execute(
        """CREATE TABLE fts_state (
               id INTEGER PRIMARY KEY CHECK (id = 1), indexed_rowid INTEGER NOT NULL)"""
    )
    db.execute(
        "INSERT INTO fts_state (id, indexed_rowid) SELECT 1, COALESCE(MAX(rowid), 0) FROM articles"
    )
    # An external-content FTS5 'delete' must repeat the terms once inserted: for a row not yet
    # indexed it would remove terms that were never there and corrupt the index.
    db.execute("DROP TRIGGER IF EXISTS articles_au")
    db.execute(
        f"""CREATE TRIGGER articles_au AFTER UPDATE OF title, summary, text ON articles
            WHEN old.rowid <= {FTS_WATERMARK} BEGIN
              {_FTS_DELETE_OLD};
              INSERT INTO articles_fts (rowid, title, summary, text)
              VALUES (new.rowid, new.title, new.summary, new.text);
            END"""
    )
    # Deleting the newest rows lets SQLite hand their rowids out again: the watermark comes
    # down with them so the new rows count as not yet indexed.
    db.execute("DROP TRIGGER IF EXISTS articles_ad")
    db.execute(
        f"""CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
              {_FTS_DELETE_OLD} WHERE old.rowid <= {FTS_WATERMARK};
              UPDATE fts_state SET indexed_rowid = (SELECT COALESCE(MAX(rowid), 0) FROM articles)
              WHERE indexed_rowid > (SELECT COALESCE(MAX(rowid), 0) FROM articles);
            END"""
    )


def _partitioned_search_index(db: sqlite_utils.Database) -> None:
    # One index over the whole archive made a merge step as long as its longest doclist (270 ms
    # at a million articles, every writer waiting): see monitor.store.search_index. Every
    # article is indexed again, once, into partitions by the next index_search().
    search_index.create_schema(db.conn)


def _story_keys_by_article(db: sqlite_utils.Database) -> None:
    # A pruned article's near-duplicate keys are found by its id: bounding the search by the
    # keys' first_seen left them behind whenever an article's first_seen had been changed.
    db.execute("CREATE INDEX IF NOT EXISTS story_keys_article ON story_keys (article_id)")


def _matches_by_time(db: sqlite_utils.Database) -> None:
    # The web page lists matches newest first, of every rule or of one: without these a page
    # sorted every match of the period.
    db.execute("CREATE INDEX IF NOT EXISTS matches_matched_at ON matches (matched_at)")
    db.execute("CREATE INDEX IF NOT EXISTS matches_rule_matched_at ON matches (rule, matched_at)")


def _create_tombstones(db: sqlite_utils.Database) -> None:
    # What is left of a pruned article (DESIGN §11): its article id and a hash of each
    # (feed, guid) it came by, so that a feed still listing it never brings it back as new.
    # listed_at: the last poll that saw it listed; a tombstone goes when no feed has for long.
    db.execute(
        """CREATE TABLE tombstones (
               key TEXT PRIMARY KEY, pruned_at TEXT NOT NULL, listed_at TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX tombstones_listed_at ON tombstones (listed_at)")
    # The outbox is pruned by age; without an index each batch would read the whole table.
    db.execute("CREATE INDEX IF NOT EXISTS deliveries_created_at ON deliveries (created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS digest_runs_created_at ON digest_runs (created_at)")


def _add_alert_policy(db: sqlite_utils.Database) -> None:
    # Alert policy (DESIGN §13). When a feed started failing, for its health notice; what kind
    # of run a digest run is (a digest or a source-health notice: only digests count against
    # max_per_hour); cron runs held by quiet hours or a cap until their release; the last health
    # state each feed was notified of; spike alerts waiting for their digest run.
    db.execute("ALTER TABLE feeds ADD COLUMN failing_since TEXT")
    db.execute("ALTER TABLE digest_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest'")
    db.execute("CREATE INDEX digest_runs_digest_created ON digest_runs (digest, created_at)")
    db.execute("CREATE TABLE digest_holds (digest TEXT PRIMARY KEY, since TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE source_health (
               url TEXT PRIMARY KEY, notified TEXT NOT NULL, changed_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE spikes (
               id TEXT PRIMARY KEY, rule TEXT NOT NULL, digest TEXT NOT NULL,
               window_start TEXT NOT NULL, detected_at TEXT NOT NULL, window TEXT NOT NULL,
               count INTEGER NOT NULL, usual REAL NOT NULL, article_ids TEXT NOT NULL,
               run_id TEXT)"""
    )
    db.execute("CREATE INDEX spikes_rule_detected ON spikes (rule, detected_at)")
    db.execute("CREATE INDEX matches_rule_matched ON matches (rule, matched_at)")


def _tombstone_feeds(db: sqlite_utils.Database) -> None:
    # A tombstone may go once its feed has been read without listing it: each tombstone names
    # the feed that last listed it, and each feed when it was last read (an unchanged feed is
    # not read again, and still lists what it listed then).
    db.execute("ALTER TABLE tombstones ADD COLUMN feed TEXT")
    db.execute("CREATE TABLE feed_readings (feed TEXT PRIMARY KEY, read_at TEXT NOT NULL)")


def _add_worker_leases(db: sqlite_utils.Database) -> None:
    # Several workers on one database (DESIGN §15): which worker polls a feed now and until
    # when; and a cron digest's scheduled time, opened once however many workers fire for it.
    db.execute("ALTER TABLE feeds ADD COLUMN leased_by TEXT")
    db.execute("ALTER TABLE feeds ADD COLUMN leased_until TEXT")
    db.execute("ALTER TABLE digest_runs ADD COLUMN scheduled_for TEXT")
    db.execute("CREATE UNIQUE INDEX digest_runs_scheduled ON digest_runs (digest, scheduled_for)")


# Tables that name a feed by its URL: (table, column, the rest of its key, or None when the
# column is no part of the table's key).
_FEED_URL_COLUMNS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("feeds", "url", ()),
    ("article_sources", "feed", ("article_id",)),
    ("feed_readings", "feed", ()),
    ("source_health", "url", ()),
    ("articles", "feed", None),
    ("tombstones", "feed", None),
)


def feed_keys_without_secrets(conn: Connection) -> None:
    """A feed is known by its URL without userinfo and with secret parameters as *** (see
    monitor.secrets.mask_url), so that a new password or API key keeps its history. Rows
    written before under the URL as written move to that key; where both exist, the row
    already under the new key stays. Portable SQL: both backends migrate with it."""
    written = {row[0] for row in conn.execute("SELECT url FROM feeds").fetchall()}
    written |= {row[0] for row in conn.execute("SELECT DISTINCT feed FROM article_sources")}
    for old in sorted(u for u in written if u and mask_url(u) != u):
        new = mask_url(old)
        for table, column, rest in _FEED_URL_COLUMNS:
            if rest is not None:
                same = "".join(f" AND kept.{c} = {table}.{c}" for c in rest)
                conn.execute(
                    f"""DELETE FROM {table} WHERE {column} = ? AND EXISTS (
                          SELECT 1 FROM {table} AS kept WHERE kept.{column} = ?{same})""",
                    (old, new),
                )
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new, old))


def _feed_keys_without_secrets(db: sqlite_utils.Database) -> None:
    feed_keys_without_secrets(db.conn)


def _add_source_names(db: sqlite_utils.Database) -> None:
    # The publisher a search source names for an article (Google News' <source>, GDELT's
    # domain, a news sitemap's publication): what a digest calls its source.
    db.execute("ALTER TABLE article_sources ADD COLUMN source_name TEXT")


def _count_articles_per_feed(db: sqlite_utils.Database) -> None:
    # `news-monitor feeds` shows how many stored articles each feed delivered: counting its
    # article_sources rows took a pass over the whole archive at every call. The count is kept
    # beside the rows by triggers, so every write path (polls, prune, db copy) keeps it right.
    db.execute("CREATE TABLE feed_counts (feed TEXT PRIMARY KEY, articles INTEGER NOT NULL)")
    db.execute(
        """INSERT INTO feed_counts (feed, articles)
           SELECT feed, COUNT(*) FROM article_sources GROUP BY feed"""
    )
    db.execute(
        f"""CREATE TRIGGER article_sources_counted AFTER INSERT ON article_sources BEGIN
              {_COUNT_NEW};
            END"""
    )
    db.execute(
        f"""CREATE TRIGGER article_sources_uncounted AFTER DELETE ON article_sources BEGIN
              {_UNCOUNT_OLD};
            END"""
    )
    db.execute(
        f"""CREATE TRIGGER article_sources_recounted AFTER UPDATE OF feed ON article_sources
            WHEN new.feed <> old.feed BEGIN
              {_UNCOUNT_OLD};
              {_COUNT_NEW};
            END"""
    )


_COUNT_NEW = """INSERT INTO feed_counts (feed, articles) VALUES (new.feed, 1)
              ON CONFLICT (feed) DO UPDATE SET articles = articles + 1"""
_UNCOUNT_OLD = "UPDATE feed_counts SET articles = articles - 1 WHERE feed = old.feed"


# The web page's changes to the config (with the text before and after, for the diff and
# "Revert") and the analysts' judgements of matched stories (DESIGN §18).
WORKBENCH_TABLES = [
    """CREATE TABLE IF NOT EXISTS config_changes (
         id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, route TEXT NOT NULL,
         subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS judgements (
         article_id TEXT NOT NULL, rule TEXT NOT NULL, relevant INTEGER NOT NULL,
         at TEXT NOT NULL, PRIMARY KEY (article_id, rule))""",
]


def _create_workbench(db: sqlite_utils.Database) -> None:
    for ddl in WORKBENCH_TABLES:
        db.execute(ddl)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_base_schema", _create_base),
    ("0002_story_keys", _create_story_keys),
    ("0003_delivery_claims", _add_delivery_claims),
    ("0004_story_keys_rowid", _story_keys_with_rowid),
    ("0005_fts_batch_index", _index_full_text_in_batches),
    ("0006_tombstones", _create_tombstones),
    ("0008_tombstone_feeds", _tombstone_feeds),
    ("0009_alert_policy", _add_alert_policy),
    ("0010_worker_leases", _add_worker_leases),
    ("0011_feed_keys_without_secrets", _feed_keys_without_secrets),
    ("web_0001_matches_by_time", _matches_by_time),
    ("0012_article_source_names", _add_source_names),
    ("0013_feed_article_counts", _count_articles_per_feed),
    ("0014_partitioned_search_index", _partitioned_search_index),
    ("0015_story_keys_by_article", _story_keys_by_article),
    ("0016_workbench", _create_workbench),
]
# Not a transaction like the others (VACUUM cannot run inside one): see _incremental_vacuum.
VACUUM_MIGRATION = "0007_incremental_auto_vacuum"


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    """A write inside bulk(): undone alone if it fails, committed with the bulk."""
    conn.execute("SAVEPOINT bulk_write")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO bulk_write")
        conn.execute("RELEASE bulk_write")
        raise
    else:
        conn.execute("RELEASE bulk_write")


class Database:
    """Opens one connection per thread; `write()` holds BEGIN IMMEDIATE so writers queue, never fail.

    Open one through `open_database(config.database)`: the setting, not the caller, chooses
    the backend.
    """

    dialect: Dialect = SQLITE

    def __init__(self, path: str) -> None:
        if is_postgres(path):  # never a local directory named "postgresql:"
            raise ValueError("a postgresql:// database is opened with open_database()")
        path = sqlite_path(path)
        self.path = path
        self._local = threading.local()
        # re-entrant: a nested write() fails in SQLite as it always did, rather than hang
        self._write_lock = threading.RLock()
        self._writer_conn: sqlite3.Connection | None = None
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for reads (and writes outside ``write()``)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _writer(self) -> sqlite3.Connection:
        # One connection for every write() of this process (callers hold the write lock): its
        # page cache stays valid from one transaction to the next, where a thread's own
        # connection must drop its cache whenever another connection has written.
        if self.path == ":memory:":
            return self.connection()  # each connection would be a database of its own
        if self._writer_conn is None:
            self._writer_conn = self._connect()
            self._writer_conn.execute(f"PRAGMA cache_size = {-WRITER_CACHE_KIB}")
            # A checkpoint runs inside the COMMIT that triggers it, while every other writer
            # waits; every 10,000 pages (~40 MB of WAL) rather than 1,000 measured 15% faster.
            self._writer_conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        return self._writer_conn

    def utils(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.connection())

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction. ``lock`` names a critical section that must not run in two
        processes at once (a read-then-write like folding a story); SQLite needs nothing more
        for it, since BEGIN IMMEDIATE already admits one writer at a time."""
        # Writers of this process queue on a lock: SQLite's busy handler would have them sleep
        # and retry (1, 2, 5 ... 100 ms), leaving the database idle while they slept. Other
        # processes still queue through the busy timeout.
        with self._write_lock:
            conn = self._writer()
            if getattr(self._local, "bulk", False):
                with _savepoint(conn):
                    yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """One transaction around every write() this thread makes inside it, each of them a
        savepoint: filling a database in bulk (the scale bench) commits once per call rather
        than once per feed's batch, while the rows still go through the store's own methods.
        Every other writer waits for the whole of it: never around the service's work."""
        with self.write():
            self._local.bulk = True
            try:
                yield
            finally:
                self._local.bulk = False

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    # search: each backend its own engine (FTS5 here, tsvector in postgres.py) ---------------

    def index_search(self) -> int:
        """Add every article stored since the last call to the full-text index, a partition's
        worth per transaction (a single FTS segment flush each); returns how many were indexed."""
        added = 0
        while True:
            with self.write() as conn:
                done = search_index.index_new(conn)
            added += done
            if done < search_index.PART_ROWS:
                return added

    def search_ids(self, query: str, since: str | None, limit: int | None) -> list[str]:
        """Ids of articles first seen since ``since`` that the FTS5 ``query`` finds, newest first."""
        # Every article first seen since `since` has a rowid at least the smallest of theirs
        # (read off the first_seen index): bounding the index's rowids by it keeps FTS5 and the
        # join from visiting every archived article a common term is in, and leaves out the
        # partitions wholly before it. `+rowid`: a bare MIN(rowid) walks the table in rowid
        # order until one row qualifies.
        first = self.query(
            "SELECT MIN(+rowid) FROM articles WHERE first_seen >= ?", (since or "",)
        )[0][0]
        if first is None:
            return []
        conn = self.connection()
        # one snapshot: the partitions as listed are the ones searched
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            found = search_index.search_sql(conn, first)
            if found is None:
                return []
            sql = f"""SELECT a.id FROM ({found}) f JOIN articles a ON a.rowid = f.rowid
                      WHERE a.first_seen >= ?2 ORDER BY a.first_seen DESC"""
            if limit:
                sql += f" LIMIT {int(limit)}"
            return [r[0] for r in conn.execute(sql, (query, since or ""))]
        finally:
            if own:
                conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def migrate(self) -> list[str]:
        """Apply the named migrations not yet recorded; returns the names applied."""
        applied: list[str] = []
        if self._incremental_vacuum():
            applied.append(VACUUM_MIGRATION)
        with self.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
            db = sqlite_utils.Database(conn)
            for name, apply in MIGRATIONS:
                if name in done:
                    continue
                apply(db)
                conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
                applied.append(name)
            if VACUUM_MIGRATION in applied or VACUUM_MIGRATION not in done:
                conn.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    (VACUUM_MIGRATION, datetime.now(UTC).isoformat()),
                )
        return applied

    def _incremental_vacuum(self) -> bool:
        """Turn on incremental auto-vacuum, so that pruning can give pages back to the file
        system. It takes a VACUUM (the WAL header already fixed the mode of a new file): instant
        on a new file, as long as copying it on an existing one, once. Returns whether an
        existing file was converted."""
        if self.path == ":memory:":
            return False
        with self._write_lock:
            conn = self._writer()
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == AUTO_VACUUM_INCREMENTAL:
                return False
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            if not conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                conn.execute("VACUUM")  # a new file, empty: instant
                return False
            started = time.perf_counter()
            size = Path(self.path).stat().st_size
            log.info("converting %s to incremental auto-vacuum (VACUUM, once)", self.path)
            conn.execute("VACUUM")
            log.info(
                "converted %s to incremental auto-vacuum bytes=%d seconds=%.1f",
                self.path,
                size,
                time.perf_counter() - started,
            )
            return True

    def page_bytes(self) -> int:
        """The size of the database file's pages."""
        conn = self.connection()
        return int(conn.execute("PRAGMA page_count").fetchone()[0]) * self._page_size()

    def free_bytes(self) -> int:
        """What the file holds that no table uses."""
        return self.free_pages() * self._page_size()

    def disk_bytes(self) -> int:
        """The file itself and its WAL, as on disk."""
        return sum(
            Path(self.path + suffix).stat().st_size
            for suffix in ("", "-wal")
            if self.path != ":memory:" and Path(self.path + suffix).exists()
        )

    def _page_size(self) -> int:
        return int(self.connection().execute("PRAGMA page_size").fetchone()[0])

    def free_pages(self) -> int:
        """Pages the file holds but no table uses (what incremental_vacuum gives back)."""
        return int(self.connection().execute("PRAGMA freelist_count").fetchone()[0])

    def incremental_vacuum(self, pages: int) -> None:
        """Give up to ``pages`` free pages back to the file system, in one short write."""
        with self._write_lock:
            # executescript steps the pragma to the end: one execute() frees a single page
            self._writer().executescript(
                f"BEGIN IMMEDIATE; PRAGMA incremental_vacuum({int(pages)}); COMMIT;"
            )

    def checkpoint_passive(self) -> None:
        """Copy what the WAL holds into the file without taking the write lock, so that the
        COMMIT of a long run of writes (a prune) never falls on the automatic checkpoint."""
        self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    @contextmanager
    def checkpoints_by_hand(self) -> Iterator[None]:
        """No checkpoint inside this process's COMMITs meanwhile: the caller runs
        checkpoint_passive() between its writes, outside the write lock. A checkpoint that
        falls due in a COMMIT copies and syncs up to 40 MB while every writer waits (measured
        in a prune of 890,000 articles: 774 of 6,833 batches over 100 ms, up to 1,001 ms,
        against a median of 28 ms)."""
        with self._write_lock:
            self._writer().execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            with self._write_lock:
                self._writer().execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")

    def checkpoint(self) -> None:
        """Copy the WAL into the file and truncate it, so its bytes are given back too."""
        with self._write_lock:
            self._writer().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
