"""What a rule may cost: bounds with a clear error at their column, and work that stays
bounded on a text made to be expensive (one word repeated), whatever the rule."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules import Document, Matcher, RuleSyntaxError, build_rule
from monitor.rules.evaluate import _starts_by_bits, _starts_by_sets
from monitor.rules.hits import MAX_TERM_HITS


@pytest.mark.parametrize(
    ("query", "column", "reason"),
    [
        ('x "' + " ".join(["a"] * 33) + '"', 4, "a phrase may have at most 32 words, this one has 33"),
        (" OR ".join(f"w{i}" for i in range(1001)), 7891, "at most 1,000 words"),
        (" ".join(f"x{i}*" for i in range(51)), 241, "at most 50 words with wildcards"),
        (" NEAR/2 ".join(["a"] * 22), None, "at most 20 NEARs"),
        ("x" * 20_001, 1, "at most 20,000 characters"),
    ],
)  # fmt: skip
def test_a_rule_past_a_bound_is_an_error_at_its_column(
    query: str, column: int | None, reason: str
) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        build_rule(name="r", query=query)
    assert reason in caught.value.reason
    if column is not None:
        assert caught.value.column == column


def test_lists_count_toward_the_bounds() -> None:
    with pytest.raises(RuleSyntaxError, match="at most 1,000 words"):
        build_rule(name="r", query="Rogun", any=[f"name{i}" for i in range(1000)])
    build_rule(name="r", any=[f"name {i}" for i in range(400)])  # a long watch list is fine


positions = st.lists(st.integers(0, 60), max_size=30, unique=True).map(sorted)


@settings(max_examples=500, deadline=None)
@given(st.lists(positions, min_size=2, max_size=5))
def test_phrases_on_bit_masks_start_where_the_sets_say(found: list[list[int]]) -> None:
    assert _starts_by_bits(found, 61) == _starts_by_sets(found)


def test_a_long_phrase_of_one_repeated_word_finds_every_place() -> None:
    text = " ".join(["a"] * 300)
    rule = build_rule(name="r", query='"' + " ".join(["a"] * 30) + '"')
    (match,) = Matcher([rule]).match(Document(title="", text=text))
    assert len(match.hits) == 271 and match.hits[0].start == 0


def test_a_term_keeps_its_first_thousand_hits() -> None:
    rule = build_rule(name="r", query="a")
    (match,) = Matcher([rule]).match(Document(title="", text="a " * 5000))
    assert len(match.hits) == MAX_TERM_HITS


EXPENSIVE = [
    " ".join(["a*"] * 50),
    '"' + " ".join(["a"] * 32) + '"',
    '"' + " ".join(["a*"] * 32) + '"',
    " NEAR/100 ".join(["a"] * 21),
    " OR ".join(["(a NEAR/100 a NEAR/100 a NEAR/100 a)"] * 5),
    " OR ".join(["(a NEAR/100 (a OR a OR a OR a) NEAR/100 a)"] * 6),
    " OR ".join(["a"] * 1000),
    "NOT " * 99 + "b",
]


def test_expensive_rules_on_a_text_of_one_word_repeated_finish() -> None:
    # Before the bounds, the NEAR chain ran out of memory and the OR of a thousand took
    # minutes; run in a child so that a return of that fails rather than hangs the suite.
    script = (
        "import sys\n"
        "from monitor.rules import Document, build_rule\n"
        "from monitor.rules.explain import explained\n"
        "doc = Document(title='', text='a ' * 49_900)\n"
        "for query in sys.stdin.read().split('\\n'):\n"
        "    hits, text = explained(build_rule(name='r', query=query), doc)\n"
        "    print(hits is not None, len(hits or ()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input="\n".join(EXPENSIVE),
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    results = [line.split() for line in done.stdout.splitlines()]
    assert [r[0] for r in results] == ["True"] * len(EXPENSIVE)
    assert all(0 <= int(r[1]) <= 10_000 for r in results)
