"""The partitioned search index on a real SQLite file (monitor.store.search_index), made small
so that a handful of articles spans several partitions: every article is found once, whichever
partition it is in, through updates, prunes, folds and a fold stopped half-way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.store import search_index
from monitor.store.backend import open_database
from monitor.store.store import Store
from tests.store.test_retention import NOW, article, matched, policy, search, stored


@pytest.fixture
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(search_index, "PART_ROWS", 4)
    monkeypatch.setattr(search_index, "FOLD_ROWS", 3)
    return Store(open_database(str(tmp_path / "monitor.db")))


def live_parts(store: Store) -> list[search_index.Part]:
    return search_index.parts(store.db.connection(), "live")


def fts_tables(store: Store) -> set[str]:
    rows = store.db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    )
    return {r[0] for r in rows}


def old_and_new(store: Store, old: int, new: int) -> None:
    """``old`` articles past retention (every one with 'summit'), then ``new`` recent ones."""
    past = NOW - timedelta(days=100)
    stored(store, [article(n, past, text=f"summit word{n}") for n in range(old)])
    recent = NOW - timedelta(days=1)
    stored(store, [article(n, recent, text=f"summit word{n}") for n in range(old, old + new)])


def test_a_full_partition_is_closed_and_every_article_is_found_in_its_own(store: Store) -> None:
    for start in (0, 3, 6):  # three polls' worth
        stored(store, [article(n, NOW, text=f"summit word{n}") for n in range(start, start + 3)])

    parts = live_parts(store)
    assert [(p.lo, p.hi, p.rows) for p in parts] == [(1, 6, 6), (7, None, 3)]
    assert len(search(store, "summit")) == 9
    assert all(search(store, f"word{n}") == {f"article-{n:06d}"} for n in range(9))
    search_index.check(store.db.connection())


def test_a_first_indexing_of_many_articles_fills_one_partition_per_transaction(
    store: Store,
) -> None:
    store.save_articles("http://a.test/feed", [article(n, NOW) for n in range(10)], [], {}, NOW)
    assert store.index_new_articles() == 10
    assert [p.rows for p in live_parts(store)] == [4, 4, 2]
    search_index.check(store.db.connection())


def test_changed_text_and_deleted_articles_leave_each_partition_right(store: Store) -> None:
    old_and_new(store, 6, 3)
    with store.db.write() as conn:  # full text arriving for an article of the first partition
        conn.execute("UPDATE articles SET text = 'rogun dam' WHERE id = 'article-000001'")
    assert search(store, "rogun") == {"article-000001"}
    assert search(store, "word1") == set()
    search_index.check(store.db.connection())

    store.prune(policy(), NOW)
    assert search(store, "summit") == {f"article-{n:06d}" for n in range(6, 9)}
    search_index.check(store.db.connection())


def test_a_prune_folds_drained_partitions_into_one_and_drops_them(store: Store) -> None:
    old_and_new(store, 12, 4)
    matched(store, "article-000002")
    matched(store, "article-000009")
    before = len(live_parts(store))

    report = store.prune(policy(), NOW)

    assert report.rows["articles"] == 10
    # the two survivors of three drained partitions are folded into one
    assert len(live_parts(store)) < before
    survivors = {"article-000002", "article-000009"} | {f"article-{n:06d}" for n in range(12, 16)}
    assert search(store, "summit") == survivors
    assert search(store, "word9") == {"article-000009"}
    search_index.check(store.db.connection())
    kept = {p.table for p in search_index.parts(store.db.connection())}
    assert fts_tables(store) == kept  # the retired partitions are dropped
    assert search_index.parts(store.db.connection(), "retired") == []


def test_a_fold_stopped_half_way_is_searched_as_before_and_finished_by_the_next_prune(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_and_new(store, 12, 4)
    matched(store, "article-000002")
    copied: list[int] = []

    def stop_after_one(conn, part, limit):  # the process stops right after one step
        if copied:
            raise KeyboardInterrupt
        copied.append(real_step(conn, part, 1))
        return copied[-1]

    real_step = search_index.fold_step
    monkeypatch.setattr(search_index, "fold_step", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        store.prune(policy(), NOW)
    monkeypatch.setattr(search_index, "fold_step", real_step)

    assert copied == [1]
    assert search_index.parts(store.db.connection(), "building")
    with store.db.write() as conn:  # meanwhile the article is found once, and may change
        conn.execute("UPDATE articles SET text = 'summit sarez' WHERE id = 'article-000002'")
    assert search(store, "sarez") == {"article-000002"}
    search_index.check(store.db.connection())

    store.prune(policy(), NOW)

    assert search_index.parts(store.db.connection(), "building") == []
    assert search(store, "sarez") == {"article-000002"}
    assert len(search(store, "summit")) == 5
    search_index.check(store.db.connection())


def test_rowids_handed_out_again_after_the_newest_articles_went_are_indexed_again(
    store: Store,
) -> None:
    old_and_new(store, 10, 0)
    store.prune(policy(), NOW)  # every article goes: SQLite may reuse their rowids
    assert store.db.query("SELECT COUNT(*) FROM articles")[0][0] == 0

    stored(store, [article(n, NOW, text=f"rogun word{n}") for n in range(20, 26)])

    assert search(store, "rogun") == {f"article-{n:06d}" for n in range(20, 26)}
    search_index.check(store.db.connection())
