"""The rule index never changes an answer: whatever rules, the matcher finds exactly what
checking every rule on every article finds, hits included (property test on real text)."""

from __future__ import annotations

import json
import random
import re
from functools import cache

from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules import Document, Matcher, Rule, build_rule
from monitor.rules.matcher import admitted, rule_hits
from monitor.rules.view import DocView

BODIES = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"
# text the corpus's English news lacks: accents, Cyrillic (ё folds to е), a Kelvin sign K,
# words glued to CJK, apostrophes and hyphens, a word that is an acronym in one place only
EXTRA = [
    "The café in Zürich said NATO's envoy met the Rogun team; Ёлка and елка, "
    "\u212aPI rose, 中国NATO talks, art and ART, Jean-Luc's ART-show.",
    "Шанхайская организация сотрудничества (ШОС) собралась; Рогунская ГЭС. ART ART art",
]


@cache
def articles() -> list[Document]:
    bodies = json.loads(BODIES.read_text(encoding="utf-8"))
    docs = [
        Document(title=b.get("headline") or "", text=b["articleBody"][:3000], author="Ann Lee")
        for _, b in sorted(bodies.items())
        if len(b.get("articleBody") or "") > 400
    ][:40]
    return docs + [Document(title="ART and art", text=t) for t in EXTRA]


@cache
def pools() -> tuple[list[str], list[str], list[str]]:
    """Words, adjacent word pairs and upper-case words of the articles themselves, so that
    rules hit as often as they miss."""
    words: set[str] = set()
    pairs: set[str] = set()
    upper: set[str] = set()
    for doc in articles():
        found = re.findall(r"\w+", f"{doc.title} {doc.text}")
        words.update(found)
        pairs.update(f"{a} {b}" for a, b in zip(found, found[1:], strict=False))
        upper.update(w for w in found if w.isupper() and len(w) > 1)
    return sorted(words), sorted(pairs), sorted(upper)


def random_query(rng: random.Random, depth: int = 0) -> str:
    words, pairs, upper = pools()
    shapes = [
        lambda: rng.choice(words),
        lambda: f'"{rng.choice(pairs)}"',
        lambda: f"{{{rng.choice(upper)}}}",
        lambda: f'{{"{rng.choice(pairs)}"}}',
        lambda: rng.choice(words)[:4] + "*",
        lambda: f"{rng.choice(words)} NEAR/{rng.randint(1, 12)} {rng.choice(words)}",
        lambda: f"{rng.choice(words)} NOT title:{rng.choice(words)}",
        lambda: f"title:{rng.choice(words)}",
        lambda: f"author:{rng.choice(['Ann', 'Lee', 'Bob'])}",
    ]
    if depth < 2:
        shapes += [
            lambda: f"({random_query(rng, depth + 1)} OR {random_query(rng, depth + 1)})",
            lambda: f"({random_query(rng, depth + 1)} {random_query(rng, depth + 1)})",
            lambda: f"({random_query(rng, depth + 1)} NEAR/5 {random_query(rng, depth + 1)})",
            lambda: f"-{random_query(rng, depth + 1)} {rng.choice(words)}",
        ]
    return rng.choice(shapes)()


def every_rule(rules: list[Rule], doc: Document) -> list[tuple[str, tuple]]:
    """The answer without any index: each rule checked on the article."""
    view = DocView(doc)
    found = []
    for rule in rules:
        if admitted(rule, doc):
            hits = rule_hits(rule, view)
            if hits is not None:
                found.append((rule.name, hits))
    return found


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_the_index_finds_what_checking_every_rule_finds(seed: int) -> None:
    rng = random.Random(seed)
    rules = []
    for i in range(60):
        try:
            rules.append(build_rule(name=f"r{i}", query=random_query(rng)))
        except Exception:  # noqa: BLE001 - a drawn word the language refuses: draw again
            continue
    matcher = Matcher(rules)
    for doc in rng.sample(articles(), 8) + articles()[-2:]:
        got = [(m.rule, m.hits) for m in matcher.match(doc)]
        assert got == every_rule(rules, doc), (doc.title, [str(r.tree) for r in rules])


def test_a_case_sensitive_acronym_is_not_woken_by_the_word_in_lower_case() -> None:
    rules = [build_rule(name="art", query="{ART}"), build_rule(name="kpi", query="{KPI}")]
    matcher = Matcher(rules)
    lower = Document(title="", text="Modern art in the city.")
    assert matcher.candidates(lower) == []  # not even checked
    upper = Document(title="", text="The ART fair; \u212aPI up.")  # Kelvin sign: K once normalised
    assert [m.rule for m in matcher.match(upper)] == ["art", "kpi"]


def test_a_name_is_checked_only_where_both_its_words_occur() -> None:
    rules = [build_rule(name=f"n{i}", query=f'"{first} Khan"') for i, first in
             enumerate(["Ali", "Imran", "Sadiq", "Shah Rukh", "Aamir"])]  # fmt: skip
    matcher = Matcher(rules)
    doc = Document(title="", text="Sadiq Khan, the mayor, met Khan's rival.")
    assert matcher.candidates(doc) == [2]
    assert [m.rule for m in matcher.match(doc)] == ["n2"]
