"""fts_query against a real SQLite FTS5 table built like the store's: it must never lose a match."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.rules import Document, Matcher, build_rule, fts_query

# Spellings that the matcher treats as one word but FTS5's unicode61 tokenizer may not.
ARTICLES = [
    ("NATO's summit", "Leaders of the North-Atlantic Treaty met."),
    ("Королёв", "Сергей Королев и ракета; Рогунской ГЭС"),
    ("Straße", "Die Strasse ist lang; ÜBERFLUSS"),
    ("Café", "the CAFE on rue de l'Église"),
    ("Αθήνα", "Η αθηνα σήμερα"),
    ("Shanghai Cooperation Organisation", "the SCO summit in Tashkent"),
    ("中国人民", "新闻 news"),
    ("anti-missile", "anti missile shield for Tajikistan"),
    ("Йошкар-Ола", "йод и иод"),
    ("fiasco", "Scottish sco"),
]

QUERIES = [
    "NATO",
    '"North Atlantic Treaty"',
    "королев",
    "Королёв NEAR/3 ракета",
    "Рогун*",
    "strasse",
    "Straße",
    "uberfluss",
    "cafe OR église",
    "αθηνα",
    "ΑΘΗΝΑ σημερα",
    '{SCO} OR "Shanghai Cooperation Organi*ation"',
    "Organi?ation",
    "中国",
    "anti-missile Tajik*",
    "йошкар NOT иод",
    "иод",
    "title:fiasco",
    "-NATO",
    "tag:asia",
    "news OR tag:asia",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("fts") / "archive.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, text,"
        " tokenize='unicode61 remove_diacritics 2')"
    )
    db.executemany(
        "INSERT INTO articles_fts (rowid, title, summary, text) VALUES (?, ?, '', ?)",
        [(i, title, text) for i, (title, text) in enumerate(ARTICLES)],
    )
    db.commit()
    yield db
    db.close()


def fts_ids(db: sqlite3.Connection, expression: str) -> set[int]:
    rows = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (expression,))
    return {row[0] for row in rows}


def matched_ids(query: str) -> set[int]:
    matcher = Matcher([build_rule(name="r", query=query)])
    docs = [Document(title=title, text=text) for title, text in ARTICLES]
    return {i for i, doc in enumerate(docs) if matcher.match(doc)}


@pytest.mark.parametrize("query", QUERIES)
def test_the_prefilter_finds_every_article_the_rule_matches(
    archive: sqlite3.Connection, query: str
) -> None:
    expression = fts_query(build_rule(name="r", query=query))
    if expression is None:
        return  # no prefilter: the caller scans everything
    assert matched_ids(query) <= fts_ids(archive, expression)


def test_the_prefilter_narrows_plain_terms(archive: sqlite3.Connection) -> None:
    expression = fts_query(build_rule(name="r", query="uberfluss OR Рогун*"))
    assert expression is not None
    assert fts_ids(archive, expression) == {1, 2}
    assert matched_ids("uberfluss OR Рогун*") == {1, 2}


def test_no_prefilter_where_none_is_safe() -> None:
    for query in ("-NATO", "tag:asia", "news OR tag:asia", "*stan"):
        assert fts_query(build_rule(name="r", query=query)) is None, query


def test_negations_and_scopes_are_left_to_the_matcher(archive: sqlite3.Connection) -> None:
    expression = fts_query(build_rule(name="r", query="title:fiasco -sco"))
    assert expression == '"fiasco"'
    assert matched_ids("title:fiasco -sco") == set()
    assert fts_ids(archive, expression) == {9}


words = st.sampled_from(
    ["королев", "Королёв", "strasse", "straße", "cafe", "αθηνα", "Αθήνα", "NATO", "йод", "иод",
     "сергей", "sco", "organi*ation", "рогун*", "anti-missile", "atlantic"]
)  # fmt: skip
queries = st.recursive(
    words,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) OR ({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) ({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) -({t[1]})"),
    ),
    max_leaves=4,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(queries)
def test_the_prefilter_is_a_superset_for_any_query(archive: sqlite3.Connection, query: str) -> None:
    expression = fts_query(build_rule(name="r", query=query))
    if expression is not None:
        assert matched_ids(query) <= fts_ids(archive, expression)
