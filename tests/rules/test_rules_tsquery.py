"""tsquery against a real PostgreSQL table of tsvector(...) literals: it must never lose a match,
never be unreadable whatever the rule says, and still narrow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_rules_fts import ARTICLES as FTS_ARTICLES
from test_rules_fts import QUERIES as FTS_QUERIES

from monitor.rules import Document, Matcher, RuleSyntaxError, build_rule, rule_tsquery
from monitor.rules.tsquery import MAX_POSITION, MAX_POSITIONS, tsvector

LONG = " ".join(["filler"] * (MAX_POSITION + 10)) + " Rogun dam"  # a phrase past the last position
REPEATED = " ".join(["the Rogun"] * (MAX_POSITIONS + 5)) + " the dam of Rogun"
# (title, text, author): the FTS side's spellings, and more the matcher splits or folds.
ARTICLES = [(title, text, "") for title, text in FTS_ARTICLES] + [
    ("snake_case G7", "the g7 met in 2024; co-operation", "Jean O'Brien Smith"),
    ("ﬁnance", "ＮＡＴＯ and Ⅻ; naïve façade", ""),
    ("long", LONG, ""),
    ("repeated", REPEATED, ""),
]
QUERIES = [
    *FTS_QUERIES,
    "NATO's",
    "North-Atlantic",
    "l'Église",
    '"国人"',
    "snake",
    '"snake case"',
    "G7 2024",
    "cooperation OR co-operation",
    "author:smith",
    "author:o'brien",
    "finance",
    "nato naive facade",
    '"filler Rogun"',
    '"Rogun dam"',
    '"the dam of Rogun"',
    '"the * of Rogun"',
    "{Tajik*}",
    "{Ö*}",
]


@pytest.fixture(scope="module")
def archive(postgres_cluster: Any) -> Iterator[Any]:
    import psycopg

    conn = psycopg.connect(postgres_cluster.new_database(), autocommit=True)
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, search TSVECTOR)")
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO articles (id, search) VALUES (%s, %s::tsvector)",
            [
                (i, tsvector(title, text, author))
                for i, (title, text, author) in enumerate(ARTICLES)
            ],
        )
    yield conn
    conn.close()


def found_ids(conn: Any, query: str) -> set[int]:
    rows = conn.execute("SELECT id FROM articles WHERE search @@ %s::tsquery", (query,))
    return {row[0] for row in rows}


def matched_ids(query: str) -> set[int]:
    matcher = Matcher([build_rule(name="r", query=query)])
    docs = [Document(title=t, text=x, author=a) for t, x, a in ARTICLES]
    return {i for i, doc in enumerate(docs) if matcher.match(doc)}


@pytest.mark.parametrize("query", QUERIES)
def test_the_prefilter_finds_every_article_the_rule_matches(archive: Any, query: str) -> None:
    expression = rule_tsquery(build_rule(name="r", query=query))
    if expression is None:
        return  # no prefilter: the caller reads everything
    assert matched_ids(query) <= found_ids(archive, expression)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("uberfluss OR Рогун*", {1, 2}),
        ('"North Atlantic Treaty"', {0}),
        ('"Atlantic North"', set()),
        ("中国", {6}),
        ('"国中"', set()),
        ("NATO's", {0}),
        ("author:smith", {10}),
        ("snake", {10}),
        ("finance OR nato", {0, 11}),
    ],
)
def test_the_prefilter_narrows(archive: Any, query: str, expected: set[int]) -> None:
    expression = rule_tsquery(build_rule(name="r", query=query))
    assert expression is not None
    assert found_ids(archive, expression) == expected == matched_ids(query)


def test_a_phrase_is_found_where_positions_were_lost_and_only_there(archive: Any) -> None:
    # LONG has "Rogun dam" past the last position the index can say, REPEATED more "rogun"s
    # than it keeps positions of: both stay candidates of a phrase of their words (the matcher
    # decides), and no other article is.
    for query, matched in (('"Rogun dam"', {12}), ('"dam Rogun"', set())):
        expression = rule_tsquery(build_rule(name="r", query=query))
        assert expression is not None
        assert matched_ids(query) == matched
        assert found_ids(archive, expression) == {12, 13}


def test_no_prefilter_where_none_is_safe() -> None:
    for query in ("-NATO", "tag:asia", "news OR tag:asia", "*stan", "NATO OR -summit"):
        assert rule_tsquery(build_rule(name="r", query=query)) is None, query


def test_negations_and_meta_are_left_to_the_matcher(archive: Any) -> None:
    expression = rule_tsquery(build_rule(name="r", query="title:fiasco -sco lang:en"))
    assert expression is not None
    assert found_ids(archive, expression) == {9}
    assert matched_ids("title:fiasco -sco lang:en") == set()


HOSTILE = [
    "'", "''", "\\", "\\'", "&", "|", "!", ":", "(", ")", "<->", "<2>", ":*", "*:", "'a':*",
    "a'b", "a&b", "a|b", "!a", "a:b", "a:*", "(a", "a)", "a\\b", "a <-> b", "O'Brien's",
    "naʼvi", "ŉ", "x\u02d0y", "\u00bd", "a\u0300b", "\x00a", "a\tb\nc",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_no_rule_text_makes_an_unreadable_query(archive: Any, text: str) -> None:
    for query in (text, f'"{text}"', f"{{{text}}}", f"{text}*", f"x OR ({text})"):
        try:
            rule = build_rule(name="r", query=query)
        except RuleSyntaxError:
            continue  # a config error with its column, before any search
        expression = rule_tsquery(rule)
        if expression is not None:
            assert matched_ids(query) <= found_ids(archive, expression)


def test_hostile_article_text_is_indexed_as_words(archive: Any) -> None:
    vector = tsvector("a'b & c|d !e (f) g:h \\i", "<-> 'j':* naʼvi", None)
    found = archive.execute("SELECT %s::tsvector", (vector,)).fetchone()[0]
    assert found == "'a':1 'b':2 'c':3 'd':4 'e':5 'f':6 'g':7 'h':8 'i':9 'j':10 'naʼvi':11"


def test_an_article_too_large_to_index_is_a_candidate_for_every_query(archive: Any) -> None:
    huge = " ".join(f"w{n:06d}" for n in range(150_000))  # 1.05 MB of distinct words
    archive.execute(
        "INSERT INTO articles (id, search) VALUES (99, %s::tsvector)", (tsvector(huge),)
    )
    try:
        for query in ("NATO", '"North Atlantic Treaty"', "Tajik*"):
            expression = rule_tsquery(build_rule(name="r", query=query))
            assert expression is not None
            assert 99 in found_ids(archive, expression)
    finally:
        archive.execute("DELETE FROM articles WHERE id = 99")


# For random rules over random texts: whenever the matcher matches, the index finds the article.
VOCABULARY = [
    "королев", "Королёв", "strasse", "straße", "cafe", "Café", "αθηνα", "Αθήνα", "NATO", "NATO's",
    "йод", "иод", "anti-missile", "atlantic", "中", "国", "g7", "snake_case", "o'brien", "ǅemal",
    "ＮＡＴＯ", "ﬁ", "İstanbul", "naïve",
]  # fmt: skip
query_words = st.sampled_from(
    [*VOCABULARY, "рогун*", "organi*ation", "Caf?", "{NATO}", "{Café}", "{Kor*}", "a*"]
)
queries = st.recursive(
    st.one_of(
        query_words,
        st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=3).map(
            lambda ws: '"' + " ".join(ws) + '"'
        ),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) OR ({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) ({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) -({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) NEAR/2 ({t[1]})"),
    ),
    max_leaves=4,
)
texts = st.lists(
    st.sampled_from([*VOCABULARY, "Korolev", "Caf", "organisation", "рогунской", ",", "-", "'"]),
    max_size=8,
).map(" ".join)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries, title=texts, text=texts)
def test_the_prefilter_is_a_superset_for_any_rule_and_text(
    archive: Any, query: str, title: str, text: str
) -> None:
    try:
        rule = build_rule(name="r", query=query)
    except RuleSyntaxError:
        assume(False)  # NEAR of an AND: refused at load, never searched
    expression = rule_tsquery(rule)
    if expression is None or not Matcher([rule]).match(Document(title=title, text=text)):
        return
    found = archive.execute(
        "SELECT %s::tsvector @@ %s::tsquery", (tsvector(title, text, None), expression)
    ).fetchone()[0]
    assert found, (query, title, text, expression)
