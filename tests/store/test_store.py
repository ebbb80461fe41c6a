"""Storing a feed's articles in one transaction: new ones, races with other feeds, and the story
(cluster) each joins, against a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store import articles as articles_module
from monitor.store.backend import open_database
from monitor.store.store import CHUNK, MatchRow, SourceUpdate, Store, StoredArticle
from monitor.stories.neardup import fingerprint

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WIRE = (
    "Leaders of the Shanghai Cooperation Organization signed a regional security pact on "
    "Thursday at a summit in the Kazakh capital, pledging closer cooperation against terrorism. "
    "Chinese President Xi Jinping and Russian President Vladimir Putin attended the two-day "
    "meeting, which also admitted Belarus as the tenth full member of the bloc. The declaration "
    "calls for settlements in national currencies and new transport corridors to Europe."
)
OTHER = (
    "Defence ministers of the Shanghai Cooperation Organization met in the Kyrgyz capital on "
    "Tuesday to prepare joint counter-terrorism exercises planned for the autumn. The ministers "
    "discussed the situation in Afghanistan and the security of borders in Central Asia, "
    "according to a statement from the Kyrgyz defence ministry, and invited observers."
)


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(open_database(database_url))


def article(
    name: str, text: str, *, feed: str = "http://a.test/feed", seen: datetime = NOW
) -> StoredArticle:
    fp = fingerprint(name, text)
    return StoredArticle(
        id=f"id-{name}",
        url=f"http://a.test/{name}",
        link=f"http://a.test/{name}",
        guid=name,
        feed=feed,
        title=name,
        summary=text,
        text="",
        author=None,
        language=None,
        published=seen,
        first_seen=seen,
        fingerprint=fp.to_bytes(),
        story_keys=fp.index_keys(),
    )


def save(
    store: Store,
    feed: str,
    new: list[StoredArticle],
    *,
    again: Sequence[SourceUpdate] = (),
    now: datetime = NOW,
) -> list[StoredArticle]:
    return store.save_articles(feed, new, again, {}, now, fold_since=now - timedelta(days=7))


def clusters(store: Store) -> dict[str, str]:
    return dict(store.db.query("SELECT id, cluster_id FROM articles"))


def test_two_copies_in_one_batch_are_one_story(store: Store) -> None:
    saved = save(
        store,
        "http://a.test/feed",
        [article("wire", WIRE), article("copy", WIRE + " Reporting by staff.")],
    )
    assert [a.id for a in saved] == ["id-wire", "id-copy"]
    # the story goes by its smallest id, whichever copy came first
    assert clusters(store) == {"id-wire": "id-copy", "id-copy": "id-copy"}


def test_a_copy_joins_the_story_its_original_belongs_to(store: Store) -> None:
    save(store, "http://a.test/feed", [article("wire", WIRE), article("copy", WIRE + " More.")])
    later = NOW + timedelta(hours=1)
    save(
        store,
        "http://b.test/feed",
        [article("again", "By a correspondent. " + WIRE, seen=later)],
        now=later,
    )
    # the story goes by its smallest id: the new copy's, so the whole story is renamed
    assert clusters(store) == {"id-wire": "id-again", "id-copy": "id-again", "id-again": "id-again"}


def test_different_stories_stay_apart(store: Store) -> None:
    save(store, "http://a.test/feed", [article("wire", WIRE), article("other", OTHER)])
    assert clusters(store) == {"id-wire": "id-wire", "id-other": "id-other"}


def test_stories_older_than_the_fold_window_are_not_joined(store: Store) -> None:
    old = NOW - timedelta(days=8)
    save(store, "http://a.test/feed", [article("wire", WIRE, seen=old)], now=old)
    save(store, "http://b.test/feed", [article("copy", WIRE + " More.")])
    assert clusters(store)["id-copy"] == "id-copy"


def test_an_article_another_feed_stored_first_only_gains_a_source(store: Store) -> None:
    save(store, "http://a.test/feed", [article("wire", WIRE)])
    saved = save(store, "http://b.test/feed", [article("wire", WIRE, feed="http://b.test/feed")])
    assert saved == []
    assert store.sources_of(["id-wire"]) == {
        "id-wire": ["http://a.test/feed", "http://b.test/feed"]
    }
    assert store.db.query("SELECT feed FROM articles")[0][0] == "http://a.test/feed"


def test_articles_seen_again_gain_a_source_row(store: Store) -> None:
    save(store, "http://a.test/feed", [article("wire", WIRE)])
    again = [SourceUpdate(article_id="id-wire", guid="b-guid", url="http://b.test/wire")]
    save(store, "http://b.test/feed", [], again=again)
    rows = store.db.query("SELECT feed, guid FROM article_sources ORDER BY feed")
    assert [tuple(r) for r in rows] == [
        ("http://a.test/feed", "wire"),
        ("http://b.test/feed", "b-guid"),
    ]


def test_a_batch_larger_than_one_lookup_chunk_is_stored_and_folded(store: Store) -> None:
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(5000)]
    texts = [" ".join(rng.choices(vocabulary, k=80)) for _ in range(CHUNK)]
    save(store, "http://a.test/feed", [article(f"a{n}", t) for n, t in enumerate(texts)])
    copies = [article(f"b{n}", t + " Reported by staff.") for n, t in enumerate(texts)]
    saved = save(store, "http://b.test/feed", copies)
    assert len(saved) == CHUNK
    found = clusters(store)
    assert all(found[f"id-b{n}"] == f"id-a{n}" for n in range(CHUNK))


def race_after_the_first_plan(
    monkeypatch: pytest.MonkeyPatch, database: str, stored_meanwhile: StoredArticle
) -> None:
    """Another writer (as another process would) stores ``stored_meanwhile`` right after the
    first batch is planned, before that batch takes the write lock."""
    other_writer = Store(open_database(database))
    plan = articles_module.plan_batch
    raced: list[bool] = []

    def plan_then_race(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        planned = plan(*args, **kwargs)
        if not raced:
            raced.append(True)
            save(other_writer, stored_meanwhile.feed, [stored_meanwhile])
        return planned

    monkeypatch.setattr(articles_module, "plan_batch", plan_then_race)


def test_an_original_another_writer_stores_while_a_batch_is_planned_is_still_joined(
    store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    race_after_the_first_plan(monkeypatch, database_url, article("wire", WIRE))
    save(store, "http://b.test/feed", [article("copy", WIRE + " More.")])
    assert clusters(store) == {"id-wire": "id-copy", "id-copy": "id-copy"}


def test_an_article_another_writer_stores_while_a_batch_is_planned_is_not_stored_twice(
    store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    race_after_the_first_plan(monkeypatch, database_url, article("wire", WIRE))
    saved = save(store, "http://b.test/feed", [article("wire", WIRE, feed="http://b.test/feed")])
    assert saved == []
    assert store.sources_of(["id-wire"]) == {
        "id-wire": ["http://a.test/feed", "http://b.test/feed"]
    }


def test_matched_articles_with_a_wrapped_link_are_found_for_decoding(store: Store) -> None:
    # The statement holds a LIKE pattern with % in a string literal: PostgreSQL must read it as is.
    wrapped = article("wrapped", WIRE)
    plain = article("plain", OTHER)
    wrapped = StoredArticle(
        **{**vars_of(wrapped), "link": "https://news.google.com/rss/articles/X"}
    )
    save(store, "http://a.test/feed", [wrapped, plain])
    store.save_matches(
        [
            MatchRow(
                article_id=a.id,
                rule="SCO",
                digest="daily",
                cluster_id=a.id,
                terms=("SCO",),
                hits=(),
                matched_at=NOW,
            )
            for a in (wrapped, plain)
        ]  # fmt: skip
    )
    found = store.wrapped_matches("http://a.test/feed", NOW - timedelta(hours=1), limit=10)
    assert found == [(wrapped.id, "https://news.google.com/rss/articles/X")]


def vars_of(record: StoredArticle) -> dict:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}
