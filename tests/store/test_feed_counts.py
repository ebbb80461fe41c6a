"""The articles each feed delivered, as `news-monitor feeds` shows them: kept beside the rows
(no count over the archive at every call), right after polls, stories carried by two feeds,
a prune and on a database made before the count was kept. On both backends."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.store.backend import open_database
from monitor.store.db import Database
from monitor.store.retention import cutoffs
from monitor.store.store import FeedPoll, SourceUpdate, Store, StoredArticle

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
A, B = "http://a.test/feed", "http://b.test/feed"


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(open_database(database_url))


def article(n: int, feed: str, seen: datetime = NOW) -> StoredArticle:
    return StoredArticle(
        id=f"article-{n:06d}",
        url=f"http://news.test/{n}",
        link=f"http://news.test/{n}",
        guid=f"guid-{n}",
        feed=feed,
        title=f"Story {n}",
        summary="",
        text="",
        author=None,
        language=None,
        published=seen,
        first_seen=seen,
    )


def poll(feed: str, now: datetime = NOW) -> FeedPoll:
    return FeedPoll(
        url=feed, name=feed, polled_at=now, status=200, outcome="ok", next_check_at=now, failures=0
    )


def shown(store: Store) -> dict[str, int]:
    return {row["url"]: row["articles"] for row in store.feed_health()}


def counted(store: Store) -> dict[str, int]:
    rows = store.db.query("SELECT feed, COUNT(*) FROM article_sources GROUP BY feed")
    return {feed: n for feed, n in rows}


def test_each_feed_shows_the_articles_it_delivered_through_polls_and_a_prune(
    store: Store,
) -> None:
    old = NOW - timedelta(days=100)
    store.save_articles(A, [article(n, A, old) for n in range(3)], [], {}, old, poll=poll(A, old))
    store.save_articles(A, [article(3, A)], [], {}, NOW, poll=poll(A))
    # B carries A's story 0 and one of its own; then sees story 0 again (no second row)
    again = SourceUpdate(article_id="article-000000", guid="b-0", url="http://b.test/0")
    store.save_articles(B, [article(4, B)], [again], {}, NOW, poll=poll(B))
    store.save_articles(B, [], [again], {}, NOW, poll=poll(B))
    assert shown(store) == counted(store) == {A: 4, B: 2}

    cut = cutoffs(NOW, articles=timedelta(days=90), matched=None, full_text=None, deliveries=None)
    report = store.prune(cut, NOW)

    assert report.rows["articles"] == 3
    assert shown(store) == counted(store) == {A: 1, B: 1}


def test_a_database_made_before_the_count_was_kept_shows_it_from_its_rows(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "old.db")
    store = Store(Database(path))
    store.save_articles(A, [article(n, A) for n in range(5)], [], {}, NOW, poll=poll(A))
    store.db.close()
    raw = sqlite3.connect(path, isolation_level=None)  # as it was before the migration
    for trigger in ("counted", "uncounted", "recounted"):
        raw.execute(f"DROP TRIGGER article_sources_{trigger}")
    raw.execute("DROP TABLE feed_counts")
    raw.execute("DELETE FROM migrations WHERE name = '0013_feed_article_counts'")
    raw.close()

    assert shown(Store(Database(path))) == {A: 5}
