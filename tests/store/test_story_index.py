"""The story index as the store keeps it: copies of one story repeat its keys, so its rows grow
with what is new, not with copies; keys shared by many different stories (an outlet's footer)
fold nothing and stop being filed. (The cost per article is pinned on the pure folding, in
tests/stories/test_fold_decision.py.)"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CORPUS
from test_store import NOW, OTHER, WIRE, article, clusters, save

from monitor.store.backend import open_database
from monitor.store.store import Store
from monitor.stories.folding import HOT_KEY_STORIES

FOOTER = (
    "Sign up for our morning newsletter to get the day's top stories from the region in your "
    "inbox. Copyright 2026 Steppe Daily Media Group. All rights reserved. Republication "
    "without written permission is prohibited."
)
BENCHMARK = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"


def openings(count: int) -> list[str]:
    """The first three sentences of real, different articles: an outlet's day of teasers."""
    bodies = [item["articleBody"] for item in json.loads(BENCHMARK.read_text("utf-8")).values()]
    cut = [" ".join(re.split(r"(?<=[.!?])\s+", " ".join(b.split()))[:3]) for b in bodies]
    return [c for c in cut if len(c.split()) >= 40][:count]


TEASERS = openings(HOT_KEY_STORIES + 6)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_database(str(tmp_path / "monitor.db")))


def copy_of(n: int, story: str = WIRE) -> str:
    """Outlet n's copy of a story: its own opening line and sign-off."""
    return f"From our partners at outlet {n}. " + story + f" Edited for outlet {n} by the desk."


def test_a_story_of_40_copies_files_its_keys_about_once(store: Store) -> None:
    save(store, "http://a.test/feed", [article(f"big{n}", copy_of(n)) for n in range(40)])
    save(store, "http://a.test/feed", [article(f"small{n}", copy_of(n, OTHER)) for n in range(2)])
    later = NOW + timedelta(hours=1)
    for late, story, root in (
        ("late-big", WIRE, "id-big0"),
        ("late-small", OTHER, "id-late-small"),
    ):
        save(
            store, "http://b.test/feed", [article(late, copy_of(99, story), seen=later)], now=later
        )
        assert clusters(store)[f"id-{late}"] == root
    assert len(set(clusters(store).values())) == 2
    # copies repeat their story's keys: the postings grow with what is new, not with copies
    keys = dict(store.db.query("SELECT article_id, COUNT(*) FROM story_keys GROUP BY article_id"))
    big = sum(n for aid, n in keys.items() if aid.startswith("id-big"))
    # each copy files about what its own opening line adds (the first, up to 8 keys)
    assert keys["id-big0"] >= 6
    assert big <= 2 * 40


def test_an_outlets_footer_makes_no_candidates_and_folds_no_stories(store: Store) -> None:
    for n, teaser in enumerate(TEASERS):  # one poll each: each looked up against those before
        save(store, "http://a.test/feed", [article(f"t{n}", f"{teaser} {FOOTER}")])
    assert len(set(clusters(store).values())) == len(TEASERS)
    later = NOW + timedelta(hours=1)
    save(store, "http://a.test/feed", [article("next", f"{OTHER} {FOOTER}", seen=later)], now=later)
    assert clusters(store)["id-next"] == "id-next"
    # the footer's keys stopped being filed once they were seen in many stories
    most = store.db.query("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM story_keys GROUP BY key)")
    assert most[0][0] <= HOT_KEY_STORIES + 1


def test_a_copy_still_folds_among_the_outlets_footers(store: Store) -> None:
    for n, teaser in enumerate(TEASERS):
        save(store, "http://a.test/feed", [article(f"t{n}", f"{teaser} {FOOTER}")])
    save(store, "http://a.test/feed", [article("wire", f"{WIRE} {FOOTER}")])
    later = NOW + timedelta(hours=1)
    save(store, "http://b.test/feed", [article("copy", copy_of(3), seen=later)], now=later)
    assert clusters(store)["id-copy"] == clusters(store)["id-wire"]
