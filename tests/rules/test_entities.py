"""Entities (DESIGN §16): `@Name` finds a name in every form the region writes it in, and never
another name that shares its letters. The sentence table is in entity_sentences.py."""

from __future__ import annotations

import json

import pytest
from entity_sentences import ENTITIES, HARD, NEGATIVE, POSITIVE

from monitor.rules import Document, Matcher, RuleSyntaxError, build_rule, explain
from monitor.rules.entities.declare import EntitySpec, declare, declare_all, specs_from_mapping

DECLARED = declare_all(specs_from_mapping(ENTITIES))


def found(entity: str, sentence: str) -> list[str]:
    """The texts the entity is found as, in the title and the text."""
    rule = build_rule(name=entity, query=f"@{entity}", entities=DECLARED)
    doc = Document(title="", text=sentence)
    matches = Matcher([rule]).match(doc)
    return [sentence[h.start : h.end] for m in matches for h in m.hits]


@pytest.mark.parametrize(("lang", "entity", "sentence", "expected"), POSITIVE)
def test_a_mention_is_found_in_its_inflected_form(
    lang: str, entity: str, sentence: str, expected: str
) -> None:
    assert expected in found(entity, sentence), lang


@pytest.mark.parametrize(("lang", "entity", "sentence"), NEGATIVE)
def test_another_name_sharing_letters_is_not_a_mention(
    lang: str, entity: str, sentence: str
) -> None:
    assert found(entity, sentence) == [], lang


def test_recall_over_the_whole_table_and_no_false_positive() -> None:
    rows = POSITIVE + HARD
    caught = sum(expected in found(entity, sentence) for _, entity, sentence, expected in rows)
    plain = sum(
        _plain_or_finds(entity, sentence, expected) for _, entity, sentence, expected in rows
    )
    false = sum(bool(found(entity, sentence)) for _, entity, sentence in NEGATIVE)
    assert caught / len(rows) >= 0.9
    assert plain / len(rows) < 0.6  # what `Rogun OR Рогун` would have caught
    assert false == 0


def _plain_or_finds(entity: str, sentence: str, expected: str) -> bool:
    query = " OR ".join(ENTITIES[entity])
    rule = build_rule(name=entity, query=query)
    return bool(Matcher([rule]).match(Document(text=sentence)))


def test_case_sensitive_forms_keep_their_case() -> None:
    entities = declare_all([EntitySpec(name="SCO", forms=("{SCO}", "{ШОС}"))])
    assert _hits("@SCO", "The SCO summit opened.", entities) == ["SCO"]
    assert _hits("@SCO", "Саммит ШОС открылся.", entities) == ["ШОС"]
    assert _hits("@SCO", "Rising sco in fiasco, шос.", entities) == []


def test_a_not_word_is_never_taken_for_the_entity() -> None:
    # Karima is a name of its own, though it reads as Karim's genitive
    loose = declare_all([EntitySpec(name="Karim", forms=("Karim", "Карим"))])
    strict = declare_all([EntitySpec(name="Karim", forms=("Karim", "Карим"), refused=("Карима",))])
    text = "Карима и Karima пришли; Карим ушёл."
    assert _hits("@Karim", text, loose) == ["Карима", "Karima", "Карим"]
    assert _hits("@Karim", text, strict) == ["Карим"]


def test_a_phrase_needs_every_word_adjacent_and_in_order() -> None:
    text = "Гульнара Каримова и Ислам Абдуганиевич Каримов; Каримов Ислам."
    assert _hits("@Karimov", text, DECLARED) == []


def test_entity_in_lists_scopes_and_near() -> None:
    rule = build_rule(name="r", any=["title:@Rogun"], none=["@Putin"], entities=DECLARED)
    assert Matcher([rule]).match(Document(title="Рогунская ГЭС", text="")) != []
    assert Matcher([rule]).match(Document(title="ГЭС", text="Рогунская ГЭС")) == []
    assert Matcher([rule]).match(Document(title="Рогунская ГЭС", text="Путину доложили")) == []
    near = build_rule(name="n", query="@Rahmon NEAR/3 dam", entities=DECLARED)
    assert Matcher([near]).match(Document(text="Rakhmon opened the dam")) != []
    assert Matcher([near]).match(Document(text="Rakhmon opened the new big tall dam")) == []


def test_an_undeclared_entity_is_an_error_with_its_column() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        build_rule(name="r", query="dam OR @Rogon", entities=DECLARED)
    assert caught.value.column == 8
    assert "unknown entity '@Rogon'" in caught.value.reason


def test_explain_says_which_form_hit_through_which_entity() -> None:
    rule = build_rule(name="Rogun", query="@Rogun", entities=DECLARED)
    text = explain(rule, Document(text="Строительство Рогунской ГЭС"))
    assert "Рогунской ← @Rogun: Рогун" in text
    latin = explain(rule, Document(text="Rogʻun GESi"))
    assert "Rogʻun ← @Rogun: Rogun" in latin


def test_a_form_that_cannot_be_read_names_its_place() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        declare(EntitySpec(name="X", forms=("Rogun", '"unclosed')))
    assert caught.value.item == "forms[1]"


def _hits(query: str, text: str, entities: dict) -> list[str]:
    rule = build_rule(name="r", query=query, entities=entities)
    return [
        text[h.start : h.end] for m in Matcher([rule]).match(Document(text=text)) for h in m.hits
    ]


def test_recall_figures_printed_for_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    by_lang: dict[str, list[bool]] = {}
    for lang, entity, sentence, expected in POSITIVE + HARD:
        by_lang.setdefault(lang, []).append(expected in found(entity, sentence))
    with capsys.disabled():
        print(json.dumps({k: f"{sum(v)}/{len(v)}" for k, v in by_lang.items()}))


@pytest.mark.parametrize(
    "written",
    ["iifhak", "Шанхай", "O'zbekiston", "Qoʻqon", "Ёлкин", "Ўзбекистон", "Xi", "Ли", "Цзиньпин",
     "Shchukin", "Дмитрий", "Алматы", "Лукашенко"],
)  # fmt: skip
def test_a_form_always_finds_itself_as_written(written: str) -> None:
    entities = declare_all([EntitySpec(name="E", forms=(written,))])
    assert _hits("@E", f"Сегодня {written} здесь.", entities) == [written]
