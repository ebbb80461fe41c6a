"""Wildcards match what the regular expression they replaced matched, in time bounded by the
word times the pattern rather than exponential in the stars."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules import Document, Matcher, build_rule, parse_query
from monitor.rules.glob import compile_glob


def old_regex(key: str) -> re.Pattern[str]:
    """How wildcards were matched before: a backtracking regular expression per pattern."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in key)
    return re.compile(body, re.DOTALL)


patterns = st.text(alphabet="ab*?.", min_size=0, max_size=9)
words = st.text(alphabet="ab.", min_size=0, max_size=12)


@settings(max_examples=2000, deadline=None)
@given(patterns, words)
def test_the_glob_agrees_with_the_old_regular_expression(pattern: str, word: str) -> None:
    assert compile_glob(pattern).matches(word) == bool(old_regex(pattern).fullmatch(word))


def test_stars_and_marks_in_a_table() -> None:
    cases = [
        ("tajik*", "tajikistan", True), ("tajik*", "tajik", True), ("tajik*", "taji", False),
        ("organi*ation", "organisation", True), ("organi*ation", "organization", True),
        ("organi*ation", "organiation", True), ("organi*ation", "organisatio", False),
        ("wom?n", "woman", True), ("wom?n", "womn", False), ("wom?n", "womaan", False),
        ("*stan", "kazakhstan", True), ("*stan", "stan", True), ("a*b*a", "aba", True),
        ("a*b*a", "ab", False), ("a*ab", "aab", True), ("?*?", "a", False), ("?*?", "ab", True),
        ("**x", "x", True), ("a?*?b", "axyb", True), ("a?*?b", "axb", False),
    ]  # fmt: skip
    for pattern, word, expected in cases:
        assert compile_glob(pattern).matches(word) is expected, (pattern, word)


def test_many_stars_against_a_long_run_of_one_letter_finish() -> None:
    # The regular expression took 18 s here (44 letters, ten stars) and minutes on a longer
    # word; run in a child so that a return of the old behaviour fails rather than hangs.
    script = (
        "from monitor.rules import Document, Matcher, build_rule\n"
        "rules = [build_rule(name='r', query='a*a*a*a*a*a*a*a*a*a*a*a*a*b'),\n"
        "         build_rule(name='s', query='title:a*a*a*a*a*a*a*a*a*a*a*a*a*a')]\n"
        "doc = Document(title='a' * 200 + ' ' + 'a' * 90 + 'c', text='a' * 5000)\n"
        "print([m.rule for m in Matcher(rules).match(doc)])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['s']"


def test_wildcards_in_feed_and_tag_scopes_use_the_same_matcher() -> None:
    doc = Document(title="x", feed="Radio Ozodi", tags=("central-asia",))
    rule = build_rule(name="r", query="tag:central* feed:*ozod?")
    assert Matcher([rule]).match(doc)
    assert not Matcher([build_rule(name="r", query="tag:*asia?")]).match(doc)


def test_a_flat_query_of_many_siblings_is_not_nesting() -> None:
    # The depth counter only ever went up: 101 side-by-side groups read as 101 levels deep.
    for query in (
        " ".join(f"-x{i}" for i in range(150)),
        " ".join(f"(x{i})" for i in range(150)),
        " ".join(f"title:x{i}" for i in range(150)),
        " ".join(f"NOT x{i}" for i in range(150)),
        " OR ".join(f"(a{i} NEAR/2 b{i})" for i in range(150)),
    ):
        parse_query(query)
    doc = Document(title="x1", text="")
    assert not Matcher([build_rule(name="r", query=" ".join(f"-x{i}" for i in range(150)))]).match(
        doc
    )
