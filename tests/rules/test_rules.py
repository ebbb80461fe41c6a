"""The rule language of DESIGN §4: a table of queries against articles, errors, warnings, hits."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from monitor.rules import (
    Document,
    Hit,
    Matcher,
    RuleSyntaxError,
    build_rule,
    explain,
    parse_query,
    render,
    rule_warnings,
)


def matches(query: str, doc: Document) -> bool:
    return bool(Matcher([build_rule(name="r", query=query)]).match(doc))


# (query, title, text, expected)
TEXT_CASES = [
    # words: case- and accent-insensitive, on word boundaries
    ("Rogun", "", "The Rogun dam", True),
    ("Rogun", "", "ROGUN", True),
    ("rogun", "", "Rogun", True),
    ("Rogun", "", "Rogunskaya", False),
    ("Rogun", "Rogun dam", "", True),
    ("Rogun", "", "", False),
    ("NATO", "", "Nato allies", True),
    ("NATO", "", "NATO's summit", True),
    ("NATO", "", "NATO’s summit", True),
    ("NATO", "", "the NATO-led mission", True),
    ("NATO", "", "SENATOR", False),
    ("SCO", "", "a fiasco", False),
    ("SCO", "", "Scottish", False),
    ("SCO", "", "the SCO summit", True),
    ("SCO", "", "SCO-led", True),
    ("café", "", "cafe", True),
    ("cafe", "", "Café", True),
    ("cafe", "", "CAFÉ", True),
    ("Müller", "", "Muller", True),
    ("Muller", "", "Mueller", False),
    ("resume", "", "re\u0301sume\u0301", True),
    ("Рогун", "", "Рогун", True),
    ("Рогун", "", "РОГУН", True),
    ("ёлка", "", "елка", True),
    ("елка", "", "Ёлка", True),
    ("Straße", "", "STRASSE", True),
    ("strasse", "", "Straße", True),
    ("İstanbul", "", "istanbul", True),
    ("istanbul", "", "İSTANBUL", True),
    ("αθηνα", "", "Αθήνα", True),
    ("G7", "", "the G7 summit", True),
    ("2024", "", "in 2024,", True),
    ("中国", "", "中国人民", True),
    ("人民", "", "中国人民", True),
    ("国中", "", "中国人民", False),
    # lower-case operators are ordinary words
    ("and", "", "rock and roll", True),
    ("or", "", "this or that", True),
    ("not", "", "to be or not", True),
    ("near", "", "near the dam", True),
    ("rock and roll", "", "rock and roll", True),
    ("rock and roll", "", "rock roll", False),
    ("this or that", "", "this", False),
    ("not dam", "", "the dam", False),
    ("not dam", "", "not a dam", True),
    ("Dam Near Rogun", "", "dam Rogun", False),
    # {case-sensitive}
    ("{SCO}", "", "SCO", True),
    ("{SCO}", "", "Sco", False),
    ("{SCO}", "", "sco", False),
    ("{SCO}", "", "SCO's", True),
    ("{SCO}", "", "fiasco", False),
    ("{Apple}", "", "apple pie", False),
    ("{Apple}", "", "Apple Inc", True),
    ("{SC?}", "", "SCO", True),
    ("{SC?}", "", "Sco", False),
    ("{US}", "", "us and them", False),
    ("{US}", "", "the US said", True),
    ("{Shanghai Cooperation}", "", "Shanghai Cooperation", True),
    ("{Shanghai Cooperation}", "", "shanghai cooperation", False),
    # "phrases": adjacent, in order; punctuation between words does not count
    ('"Shanghai Cooperation Organization"', "", "the Shanghai Cooperation Organization met", True),
    ('"Shanghai Cooperation Organization"', "", "Organization Shanghai Cooperation", False),
    ('"Shanghai Cooperation Organization"', "", "Shanghai and Cooperation Organization", False),
    ('"Shanghai Cooperation Organization"', "", "shanghai cooperation organization", True),
    ('"Shanghai Cooperation Organization"', "", "Shanghai\nCooperation\n Organization", True),
    ('"Shanghai Cooperation Organization"', "", "Shanghai-Cooperation, Organization", True),
    ('"Shanghai Cooperation Organi*ation"', "", "Shanghai Cooperation Organisation", True),
    ('"Shanghai Cooperation Organi*ation"', "", "Shanghai Cooperation Organization", True),
    ('"Shanghai Cooperation Organi*ation"', "", "Shanghai Cooperation Organ", False),
    ('"Rogun dam"', "", "Rogun Dam", True),
    ('"Rogun dam"', "", "dam Rogun", False),
    ('"Rogun dam"', "Rogun", "dam", False),
    ('"Shanghai * Organization"', "", "Shanghai Cooperation Organization", True),
    ('"Shanghai * Organization"', "", "Shanghai Organization", False),
    ('"Рогунской ГЭС"', "", "строительство Рогунской ГЭС", True),
    # hyphens and apostrophes split words, in queries and articles alike
    ("anti-missile", "", "anti-missile shield", True),
    ("anti-missile", "", "anti missile shield", True),
    ("missile", "", "anti-missile shield", True),
    ("anti-missile", "", "missile anti", False),
    ("NATO's", "", "NATO's", True),
    ("NATO's", "", "NATO", False),
    ("O'Brien", "", "O’Brien", True),
    # wildcards: * any letters (or none), ? exactly one, within a word
    ("Tajik*", "", "Tajikistan", True),
    ("Tajik*", "", "Tajik", True),
    ("Tajik*", "", "Tajiks", True),
    ("Tajik*", "", "the tajikistani", True),
    ("Tajik*", "", "Taj", False),
    ("Tajik*", "", "Uzbek", False),
    ("Organi*ation", "", "Organisation", True),
    ("Organi*ation", "", "Organization", True),
    ("Organi*ation", "", "Organiation", True),
    ("Organi*ation", "", "Organisations", False),
    ("Рогун*", "", "Рогунской ГЭС", True),
    ("Рогун*", "", "Рогун", True),
    ("Рогун*", "", "Рог", False),
    ("Organi?ation", "", "Organization", True),
    ("Organi?ation", "", "Organiation", False),
    ("Organi?ation", "", "Organisszation", False),
    ("Rogun?", "", "Roguns", True),
    ("Rogun?", "", "Rogun", False),
    ("*stan", "", "Kazakhstan", True),
    ("*stan", "", "Stan", True),
    ("*stan", "", "stanza", False),
    ("caf*", "", "Café", True),
    ("Tajik*", "", "Tajik-Afghan", True),
    # AND (written or implied), OR, NOT, -
    ("Rogun dam", "", "the dam at Rogun", True),
    ("Rogun dam", "", "Rogun", False),
    ("Rogun dam", "Rogun", "a dam", True),
    ("Rogun AND dam", "", "dam Rogun", True),
    ("Rogun AND dam", "", "dam", False),
    ("Rogun OR Рогун", "", "Рогун", True),
    ("Rogun OR Рогун", "", "Rogun", True),
    ("Rogun OR Рогун", "", "Nurek", False),
    ("NOT Rogun", "", "Nurek dam", True),
    ("NOT Rogun", "", "Rogun dam", False),
    ("NOT Rogun", "Rogun", "", False),
    ("-Rogun", "", "Nurek", True),
    ("-Rogun", "", "Rogun", False),
    ("dam -Rogun", "", "Nurek dam", True),
    ("dam -Rogun", "", "Rogun dam", False),
    ("dam NOT Rogun", "", "Rogun dam", False),
    ("dam AND NOT Rogun", "", "Nurek dam", True),
    ("anti-Rogun", "", "anti Rogun", True),
    ('-"Rogun dam" dam', "", "Rogun dam", False),
    ('-"Rogun dam" dam', "", "dam at Rogun", True),
    # precedence: NOT > AND > OR, parentheses group
    ("a OR b c", "", "a", True),
    ("a OR b c", "", "b", False),
    ("a OR b c", "", "b c", True),
    ("a b OR c", "", "c", True),
    ("a b OR c", "", "a", False),
    ("(a OR b) c", "", "a", False),
    ("(a OR b) c", "", "b c", True),
    ("NOT a b", "", "b", True),
    ("NOT a b", "", "a b", False),
    ("NOT a b", "", "x", False),
    ("NOT a OR b", "", "a b", True),
    ("NOT a OR b", "", "a", False),
    ("NOT a OR b", "", "x", True),
    ("NOT (a OR b)", "", "b", False),
    ("NOT (a OR b)", "", "c", True),
    ("NOT NOT a", "", "a", True),
    ("a AND NOT b OR c", "", "c b", True),
    ("a AND NOT b OR c", "", "a b", False),
    ("((a))", "", "a", True),
    ("a (b OR (c d))", "", "a c d", True),
    ("a (b OR (c d))", "", "a c", False),
    # NEAR/n: at most n words between, either order, within one field
    ("Rogun NEAR/3 dam", "", "Rogun dam", True),
    ("Rogun NEAR/3 dam", "", "dam Rogun", True),
    ("Rogun NEAR/3 dam", "", "Rogun one two three dam", True),
    ("Rogun NEAR/3 dam", "", "Rogun one two three four dam", False),
    ("Rogun NEAR/3 dam", "", "dam one two three Rogun", True),
    ("Rogun NEAR/3 dam", "", "dam one two three four Rogun", False),
    ("Rogun NEAR/0 dam", "", "Rogun dam", True),
    ("Rogun NEAR/0 dam", "", "Rogun big dam", False),
    ("Rogun NEAR/3 dam", "Rogun", "dam", False),
    ("Rogun NEAR/3 dam", "", "Rogun, the: dam", True),
    ("Rogun NEAR/3 dam", "", "Rogun one two three four dam. Later: dam", False),
    ("Rogun NEAR/3 dam", "", "Rogun one two three four dam; dam x Rogun", True),
    ('"Rogun dam" NEAR/2 Tajik*', "", "Tajikistan's Rogun dam", True),
    ("(Rogun OR Nurek) NEAR/2 dam", "", "Nurek hydro dam", True),
    ("(Rogun OR Nurek) NEAR/2 dam", "", "Nurek hydro power big dam", False),
    ("Rogun NEAR/2 Rogun", "", "Rogun", False),
    ("Rogun NEAR/2 Rogun", "", "Rogun and Rogun", True),
    ("NOT Rogun NEAR/2 dam", "", "Rogun dam", False),
    ("NOT Rogun NEAR/2 dam", "", "Rogun is far from any of the dam", True),
    ("title:Rogun NEAR/2 dam", "Rogun dam", "", True),
    ("title:Rogun NEAR/2 dam", "", "Rogun dam", False),
    # field scopes on a term, phrase or group
    ("title:Rogun", "Rogun", "", True),
    ("title:Rogun", "", "Rogun", False),
    ("text:Rogun", "Rogun", "", False),
    ("text:Rogun", "", "Rogun", True),
    ("title:(Rogun OR Nurek)", "Nurek dam", "", True),
    ("title:(Rogun OR Nurek)", "", "Nurek", False),
    ('title:"Rogun dam"', "the Rogun dam", "", True),
    ('title:"Rogun dam"', "", "the Rogun dam", False),
    ("title:{SCO}", "SCO", "", True),
    ("title:{SCO}", "Sco", "SCO", False),
    ("NOT title:football", "", "football", True),
    ("NOT title:football", "football", "", False),
    ("Title:Rogun", "Rogun", "", True),
    ("title:(Rogun text:dam)", "Rogun", "dam", True),
    ("title:(Rogun text:dam)", "Rogun dam", "", False),
    ("title:Tajik*", "Tajikistan", "", True),
]


@pytest.mark.parametrize(("query", "title", "text", "expected"), TEXT_CASES)
def test_query_against_title_and_text(query: str, title: str, text: str, expected: bool) -> None:
    assert matches(query, Document(title=title, text=text)) is expected


# (query, document, expected): author and where the article came from
ORIGIN_CASES = [
    ("author:Smith", Document(author="John Smith"), True),
    ("author:Smith", Document(title="Smith"), False),
    ("Smith", Document(author="Smith"), False),
    ('author:"John Smith"', Document(author="Smith, John"), False),
    ("tag:central-asia", Document(tags=("central-asia",)), True),
    ("tag:Central-Asia", Document(tags=("central-asia",)), True),
    ("tag:central-asia", Document(tags=("asia",)), False),
    ("tag:central", Document(tags=("central-asia",)), False),
    ("tag:central*", Document(tags=("central-asia",)), True),
    ("tag:asia", Document(tags=("europe", "asia")), True),
    ('feed:"Central Asia desk"', Document(feed="Central Asia desk"), True),
    ('feed:"Central Asia"', Document(feed="Central Asia desk"), True),
    ("feed:desk", Document(feed="Central Asia desk"), True),
    ("feed:Europe", Document(feed="Central Asia desk"), False),
    ("feed:https://example.org/nato.xml", Document(feed_url="https://example.org/nato.xml"), True),
    ("feed:example.org/nato.xml", Document(feed_url="https://example.org/nato.xml"), True),
    ("feed:https://example.org/a.xml", Document(feed_url="https://example.org/nato.xml"), False),
    ("site:bbc.co.uk", Document(url="https://www.bbc.co.uk/news/1"), True),
    ("site:bbc.co.uk", Document(url="https://bbc.co.uk/news/1"), True),
    ("site:bbc.co.uk", Document(url="https://notbbc.co.uk/x"), False),
    ("site:bbc.co.uk", Document(url="https://bbc.co.uk.example.com/x"), False),
    ("site:www.bbc.co.uk", Document(url="https://bbc.co.uk/x"), False),
    ("site:BBC.co.uk", Document(url="https://WWW.BBC.CO.UK/x"), True),
    ("site:https://www.bbc.co.uk/news", Document(url="https://www.bbc.co.uk/x"), True),
    ("site:bbc.co.uk", Document(url=""), False),
    ("site:(bbc.co.uk OR reuters.com)", Document(url="https://www.reuters.com/x"), True),
    ("lang:ru", Document(lang="ru"), True),
    ("lang:ru", Document(lang="ru-RU"), True),
    ("lang:ru", Document(lang="ru_RU"), True),
    ("lang:ru", Document(lang="rue"), False),
    ("lang:ru-RU", Document(lang="ru"), False),
    ("lang:RU", Document(lang="ru"), True),
    ("lang:ru", Document(lang=""), False),
    ("-lang:ru", Document(lang="en"), True),
    ("NATO lang:en", Document(text="NATO", lang="en-GB"), True),
    ("NATO lang:en", Document(text="NATO", lang="fr"), False),
    ("NATO tag:central-asia", Document(text="NATO", tags=("europe",)), False),
]


@pytest.mark.parametrize(("query", "doc", "expected"), ORIGIN_CASES)
def test_query_against_author_feed_tag_site_lang(query: str, doc: Document, expected: bool) -> None:
    assert matches(query, doc) is expected


def test_the_case_table_covers_at_least_150_cases() -> None:
    assert len(TEXT_CASES) + len(ORIGIN_CASES) >= 150


# (query, line, column, reason fragment)
ERROR_CASES = [
    ("Rogun AND NOT", 1, 14, "expected a term after NOT"),
    ("", 1, 1, "empty query"),
    ("   ", 1, 1, "empty query"),
    ("(Rogun", 1, 1, "unclosed '('"),
    ("a (Rogun OR dam", 1, 3, "unclosed '('"),
    ("Rogun)", 1, 6, "unexpected ')'"),
    ('"Rogun dam', 1, 1, "unclosed quote"),
    ('Rogun "dam', 1, 7, "unclosed quote"),
    ("{SCO", 1, 1, "unclosed '{'"),
    ("SCO}", 1, 4, "unexpected '}'"),
    ("Rogun OR", 1, 9, "expected a term after OR"),
    ("OR Rogun", 1, 1, "expected a term before OR"),
    ("Rogun AND OR dam", 1, 11, "expected a term after AND"),
    ("Rogun NEAR dam", 1, 7, "NEAR needs a number of words"),
    ("Rogun NEAR/x dam", 1, 7, "NEAR needs a number of words"),
    ("(a b) NEAR/3 c", 1, 7, "NEAR joins"),
    ("a NEAR/3 NOT b", 1, 10, "expected a term after NEAR/3"),
    ("a NEAR/3 tag:x", 1, 3, "NEAR joins"),
    ("title:", 1, 7, "expected a term after title:"),
    ("title: Rogun", 1, 7, "expected a term after title:"),
    ("()", 1, 1, "empty parentheses"),
    ("Rogun - dam", 1, 8, "expected a term right after '-'"),
    ("&", 1, 1, "no letters or digits"),
    ("*", 1, 1, "wildcard needs letters"),
    ('""', 1, 2, "no letters or digits"),
    ("Rogun\nAND", 2, 4, "expected a term after AND"),
    ("(" * 101 + "a" + ")" * 101, 1, 101, "nested more than 100 levels"),
    ("NOT " * 101 + "a", 1, 401, "nested more than 100 levels"),
    ("a" + " NEAR/1 a" * 101, 1, 903, "nested more than 100 levels"),
]


@pytest.mark.parametrize(("query", "line", "column", "reason"), ERROR_CASES)
def test_syntax_errors_say_where_and_why(query: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_query(query)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason
    assert str(error).startswith(f"{line}:{column}: ")


def test_the_documented_error_message() -> None:
    with pytest.raises(RuleSyntaxError, match=r"^1:14: expected a term after NOT$"):
        build_rule(name="r", query="Rogun AND NOT")


def test_a_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_query("(")


WARNING_CASES = [
    ("a OR b c", ["1:3: OR mixed with AND/NOT without parentheses: read as a OR (b AND c)"]),
    ("a OR NOT b", ["1:3: OR mixed with AND/NOT without parentheses: read as a OR NOT b"]),
    ("x y OR z", ["1:5: OR mixed with AND/NOT without parentheses: read as (x AND y) OR z"]),
    ("(a OR b) c", []),
    ("a OR b", []),
    ("a b NOT c", []),
    ("rock and roll", ["1:6: 'and' is searched as a word; operators are upper case (AND)"]),
    ("a or b", ["1:3: 'or' is searched as a word; operators are upper case (OR)"]),
    ("titel:Rogun", ["1:1: 'titel:' is not a field"]),
    ('"rock and roll"', []),
]


@pytest.mark.parametrize(("query", "expected"), WARNING_CASES)
def test_check_warnings(query: str, expected: list[str]) -> None:
    found = rule_warnings(build_rule(name="r", query=query))
    assert len(found) == len(expected)
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start)


def test_a_rule_with_no_positive_term_is_warned_about() -> None:
    assert any("no positive term" in w for w in rule_warnings(build_rule(name="r", none=["x"])))


# -- hits ---------------------------------------------------------------------------------------


def hits_of(query: str, doc: Document, **rule: object) -> tuple[Hit, ...]:
    found = Matcher([build_rule(name="r", query=query, **rule)]).match(doc)  # type: ignore[arg-type]
    assert found, f"{query!r} should match"
    return found[0].hits


def texts(doc: Document, hits: tuple[Hit, ...]) -> list[tuple[str, str]]:
    return [(h.field, getattr(doc, h.field)[h.start : h.end]) for h in hits]


def test_hits_give_the_offsets_of_each_matched_word() -> None:
    doc = Document(title="NATO's summit", text="The Nato allies and NATO’s chief")
    hits = hits_of("NATO", doc)
    assert texts(doc, hits) == [("title", "NATO"), ("text", "Nato"), ("text", "NATO")]
    assert hits[0] == Hit(term="NATO", field="title", start=0, end=4)


def test_a_phrase_hit_spans_the_phrase_as_written() -> None:
    doc = Document(text="Members of the Shanghai  Cooperation\nOrganisation met.")
    hits = hits_of('"Shanghai Cooperation Organi*ation"', doc)
    assert texts(doc, hits) == [("text", "Shanghai  Cooperation\nOrganisation")]
    assert hits[0].term == "Shanghai Cooperation Organi*ation"


def test_hits_are_character_offsets_in_cyrillic_accented_and_cjk_text() -> None:
    doc = Document(text="Ёлки — строительство Рогунской ГЭС, re\u0301sume\u0301; 中国人民 İzmir")
    assert texts(doc, hits_of("Рогун*", doc)) == [("text", "Рогунской")]
    assert texts(doc, hits_of("resume", doc)) == [("text", "re\u0301sume\u0301")]
    assert texts(doc, hits_of("人民", doc)) == [("text", "人民")]
    assert texts(doc, hits_of("елки", doc)) == [("text", "Ёлки")]
    assert texts(doc, hits_of("izmir", doc)) == [("text", "İzmir")]


def test_hits_after_a_letter_that_lower_case_lengthens() -> None:
    doc = Document(text="İİİ Rogun")  # "İ".lower() is two characters
    assert texts(doc, hits_of("Rogun", doc)) == [("text", "Rogun")]


def test_negated_terms_and_failed_branches_give_no_hits() -> None:
    doc = Document(text="Rogun dam and Nurek")
    hits = hits_of("Rogun OR (dam Vakhsh) NOT Sangtuda", doc)
    assert texts(doc, hits) == [("text", "Rogun")]
    assert texts(doc, hits_of("dam -Vakhsh", doc)) == [("text", "dam")]


def test_near_hits_are_the_words_within_the_distance() -> None:
    doc = Document(text="Rogun one two three four dam. Later the dam at Rogun.")
    assert texts(doc, hits_of("Rogun NEAR/3 dam", doc)) == [
        ("text", "dam"),
        ("text", "Rogun"),
    ]
    assert hits_of("Rogun NEAR/3 dam", doc)[0].start == doc.text.index("dam at")


def test_mentions_counts_hits_of_positive_terms() -> None:
    rule = build_rule(name="NATO", query='NATO OR "North Atlantic Treaty"', mentions=2)
    matcher = Matcher([rule])
    assert not matcher.match(Document(text="A NATO summit."))
    assert matcher.match(Document(title="NATO", text="The North Atlantic Treaty"))
    assert matcher.match(Document(text="NATO and Nato"))


def test_mentions_do_not_count_one_word_twice() -> None:
    matcher = Matcher([build_rule(name="r", query="NATO OR NAT*", mentions=2)])
    assert not matcher.match(Document(text="NATO"))


# -- rules: lists, restrictions, matcher --------------------------------------------------------


def test_any_all_none_lists_compile_into_the_same_tree_as_the_query() -> None:
    listed = build_rule(
        name="r",
        any=["Rogun", "Рогун*"],
        all=["Tajik*", "{SCO}"],
        none=["football", "Shanghai Cooperation Organi*ation"],
    )
    written = build_rule(
        name="r",
        query="(Rogun OR Рогун*) Tajik* {SCO} "
        'NOT (football OR "Shanghai Cooperation Organi*ation")',
    )
    assert listed.tree == written.tree
    assert render(listed.tree) == render(written.tree)


def test_a_list_item_of_several_words_is_a_phrase() -> None:
    rule = build_rule(name="r", any=["Shanghai Cooperation Organi*ation"])
    matcher = Matcher([rule])
    assert matcher.match(Document(text="the Shanghai Cooperation Organization"))
    assert not matcher.match(Document(text="Organization of Shanghai Cooperation"))


def test_query_and_lists_combine_with_and() -> None:
    matcher = Matcher([build_rule(name="r", query="NATO", any=["Rogun", "Nurek"], none=["dam"])])
    assert matcher.match(Document(text="NATO on Nurek"))
    assert not matcher.match(Document(text="NATO alone"))
    assert not matcher.match(Document(text="NATO on the Nurek dam"))


def test_list_items_may_be_scoped() -> None:
    matcher = Matcher([build_rule(name="r", any=["title:Rogun", "site:ozodi.org"])])
    assert matcher.match(Document(title="Rogun"))
    assert matcher.match(Document(url="https://rus.ozodi.org/a/1.html"))
    assert not matcher.match(Document(text="Rogun"))


def test_a_bad_list_item_is_named_in_the_error() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        build_rule(name="r", any=["Rogun", "{SCO"])
    assert caught.value.item == "any[1]"
    assert str(caught.value) == "any[1]: 1:1: unclosed '{'"
    with pytest.raises(RuleSyntaxError, match=r"^none\[0\]: 1:1: '&' has no letters"):
        build_rule(name="r", none=["&"])


def test_a_rule_needs_something_to_match() -> None:
    with pytest.raises(RuleSyntaxError):
        build_rule(name="r", tags=["asia"])
    with pytest.raises(RuleSyntaxError, match="^mentions: "):
        build_rule(name="r", query="x", mentions=0)


def test_tags_and_feeds_restrict_a_rule_to_some_feeds() -> None:
    by_tag = build_rule(name="tagged", query="NATO", tags=["central-asia"])
    by_feed = build_rule(name="fed", query="NATO", feeds=["Central Asia desk", "https://x.org/f"])
    matcher = Matcher([by_tag, by_feed])
    seen = [
        [m.rule for m in matcher.match(doc)]
        for doc in (
            Document(text="NATO", tags=("Central-Asia",)),
            Document(text="NATO", feed="central asia desk"),
            Document(text="NATO", feed="Other", feed_url="https://x.org/f/"),
            Document(text="NATO", feed="Other", tags=("europe",)),
        )
    ]
    assert seen == [["tagged"], ["fed"], ["fed"], []]


def test_the_matcher_returns_every_matching_rule_in_rule_order() -> None:
    rules = [
        build_rule(name="SCO", query='{SCO} OR "Shanghai Cooperation Organi*ation" OR ШОС'),
        build_rule(name="Rogun", any=["Rogun", "Рогун*"]),
        build_rule(name="NATO", query='(NATO OR "North Atlantic Treaty") NOT title:football'),
        build_rule(name="quiet", query="NOT (Rogun OR Рогун*)"),
    ]
    matcher = Matcher(rules)
    doc = Document(
        title="Summit in Dushanbe",
        text="The SCO leaders discussed NATO; the last paragraph mentions the Рогунская ГЭС.",
    )
    assert [m.rule for m in matcher.match(doc)] == ["SCO", "Rogun", "NATO"]
    assert [m.rule for m in matcher.match(Document(title="football", text="NATO"))] == ["quiet"]
    assert [m.rule for m in matcher.match(Document())] == ["quiet"]


def test_render_reads_back_to_the_same_tree() -> None:
    for query, *_ in TEXT_CASES + [(q, None, None) for q, _, _ in ORIGIN_CASES]:
        tree = parse_query(query)
        assert parse_query(render(tree)) == tree, query


def test_explain_says_why() -> None:
    rule = build_rule(name="NATO", query='(NATO OR "North Atlantic Treaty") NOT title:football')
    doc = Document(title="NATO summit", text="Nato allies")
    text = explain(rule, doc)
    assert text.splitlines()[0] == "rule NATO: matched"
    assert "title[0:4] 'NATO'" in text and "text[0:4] 'Nato'" in text
    assert '"North Atlantic Treaty": not found in title or text' in text
    failed = explain(rule, Document(title="NATO football"))
    assert failed.splitlines()[0] == "rule NATO: no match"
    assert "yes title:football" in failed


def test_explain_reports_restrictions_and_mentions() -> None:
    rule = build_rule(name="r", query="NATO", tags=["asia"], mentions=2)
    text = explain(rule, Document(text="NATO", tags=("europe",)))
    assert "no match" in text.splitlines()[0]
    assert "tags asia: feed tags are europe: not listed" in text
    assert "mentions: 1 hit(s), at least 2 needed: too few" in text


# -- real-world text ----------------------------------------------------------------------------


def corpus_lines(name: str) -> list[dict[str, object]]:
    path = CORPUS / "topic" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_sco_rule_on_current_events_skips_the_sco_group() -> None:
    items = corpus_lines("wikipedia-current-events-central-asia.jsonl")
    docs = [Document(title=str(i["headline"]), text=str(i["body"] or "")) for i in items]
    strict = Matcher([build_rule(name="SCO", query='{SCO} OR "Shanghai Cooperation Organi*ation"')])
    naive = Matcher([build_rule(name="SCO", query="SCO")])
    strict_hits = [d.title for d in docs if strict.match(d)]
    naive_hits = [d.title for d in docs if naive.match(d)]
    assert len(strict_hits) >= 4
    assert all("Shanghai Cooperation Organisation" in t for t in strict_hits)
    assert any("sco group" in t for t in naive_hits)
    assert not any("sco group" in t for t in strict_hits)


def test_lang_and_site_scopes_on_rferl_sitemap_items() -> None:
    items = corpus_lines("rferl-news-sitemap-items.jsonl")
    docs = [
        Document(title=str(i["title"]), url=str(i["url"]), lang=str(i["language"])) for i in items
    ]
    russian = Matcher([build_rule(name="ru", query="lang:ru")])
    assert sum(bool(russian.match(d)) for d in docs) == sum(d.lang == "ru" for d in docs)
    hosts = {d.url.split("/")[2] for d in docs}
    assert {"www.azattyq.org", "rus.azattyq.org"} <= hosts
    for query, wanted in [
        ("site:azattyq.org", {"www.azattyq.org", "rus.azattyq.org"}),
        ("site:rus.azattyq.org", {"rus.azattyq.org"}),
        ("site:krymr.com -site:ru.krymr.com", {"ua.krymr.com", "ktat.krymr.com"}),
    ]:
        matcher = Matcher([build_rule(name="site", query=query)])
        assert {d.url.split("/")[2] for d in docs if matcher.match(d)} == wanted, query
