"""Near duplicates: a republished wire story folds, different stories on one topic stay apart."""

from __future__ import annotations

import json
import re
import struct

import pytest
from conftest import CORPUS

from monitor.stories.neardup import Fingerprint, fingerprint, is_near_duplicate

TOPIC = CORPUS / "topic"

WIRE_TITLE = "Leaders sign security pact at SCO summit in Astana"
WIRE = """\
ASTANA (Reuters) - Leaders of the Shanghai Cooperation Organization signed a regional security
pact on Thursday at a summit in the Kazakh capital, pledging closer cooperation against what
they called terrorism, separatism and extremism.
Chinese President Xi Jinping and Russian President Vladimir Putin attended the two-day meeting,
which also admitted Belarus as the bloc's tenth full member.
The declaration calls for expanding settlements in national currencies and for new transport
corridors linking China, Central Asia and Europe, officials said.
Kazakh President Kassym-Jomart Tokayev said the organisation had to deliver practical projects,
pointing to railways, pipelines and power lines that members have discussed for years.
On the sidelines, Tajikistan sought backing for the Rogun hydropower plant, which Dushanbe says
will end the country's winter power shortages once its last turbines start turning."""

OTHER_SCO_TITLE = "SCO defence ministers meet in Bishkek ahead of joint drills"
OTHER_SCO = """\
BISHKEK (AP) - Defence ministers of the Shanghai Cooperation Organization met in the Kyrgyz
capital on Tuesday to prepare joint counter-terrorism exercises planned for the autumn.
The ministers discussed the situation in Afghanistan and the security of borders in Central Asia,
according to a statement from the Kyrgyz defence ministry.
Russia's defence minister said the drills would involve several thousand troops and aircraft
from member states, and that observers from partner countries had been invited.
The meeting came weeks before the bloc's annual summit, where leaders are expected to approve a
new development strategy for the organisation."""


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n") if p.strip()]


def _republished(*, trim_last: bool, byline: bool, headline: str) -> Fingerprint:
    paragraphs = _paragraphs(WIRE)
    if trim_last:
        paragraphs = paragraphs[:-1]
    if byline:
        paragraphs = ["By our correspondent in Almaty", *paragraphs, "Reporting by Reuters staff."]
    return fingerprint(headline, "\n".join(paragraphs))


ORIGINAL = fingerprint(WIRE_TITLE, WIRE)


@pytest.mark.parametrize(
    "copy",
    [
        _republished(trim_last=False, byline=False, headline="SCO leaders agree security pact"),
        _republished(trim_last=True, byline=False, headline=WIRE_TITLE),
        _republished(trim_last=False, byline=True, headline=WIRE_TITLE),
        _republished(trim_last=True, byline=True, headline="Xi, Putin join SCO security pact"),
        fingerprint(
            WIRE_TITLE.upper(), WIRE.replace("'", "’").replace("organisation", "organization")
        ),
    ],
    ids=["new-headline", "last-paragraph-trimmed", "byline-added", "all-edits", "typography"],
)
def test_republished_wire_story_is_a_near_duplicate(copy: Fingerprint) -> None:
    assert is_near_duplicate(ORIGINAL, copy)


def test_different_stories_on_one_topic_stay_apart() -> None:
    assert not is_near_duplicate(ORIGINAL, fingerprint(OTHER_SCO_TITLE, OTHER_SCO))


def test_cut_short_summary_of_the_same_wire_story_folds() -> None:
    words = " ".join(_paragraphs(WIRE)).split()
    first = fingerprint(WIRE_TITLE, " ".join(words[:40]) + " …")
    second = fingerprint("SCO signs security pact in Astana", " ".join(words[:60]) + "...")
    assert is_near_duplicate(first, second)


def test_short_items_on_one_topic_stay_apart() -> None:
    """Real one-line news items, several per topic (SCO summits, Uzbek and Kazakh elections)."""
    lines = (TOPIC / "wikipedia-current-events-central-asia.jsonl").read_text(encoding="utf-8")
    items = {
        item["headline"]: item.get("body") or "" for item in map(json.loads, lines.splitlines())
    }
    prints = [fingerprint(headline, body) for headline, body in items.items()]
    folded = [
        (a, b)
        for i, a in enumerate(items)
        for j, b in enumerate(items)
        if i < j and is_near_duplicate(prints[i], prints[j])
    ]
    assert len(prints) >= 30
    assert folded == []


def test_a_bare_headline_is_too_short_to_fold() -> None:
    assert not is_near_duplicate(
        fingerprint("Morning briefing", ""), fingerprint("Morning briefing", "")
    )


def test_fingerprint_survives_the_database() -> None:
    stored = ORIGINAL.to_bytes()
    assert isinstance(stored, bytes)
    assert Fingerprint.from_bytes(stored) == ORIGINAL
    empty = fingerprint("", "")
    assert Fingerprint.from_bytes(empty.to_bytes()) == empty


def test_fingerprint_rejects_foreign_bytes() -> None:
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(ORIGINAL.to_bytes()[:-3])


def test_fingerprint_is_the_same_after_a_restart() -> None:
    # Stored fingerprints are compared with new ones after restarts: no per-process hash seed.
    assert fingerprint("Rogun dam", "").to_bytes().hex() == "040100010000000000007e0313121ee162a2"


def test_a_fingerprint_stored_before_the_opening_existed_still_loads_with_its_keys() -> None:
    new = fingerprint(WIRE_TITLE, WIRE)
    values = new.hashes + new.lead
    old = struct.pack("<BHIH", 3, len(new.hashes), new.shingles, len(new.lead))
    old += struct.pack(f"<{len(values)}Q", *values)
    loaded = Fingerprint.from_bytes(old)
    assert loaded.hashes == new.hashes and loaded.lead == new.lead
    # it was filed under its lead's smallest values: it is looked up by them still
    assert loaded.opening == new.lead[:8]


def test_a_fingerprint_stored_before_the_lead_existed_still_loads() -> None:
    old = Fingerprint.from_bytes(bytes.fromhex("020100010000007e0313121ee162a2"))
    assert old.hashes == fingerprint("Rogun dam", "").hashes and old.lead == ()


BENCHMARK = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"


def _long_stories(count: int) -> list[str]:
    """The longest real article texts of the extraction benchmark."""
    bodies = [item["articleBody"] for item in json.loads(BENCHMARK.read_text("utf-8")).values()]
    return sorted(bodies, key=len, reverse=True)[:count]


def _first_sentences(text: str, count: int) -> str:
    return " ".join(re.split(r"(?<=[.!?])\s+", " ".join(text.split()))[:count])


@pytest.mark.parametrize("n", range(10))
def test_a_copy_cut_to_its_first_three_sentences_folds_into_the_full_story(n: int) -> None:
    story = _long_stories(10)[n]
    full = fingerprint("Officials announce the plan", story)
    cut = fingerprint(
        "Officials announce the plan, critics say it comes too late", _first_sentences(story, 3)
    )
    assert is_near_duplicate(cut, full) and is_near_duplicate(full, cut)
    # found through the index either way: each shares a key the other is filed under
    assert set(cut.probe_keys()) & set(full.index_keys())
    assert set(full.probe_keys()) & set(cut.index_keys())


def test_cut_short_copies_of_different_stories_stay_apart() -> None:
    stories = _long_stories(30)
    cuts = [fingerprint("News", _first_sentences(s, 3)) for s in stories]
    fulls = [fingerprint("News", s) for s in stories]
    folded = [
        (i, j)
        for i, cut in enumerate(cuts)
        for j, full in enumerate(fulls)
        if i != j and is_near_duplicate(cut, full)
    ]
    assert folded == []


def _paragraphs_of_real_articles(low: int, high: int) -> list[str]:
    bodies = [item["articleBody"] for item in json.loads(BENCHMARK.read_text("utf-8")).values()]
    return [
        " ".join(p.split())
        for body in bodies
        for p in body.split("\n")
        if low <= len(p.split()) <= high
    ]


def test_articles_sharing_one_paragraph_are_different_stories() -> None:
    """Real news reuses a wire paragraph or a quote in different articles: sharing one of three
    paragraphs, first or inside, is not being one story."""
    paragraphs = _paragraphs_of_real_articles(40, 80)
    folded = []
    for n in range(40):
        shared, a1, a2, b1, b2 = (paragraphs[(n * 7 + k * 131) % len(paragraphs)] for k in range(5))
        for a, b in (([shared, a1, a2], [shared, b1, b2]), ([a1, shared, a2], [b1, b2, shared])):
            if is_near_duplicate(
                fingerprint("Regional news", "\n".join(a)), fingerprint("World news", "\n".join(b))
            ):
                folded.append(n)
    assert folded == []
