"""Properties of the rule language: the parser fails only with RuleSyntaxError, and OR, AND and
NOT combine whole queries exactly as boolean logic says, through the matcher's rule index too."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.rules import Document, Matcher, RuleSyntaxError, build_rule, parse_query, render

SYNTAX_PIECES = [
    "a", "b", "Rogun", "Рогун*", "(", ")", '"', "{", "}", "-", "*", "?", ":", "title:", "tag:",
    "site:", "AND", "OR", "NOT", "NEAR/2", "NEAR", "NEAR/x", "and", " ", " ", "\n", "&", "'", "é",
]  # fmt: skip


@given(st.text(max_size=40))
def test_parse_query_raises_only_rule_syntax_errors_on_any_text(source: str) -> None:
    try:
        parse_query(source)
    except RuleSyntaxError as error:
        assert error.column >= 1 and error.line >= 1 and error.reason


@given(st.lists(st.sampled_from(SYNTAX_PIECES), max_size=14).map("".join))
@example("a(a(a))")  # a group inside a group of its own kind read back flattened once
def test_parse_query_raises_only_rule_syntax_errors_on_query_like_text(source: str) -> None:
    try:
        tree = parse_query(source)
    except RuleSyntaxError as error:
        assert 1 <= error.column <= len(source.split("\n")[error.line - 1]) + 1
    else:
        assert parse_query(render(tree)) == tree


WORDS = ["alpha", "beta", "gamma", "ёлка", "café", "NATO"]
SPELLINGS = {
    "alpha": ["alpha", "Alpha", "ALPHA"],
    "beta": ["beta", "Beta"],
    "gamma": ["gamma", "GAMMA"],
    "ёлка": ["ёлка", "Елка", "ЁЛКА"],
    "café": ["café", "cafe", "CAFÉ"],
    "NATO": ["NATO", "Nato", "NATO's"],
    "x": ["x", "—", "y,"],
}

terms = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: f"{{{w}}}"),
    st.sampled_from(WORDS).map(lambda w: f"{w[:3]}*"),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda p: f'"{p[0]} {p[1]}"'),
)
scoped_terms = st.tuples(st.sampled_from(["", "", "title:", "text:"]), terms).map("".join)
nears = st.tuples(scoped_terms, st.integers(0, 3), scoped_terms).map(
    lambda t: f"{t[0]} NEAR/{t[1]} {t[2]}"
)
queries = st.recursive(
    st.one_of(scoped_terms, nears),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) OR ({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]}) ({t[1]})"),
        inner.map(lambda q: f"-({q})"),
    ),
    max_leaves=5,
)
fields = st.lists(
    st.sampled_from([*WORDS, "x"]).flatmap(lambda w: st.sampled_from(SPELLINGS[w])), max_size=8
).map(" ".join)
documents = st.builds(Document, title=fields, text=fields)


def holds(query: str, doc: Document) -> bool:
    return bool(Matcher([build_rule(name="r", query=query)]).match(doc))


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(queries, queries, documents)
def test_or_matches_exactly_when_either_side_does(a: str, b: str, doc: Document) -> None:
    assert holds(f"({a}) OR ({b})", doc) == (holds(a, doc) or holds(b, doc))


@SETTINGS
@given(queries, queries, documents)
def test_juxtaposition_matches_exactly_when_both_sides_do(a: str, b: str, doc: Document) -> None:
    assert holds(f"({a}) ({b})", doc) == (holds(a, doc) and holds(b, doc))
    assert holds(f"({a}) AND ({b})", doc) == holds(f"({a}) ({b})", doc)


@SETTINGS
@given(queries, documents)
def test_not_matches_exactly_when_the_query_does_not(a: str, doc: Document) -> None:
    assert holds(f"NOT ({a})", doc) == (not holds(a, doc))
    assert holds(f"-({a})", doc) == (not holds(a, doc))


@SETTINGS
@given(st.lists(queries, min_size=1, max_size=6), documents)
def test_many_rules_at_once_match_as_each_does_alone(rules: list[str], doc: Document) -> None:
    """The matcher's index skips rules; it must never skip one that holds."""
    together = Matcher([build_rule(name=str(i), query=q) for i, q in enumerate(rules)])
    alone = [str(i) for i, q in enumerate(rules) if holds(q, doc)]
    assert [m.rule for m in together.match(doc)] == alone


@SETTINGS
@given(queries, documents)
def test_every_hit_points_at_a_word_of_its_field(query: str, doc: Document) -> None:
    for found in Matcher([build_rule(name="r", query=query)]).match(doc):
        for hit in found.hits:
            text = getattr(doc, hit.field)
            assert 0 <= hit.start < hit.end <= len(text)
            assert text[hit.start].isalnum() and text[hit.end - 1].isalnum()
            assert hit.start == 0 or not text[hit.start - 1].isalnum()
            assert hit.end == len(text) or not text[hit.end].isalnum()


@given(
    st.lists(
        st.lists(st.sampled_from(SYNTAX_PIECES), min_size=1, max_size=5).map("".join), min_size=1
    )
)
def test_list_items_read_back_from_the_rendered_query(items: list[str]) -> None:
    """`check` and `rules test` show a rule as one query; it must mean what the lists meant."""
    try:
        rule = build_rule(name="r", any=items, all=items[:1])
    except RuleSyntaxError as error:
        assert error.item is not None and error.item.startswith(("any[", "all[", "query"))
    else:
        assert parse_query(render(rule.tree)) == rule.tree
