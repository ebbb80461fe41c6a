"""Retention against a real SQLite file and a real PostgreSQL database: what a prune removes
and keeps, its tombstones, the outbox, each feed's article count (what `news-monitor feeds`
shows, kept beside the rows), and (SQLite) the file giving its space back."""

from __future__ import annotations

import logging
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.store import search_index
from monitor.store.backend import open_database
from monitor.store.db import Database
from monitor.store.dialect import is_postgres
from monitor.store.retention import Cutoffs, cutoffs
from monitor.store.store import FeedPoll, MatchRow, SourceUpdate, Store, StoredArticle
from monitor.store.tombstones import tombstone_keys

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FEED = "http://a.test/feed"
WORDS = [
    "summit",
    "dam",
    "river",
    "treaty",
    "border",
    "council",
    "ministers",
    "pipeline",
    "grid",
    "election",
]


SQLITE_ONLY = (
    "SQLite only: PostgreSQL's autovacuum gives space back, and its search index has no "
    "segments to merge"
)


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(open_database(database_url))


def article(n: int, seen: datetime, *, text: str = "", title: str = "") -> StoredArticle:
    return StoredArticle(
        id=f"article-{n:06d}",
        url=f"http://a.test/{n}",
        link=f"http://a.test/{n}",
        guid=f"guid-{n}",
        feed=FEED,
        title=title or f"Story {n}",
        summary=f"Summary of story {n}",
        text=text,
        author=None,
        language=None,
        published=seen,
        first_seen=seen,
        story_keys=(n, n + 1_000_000),
    )


def stored(store: Store, articles: list[StoredArticle], now: datetime = NOW) -> None:
    store.save_articles(FEED, articles, [], {}, now)
    store.index_new_articles()


def matched(store: Store, article_id: str, rule: str = "watch") -> None:
    store.save_matches(
        [
            MatchRow(
                article_id=article_id,
                rule=rule,
                digest="daily",
                cluster_id=None,
                terms=("summit",),
                hits=(),
                matched_at=NOW,
            )
        ]
    )


def policy(
    *,
    articles: timedelta | None = timedelta(days=90),
    matched: timedelta | None = None,
    full_text: timedelta | None = None,
    deliveries: timedelta | None = None,
) -> Cutoffs:
    return cutoffs(
        NOW, articles=articles, matched=matched, full_text=full_text, deliveries=deliveries
    )


def count(store: Store, sql: str, params: tuple = ()) -> int:
    return int(store.db.query(sql, params)[0][0])


def search(store: Store, term: str) -> set[str]:
    return set(store.fts_candidates(term, datetime(2000, 1, 1, tzinfo=UTC)))


def integrity(store: Store) -> None:
    """No row of a pruned article left behind; on SQLite, the file and its FTS index sound."""
    for table in ("article_sources", "matches", "story_keys"):
        orphans = f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = t.article_id)"
        assert count(store, orphans) == 0, table
    if is_postgres(store.db.path):
        return  # PostgreSQL enforces the foreign keys itself
    conn = store.db.connection()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    search_index.check(conn)


def test_unmatched_articles_past_retention_go_with_every_row_of_theirs(store: Store) -> None:
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=10)
    stored(store, [article(1, old, text="summit"), article(2, old, text="summit")])
    stored(store, [article(3, recent, text="summit")])
    matched(store, "article-000002")

    report = store.prune(policy(), NOW)

    assert {r[0] for r in store.db.query("SELECT id FROM articles")} == {
        "article-000002",
        "article-000003",
    }
    assert report.rows["articles"] == 1 and report.rows.get("matched", 0) == 0
    assert (
        count(store, "SELECT COUNT(*) FROM article_sources WHERE article_id = 'article-000001'")
        == 0
    )
    assert count(store, "SELECT COUNT(*) FROM story_keys WHERE article_id = 'article-000001'") == 0
    assert search(store, "summit") == {"article-000002", "article-000003"}
    integrity(store)


def test_matched_articles_go_only_after_their_own_retention(store: Store) -> None:
    stored(store, [article(1, NOW - timedelta(days=400)), article(2, NOW - timedelta(days=200))])
    matched(store, "article-000001")
    matched(store, "article-000002")

    assert store.prune(policy(), NOW).rows.get("matched", 0) == 0  # matched: forever
    report = store.prune(policy(matched=timedelta(days=365)), NOW)

    assert report.rows["matched"] == 1 and report.rows["matches"] == 1
    assert {r[0] for r in store.db.query("SELECT id FROM articles")} == {"article-000002"}
    integrity(store)


def test_a_pruned_article_leaves_tombstones_the_store_recognises(store: Store) -> None:
    stored(store, [article(1, NOW - timedelta(days=100))])
    store.prune(policy(), NOW)

    known = store.known(FEED, ["guid-1"], ["article-000001"])
    assert "guid-1" in known.seen_guids  # this feed delivered it: not new
    assert known.pruned == {"article-000001"}  # by any feed: never stored or alerted again
    elsewhere = store.known("http://b.test/feed", ["other-guid"], ["article-000001"])
    assert elsewhere.pruned == {"article-000001"} and not elsewhere.seen_guids


def test_tombstones_go_once_no_feed_has_listed_them_for_as_long_as_articles_are_kept(
    store: Store,
) -> None:
    stored(store, [article(1, NOW - timedelta(days=100)), article(2, NOW - timedelta(days=100))])
    store.prune(policy(), NOW)
    later = NOW + timedelta(days=60)
    still_listed = store.known(FEED, ["guid-2"], ["article-000002"])
    store.save_articles(FEED, [], [], {}, later, tombstones=still_listed.tombstones)

    store.prune(
        cutoffs(
            later + timedelta(days=40),
            articles=timedelta(days=90),
            matched=None,
            full_text=None,
            deliveries=None,
        ),
        later + timedelta(days=40),
    )

    assert store.known(FEED, ["guid-1"], ["article-000001"]).pruned == frozenset()
    assert store.known(FEED, ["guid-2"], ["article-000002"]).pruned == {"article-000002"}


def test_page_text_goes_after_full_text_while_title_and_summary_stay_searchable(
    store: Store,
) -> None:
    stored(store, [article(1, NOW - timedelta(days=40), text="rogun", title="Dam talks")])
    matched(store, "article-000001")

    report = store.prune(policy(full_text=timedelta(days=30)), NOW)

    assert report.rows["full_text"] == 1
    assert store.db.query("SELECT text FROM articles")[0][0] == ""
    assert search(store, "rogun") == set()
    assert search(store, "dam") == search(store, "summary") == {"article-000001"}
    integrity(store)


def test_sent_and_abandoned_deliveries_go_after_their_retention_pending_ones_stay(
    store: Store,
) -> None:
    old, recent = (NOW - timedelta(days=40)).isoformat(), (NOW - timedelta(days=1)).isoformat()
    with store.db.write() as conn:
        conn.executemany(
            "INSERT INTO digest_runs (id, digest, created_at, entries, payload) VALUES (?, 'd', ?, 1, '{}')",
            [("run-old", old), ("run-new", recent)],
        )
        conn.executemany(
            "INSERT INTO deliveries (id, run_id, digest, channel, payload, status, created_at) VALUES (?, ?, 'd', 'c', '{}', ?, ?)",
            [
                ("sent-old", "run-old", "sent", old),
                ("failed-old", "run-old", "failed", old),
                ("pending-old", "run-old", "pending", old),
                ("sent-new", "run-new", "sent", recent),
            ],
        )

    report = store.prune(policy(deliveries=timedelta(days=30)), NOW)

    assert report.rows["deliveries"] == 2
    assert {r[0] for r in store.db.query("SELECT id FROM deliveries")} == {
        "pending-old",
        "sent-new",
    }
    assert count(store, "SELECT COUNT(*) FROM digest_runs") == 2  # run-old still has a pending row


def test_a_dry_run_counts_what_a_prune_removes_and_changes_nothing(store: Store) -> None:
    old = NOW - timedelta(days=100)
    stored(store, [article(n, old - timedelta(days=n), text="page") for n in range(30)])
    stored(store, [article(n, NOW - timedelta(days=40), text="page") for n in range(30, 35)])
    stored(store, [article(n, NOW, text="page") for n in range(35, 40)])
    matched(store, "article-000003")
    kept = policy(full_text=timedelta(days=30))

    dry = store.prune(kept, NOW, dry_run=True)
    assert count(store, "SELECT COUNT(*) FROM articles") == 40
    real = store.prune(kept, NOW)

    assert dry.rows["articles"] == real.rows["articles"] == 29
    assert dry.rows["sources"] == real.rows["sources"] == 29
    # page text goes only from the articles that stay: the matched old one and the five
    assert dry.rows["full_text"] == real.rows["full_text"] == 6
    # two keys each: the 29 articles' and the kept old one's (older than any max_age)
    assert dry.rows["story_keys"] == real.rows["story_keys"] == 60
    # every kind the dry run counts, as the prune removed it
    assert dry.rows == {kind: real.rows.get(kind, 0) for kind in dry.rows}


def test_an_article_aged_by_hand_goes_with_its_near_duplicate_keys(store: Store) -> None:
    stored(store, [article(n, NOW - timedelta(days=1)) for n in range(6)])
    with store.db.write() as conn:  # only the article's own time changes
        conn.execute(
            "UPDATE articles SET first_seen = ? WHERE id IN ('article-000001', 'article-000004')",
            ((NOW - timedelta(days=200)).isoformat(timespec="seconds"),),
        )

    report = store.prune(policy(), NOW)

    assert report.rows["articles"] == 2
    assert report.rows["story_keys"] == 4
    integrity(store)
    assert count(store, "SELECT COUNT(*) FROM story_keys") == 8


def test_a_large_prune_runs_in_many_short_transactions(store: Store) -> None:
    stored(store, [article(n, NOW - timedelta(days=100)) for n in range(3_000)])
    report = store.prune(policy(), NOW)
    assert report.rows["articles"] == 3_000
    assert report.batches > 3  # never one transaction holding the write lock for the whole job
    integrity(store)


def test_pruning_most_of_an_archive_gives_the_space_back_to_the_file_system(
    database_url: str,
) -> None:
    if is_postgres(database_url):
        pytest.skip(SQLITE_ONLY)
    path = Path(database_url)
    store = Store(open_database(str(path)))
    rng = random.Random(7)
    for day in range(100):
        seen = NOW - timedelta(days=day, hours=1)
        batch = [
            article(day * 100 + n, seen, text=" ".join(rng.choices(WORDS, k=500)) + f" w{day}x{n}")
            for n in range(100)
        ]
        stored(store, batch, now=seen)
    store.db.checkpoint()
    before = path.stat().st_size

    report = store.prune(policy(articles=timedelta(days=10)), NOW)

    after = path.stat().st_size
    assert report.rows["articles"] == 9_000
    assert after <= 0.6 * before, (before, after)
    assert report.bytes_given_back > 0.4 * before
    integrity(store)


def test_an_existing_database_is_converted_to_incremental_vacuum_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "old.db")
    open_database(path).close()
    raw = sqlite3.connect(path, isolation_level=None)  # as files made before the migration are
    raw.execute("PRAGMA auto_vacuum = NONE")
    raw.execute("VACUUM")
    raw.close()

    with caplog.at_level(logging.INFO, logger="monitor.store"):
        open_database(path).close()
        db = open_database(path)  # opened again: nothing left to convert

    assert db.query("PRAGMA auto_vacuum")[0][0] == 2
    converted = [r.getMessage() for r in caplog.records if "converted" in r.getMessage()]
    assert len(converted) == 1 and "seconds=" in converted[0]


def test_tombstone_keys_of_a_guid_differ_per_feed() -> None:
    a = tombstone_keys("http://a.test/feed", ["g"])["g"]
    b = tombstone_keys("http://b.test/feed", ["g"])["g"]
    assert a != b and len(a) == 32


def test_search_since_a_time_finds_every_article_since_then_and_none_before(
    store: Store,
) -> None:
    # stored out of time order (a slow poll's articles after a fast one's): the rowid bound
    # the search uses is the smallest rowid of those since, so none of them is missed
    stored(store, [article(1, NOW - timedelta(days=40), text="summit")])
    stored(store, [article(2, NOW - timedelta(hours=1), text="summit")])
    stored(store, [article(3, NOW - timedelta(days=3), text="summit")])
    stored(store, [article(4, NOW - timedelta(days=9), text="summit")])

    since = set(store.fts_candidates("summit", NOW - timedelta(days=7)))

    assert since == {"article-000002", "article-000003"}
    assert store.fts_candidates("summit", NOW + timedelta(days=1)) == []


OTHER_FEED = "http://b.test/feed"


def poll(feed: str, now: datetime = NOW) -> FeedPoll:
    return FeedPoll(
        url=feed, name=feed, polled_at=now, status=200, outcome="ok", next_check_at=now, failures=0
    )


def shown(store: Store) -> dict[str, int]:
    """Articles per feed as `news-monitor feeds` shows them."""
    return {row.url: row.articles for row in store.feed_health()}


def counted(store: Store) -> dict[str, int]:
    rows = store.db.query("SELECT feed, COUNT(*) FROM article_sources GROUP BY feed")
    return {feed: n for feed, n in rows}


def test_each_feed_shows_the_articles_it_delivered_through_polls_and_a_prune(
    store: Store,
) -> None:
    old = NOW - timedelta(days=100)
    store.save_articles(
        FEED, [article(n, old) for n in range(3)], [], {}, old, poll=poll(FEED, old)
    )
    store.save_articles(FEED, [article(3, NOW)], [], {}, NOW, poll=poll(FEED))
    # the other feed carries story 0 and one of its own, then sees story 0 again (one row)
    again = SourceUpdate(article_id="article-000000", guid="b-0", url="http://b.test/0")
    for new in ([article(4, NOW)], []):
        store.save_articles(OTHER_FEED, new, [again], {}, NOW, poll=poll(OTHER_FEED))
    assert shown(store) == counted(store) == {FEED: 4, OTHER_FEED: 2}

    report = store.prune(policy(), NOW)

    assert report.rows["articles"] == 3
    assert shown(store) == counted(store) == {FEED: 1, OTHER_FEED: 1}


def test_while_pruning_no_commit_checkpoints_and_afterwards_they_do_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkpoint that falls due in a COMMIT copies and syncs the WAL while every writer
    # waits; a prune checkpoints between its writes instead. Here a checkpoint falls due
    # every 20 pages, and each commit writes about 10.
    monkeypatch.setattr("monitor.store.sqlite.CHECKPOINT_PAGES", 20)

    def wal_pages_after_commits(db: Database) -> int:
        for _ in range(40):
            with db.write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS blobs (b BLOB)")
                conn.execute("INSERT INTO blobs VALUES (randomblob(40000))")
        return Path(db.path + "-wal").stat().st_size // 4096

    by_hand = open_database(str(tmp_path / "by-hand.db"))
    by_hand.migrate()
    with by_hand.checkpoints_by_hand():
        assert wal_pages_after_commits(by_hand) > 300  # never reset: nothing checkpointed it
    automatic = open_database(str(tmp_path / "automatic.db"))
    automatic.migrate()
    assert wal_pages_after_commits(automatic) < 100  # reset every 20 pages or so
    with pytest.raises(RuntimeError), by_hand.checkpoints_by_hand():
        raise RuntimeError("a prune that failed")
    by_hand.checkpoint()
    assert wal_pages_after_commits(by_hand) < 100
