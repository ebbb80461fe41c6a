"""Folding, the pure decision: a story folds the same and keeps the same id whatever copy is
stored first, alone or in one batch; an outlet's boilerplate folds nothing; the cost of joining
a story is bounded however many stories share a key and however many copies a story has."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from conftest import CORPUS

from monitor.stories.folding import (
    HOT_KEY_STORIES,
    MAX_CANDIDATE_STORIES,
    MEMBERS_PER_STORY,
    Filed,
    Newcomer,
    fold,
    members_to_compare,
)
from monitor.stories.neardup import fingerprint, is_near_duplicate
from testsupport.archive import MemoryArchive

BENCHMARK = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"
BODIES = sorted(
    (item["articleBody"] for item in json.loads(BENCHMARK.read_text("utf-8")).values()),
    key=len,
    reverse=True,
)


def sentences(text: str, count: int) -> str:
    return " ".join(re.split(r"(?<=[.!?])\s+", " ".join(text.split()))[:count])


def world(n: int) -> dict[str, object]:
    """One real story four ways (full, cut to three sentences under a longer headline, with a
    byline and sign-off, the page's text under a wire headline) and a different story."""
    story, other = BODIES[n], BODIES[n + 20]
    return {
        "f-full": fingerprint("Officials announce the plan", story),
        "c-cut": fingerprint(
            "Officials announce the plan, critics say it comes too late", sentences(story, 3)
        ),
        "b-byline": fingerprint(
            "Plan announced", f"By our correspondent. {story} Reporting by the desk."
        ),
        "d-other": fingerprint("Officials announce the plan", other),
    }


def stored(order: list[str], copies: dict, *, batch: bool) -> dict[str, str]:
    archive = MemoryArchive()
    if batch:
        archive.store([(a, copies[a]) for a in order])
    else:
        for a in order:
            archive.store([(a, copies[a])])
    return archive.story


@pytest.mark.parametrize("n", range(4))
def test_every_order_folds_one_story_under_one_id(n: int) -> None:
    copies = world(n)
    expected = {
        "f-full": "b-byline",
        "c-cut": "b-byline",
        "b-byline": "b-byline",
        "d-other": "d-other",
    }
    for order in itertools.permutations(copies):
        for batch in (False, True):
            assert stored(list(order), copies, batch=batch) == expected, (order, batch)


def test_a_story_renamed_to_its_smallest_member_is_reported_for_the_store() -> None:
    copies = world(0)
    filed = [
        Filed(key=k, article_id="f-full", story="f-full") for k in copies["f-full"].index_keys()
    ]
    needed = members_to_compare(filed, [Newcomer(id="c-cut", fingerprint=copies["c-cut"])])
    assert needed == {"f-full"}
    result = fold(
        filed, {"f-full": copies["f-full"]}, [Newcomer(id="c-cut", fingerprint=copies["c-cut"])]
    )
    assert result.renamed == {"f-full": "c-cut"}
    assert result.joined[0].story == "c-cut"


def test_a_newcomer_with_a_story_keeps_it() -> None:
    copies = world(1)
    archive = MemoryArchive()
    archive.store(
        [("f-full", copies["f-full"]), ("x-blurb", fingerprint("Blurb", "Leaders meet."))]
    )
    archive.story["x-blurb"] = archive.story["f-full"] = "f-full"  # one story already
    archive.refile("x-blurb", copies["d-other"])
    assert archive.story["x-blurb"] == "f-full"


def test_an_article_alone_whose_text_arrives_joins_the_story_it_repeats() -> None:
    copies = world(2)
    archive = MemoryArchive()
    archive.store(
        [("a-page", fingerprint("Summit opens", "Leaders meet.")), ("f-full", copies["f-full"])]
    )
    assert archive.story["a-page"] == "a-page"
    archive.refile("a-page", copies["b-byline"])
    assert archive.story == {"a-page": "a-page", "f-full": "a-page"}


FOOTER = (
    "Sign up for our morning newsletter to get the day's top stories from the region in your "
    "inbox. Copyright 2026 Steppe Daily Media Group. All rights reserved. Republication "
    "without written permission is prohibited."
)


def test_a_footer_shared_by_many_stories_folds_none_and_makes_no_candidates() -> None:
    archive = MemoryArchive()
    teasers = [sentences(b, 3) for b in BODIES[40 : 40 + HOT_KEY_STORIES + 6]]
    for n, teaser in enumerate(teasers):
        archive.store([(f"t{n:02d}", fingerprint(f"Story {n}", f"{teaser} {FOOTER}"))])
    assert len(set(archive.story.values())) == len(teasers)
    before = archive.compared
    archive.store([("z-next", fingerprint("Next", f"{sentences(BODIES[3], 4)} {FOOTER}"))])
    assert archive.story["z-next"] == "z-next"
    assert archive.compared - before <= MAX_CANDIDATE_STORIES * MEMBERS_PER_STORY
    # a copy under the same footer still folds into its story
    archive.store([("w-wire", fingerprint("Wire", f"{BODIES[5]} {FOOTER}"))])
    archive.store([("x-copy", fingerprint("Copy", f"From our partners. {BODIES[5]}"))])
    assert archive.story["x-copy"] == archive.story["w-wire"]


def test_joining_a_story_of_40_copies_compares_as_few_members_as_one_of_2() -> None:
    archive = MemoryArchive()
    story, other = BODIES[6], BODIES[7]
    archive.store(
        [(f"big{n:02d}", fingerprint(f"Copy {n}", f"Outlet {n} says. {story}")) for n in range(40)]
    )
    archive.store(
        [(f"small{n}", fingerprint(f"Copy {n}", f"Outlet {n} says. {other}")) for n in range(2)]
    )
    costs = []
    for name, text in (("late-big", story), ("late-small", other)):
        before = archive.compared
        archive.store([(name, fingerprint("Late copy", f"Outlet 99 says. {text}"))])
        costs.append(archive.compared - before)
    assert archive.story["late-big"] == "big00" and archive.story["late-small"] == "late-small"
    assert costs[0] <= MEMBERS_PER_STORY and costs[1] <= MEMBERS_PER_STORY
    # copies repeat their story's keys: its postings grow with what is new, not with copies
    filed = {key: ids for key, ids in archive._filed.items()}
    big = sum(1 for ids in filed.values() for a in ids if a.startswith("big"))
    small = sum(1 for ids in filed.values() for a in ids if a.startswith("small"))
    assert big <= 3 * small


def test_an_article_that_resembles_two_stories_makes_them_one_in_every_order() -> None:
    parts = re.split(r"(?<=[.!?])\s+", " ".join(BODIES[8].split()))
    third = len(parts) // 3
    copies = {
        "a-first": fingerprint("Plan announced", " ".join(parts[: 2 * third])),
        "b-last": fingerprint("More on the plan", " ".join(parts[third:])),
        "c-full": fingerprint("Officials announce the plan", " ".join(parts)),
    }
    assert not is_near_duplicate(copies["a-first"], copies["b-last"])
    expected = dict.fromkeys(copies, "a-first")
    for order in itertools.permutations(copies):
        assert stored(list(order), copies, batch=False) == expected, order
