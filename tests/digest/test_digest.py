"""Digest selection as pure logic: grouping by rule, max_items, snippets with highlights; and the
outbox's retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.digest.outbox import retry_at
from monitor.digest.select import MatchedArticle, build_digest, delivery_id, snippet_around_hits

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def matched(
    rule: str, n: int, *, hours_ago: float = 0, text: str = "", hits: tuple = (), also: tuple = ()
) -> MatchedArticle:
    return MatchedArticle(
        rule=rule,
        title=f"Story {n}",
        url=f"https://example.org/{n}",
        source="Desk",
        published=T0 - timedelta(hours=hours_ago),
        first_seen=T0,
        summary_text=text,
        hits=hits,
        terms=("Rogun",),
        also_reported_by=also,
    )


def test_entries_are_grouped_by_rule_in_config_order_newest_first() -> None:
    items = [
        matched("NATO", 1, hours_ago=3),
        matched("SCO", 2, hours_ago=1),
        matched("NATO", 3, hours_ago=0),
    ]
    digest = build_digest(
        digest_id="d1",
        name="daily",
        created_at=T0,
        rules=["SCO", "Rogun", "NATO"],
        items=items,
        max_items=50,
    )
    assert [s.rule for s in digest.sections] == ["SCO", "NATO"]
    assert [e.title for e in digest.sections[1].entries] == ["Story 3", "Story 1"]
    assert digest.total == 3


def test_over_max_items_the_newest_are_kept_and_the_rest_counted() -> None:
    items = [matched("SCO", n, hours_ago=n) for n in range(10)]
    digest = build_digest(
        digest_id="d1", name="daily", created_at=T0, rules=["SCO"], items=items, max_items=4
    )
    section = digest.sections[0]
    assert [e.title for e in section.entries] == ["Story 0", "Story 1", "Story 2", "Story 3"]
    assert section.more == 6 and digest.total == 10


def test_also_reported_by_is_carried_into_the_entry() -> None:
    digest = build_digest(
        digest_id="d",
        name="x",
        created_at=T0,
        rules=["SCO"],
        items=[matched("SCO", 1, also=("Wire", "Paper"))],
        max_items=5,
    )
    assert digest.sections[0].entries[0].also_reported_by == ("Wire", "Paper")


def test_the_snippet_is_a_window_around_the_first_hit_with_every_hit_in_it_highlighted() -> None:
    text = (
        ("Filler words about the weather and markets. " * 12)
        + "The Rogun dam rises; Rogun power flows. "
        + ("More filler text here. " * 12)
    )
    first = text.index("Rogun")
    second = text.index("Rogun", first + 1)
    hits = (
        {"term": "Rogun", "field": "text", "start": first, "end": first + 5},
        {"term": "Rogun", "field": "text", "start": second, "end": second + 5},
    )
    snippet, spans = snippet_around_hits(text, hits)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 300
    assert [snippet[a:b] for a, b in spans] == ["Rogun", "Rogun"]


def test_a_snippet_without_hits_is_the_start_of_the_text() -> None:
    snippet, spans = snippet_around_hits("Short summary.", ())
    assert (snippet, spans) == ("Short summary.", ())


def test_delivery_ids_are_stable_per_run_and_channel() -> None:
    assert delivery_id("run1", "team") == delivery_id("run1", "team")
    assert delivery_id("run1", "team") != delivery_id("run1", "hook")


@pytest.mark.parametrize(
    ("attempts", "age", "retry_after", "expected"),
    [
        (1, timedelta(0), None, timedelta(minutes=1)),
        (2, timedelta(0), None, timedelta(minutes=2)),
        (5, timedelta(0), None, timedelta(minutes=16)),
        (9, timedelta(hours=10), None, timedelta(hours=4, minutes=16)),
        (10, timedelta(hours=10), None, timedelta(hours=6)),  # capped at 6 h
        (30, timedelta(hours=20), None, timedelta(hours=6)),
        (2, timedelta(0), 120.0, timedelta(seconds=120)),  # Retry-After wins
        (3, timedelta(hours=45), None, timedelta(minutes=4)),
        (12, timedelta(hours=44), None, None),  # the next try would pass 48 h: give up
    ],
)
def test_retries_back_off_from_one_minute_to_six_hours_for_48_hours(
    attempts, age, retry_after, expected
) -> None:
    now = T0 + age
    when = retry_at(attempts=attempts, created_at=T0, now=now, retry_after=retry_after)
    assert (when - now if when else None) == expected


def test_a_snippet_does_not_say_the_lead_twice_when_the_full_text_repeats_it() -> None:
    summary = "Leaders met in Astana on Tuesday. They spoke of trade."
    full = "Leaders met in Astana on Tuesday. They spoke of trade. The Rogun dam came up last."
    text = f"{summary}\n\n{full}"
    rogun = text.rindex("Rogun")
    snippet, spans = snippet_around_hits(text, [{"start": rogun, "end": rogun + 5}])
    assert snippet.count("Leaders met in Astana") <= 1
    assert [snippet[s:e] for s, e in spans] == ["Rogun"]
    # a hit in the summary lands on the same words of the full text
    astana = text.index("Astana")
    snippet, spans = snippet_around_hits(text, [{"start": astana, "end": astana + 6}])
    assert snippet.count("Leaders met in Astana") == 1
    assert [snippet[s:e] for s, e in spans] == ["Astana"]
    # a summary the page does not repeat stays
    other = "A teaser of its own.\n\nLeaders met in Astana."
    assert snippet_around_hits(other, [])[0].startswith("A teaser of its own.")
