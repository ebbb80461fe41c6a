"""Rule matching with entities: the rules bench's rules and articles, with a third of the rules'
terms written as @Name of an entity declared with a Latin and a Cyrillic base form, against the
same rules with the Latin base form as a plain word instead, in the same run; and compiling
1,000 entities.

python -m bench.entities_bench [n_rules] [n_docs]
"""

from __future__ import annotations

import json
import random
import sys
import time

from bench.rules_bench import articles, build_rule_named, vocabulary
from monitor.rules import Document, Matcher, Rule, build_rule
from monitor.rules.entities.compiled import Entity
from monitor.rules.entities.declare import EntitySpec, declare_all

_SEED_ENT = 20261128  # the rules bench's seed: the same articles
_LATIN_TO_CYRILLIC = str.maketrans("abvgdezijklmnoprstufhcy", "абвгдезийклмнопрстуфхцы")


def entity_specs(rng: random.Random, pool: list[str], n: int) -> list[EntitySpec]:
    """n entities, each a rare name in Latin letters and as Cyrillic would spell it. Names of
    five letters or more, as people's and places' names are: a shorter form is matched
    only as written and `check` warns about it."""
    names = [w for w in pool if len(w) >= 5]
    found = []
    for i in range(n):
        latin = rng.choice(names)
        found.append(EntitySpec(name=f"E{i}", forms=(latin, latin.translate(_LATIN_TO_CYRILLIC))))
    return found


def rules(
    rng: random.Random,
    pool: list[str],
    n: int,
    specs: list[EntitySpec],
    entities: dict[str, Entity] | None,
) -> list[Rule]:
    """The rules bench's shapes with a third of the terms an entity's name: written @Name
    when ``entities`` are given, else as the plain word of its Latin base form."""

    def pick() -> str:
        word = rng.choice(pool)
        if rng.random() >= 1 / 3:
            return word
        spec = rng.choice(specs)
        return f"@{spec.name}" if entities else spec.forms[0]

    def build(**kwargs: object) -> Rule:
        return build_rule(name="", entities=entities, **kwargs)  # type: ignore[arg-type]

    shapes = [
        lambda: build(query=pick()),
        lambda: build(query=f"{pick()} OR {pick()} OR {pick()}"),
        lambda: build(query=f'"{rng.choice(pool)} {rng.choice(pool)}" OR {pick()}'),
        lambda: build(query=f"{rng.choice(pool)[:5]}* NOT title:{pick()}"),
        lambda: build(query=f"({pick()} OR {pick()}) NEAR/5 {pick()}"),
        lambda: build(any=[pick(), pick()], none=[pick()], mentions=2),
        lambda: build(query=f"{pick()} {pick()} tag:news"),
    ]
    built = [rng.choice(shapes)() for _ in range(n)]
    return [build_rule_named(rule, f"rule-{i}") for i, rule in enumerate(built)]


def _match_time(matcher: Matcher, docs: list[Document]) -> tuple[float, int]:
    started = time.process_time()
    matches = sum(len(matcher.match(doc)) for doc in docs)
    return time.process_time() - started, matches


def run(n_rules: int = 1000, n_docs: int = 3000, n_entities: int = 1000) -> dict[str, float]:
    rng = random.Random(_SEED_ENT)
    words = vocabulary(rng)
    docs = articles(rng, words, n_docs)
    pool = [w for w in words[len(words) // 10 :] if w.isascii() and w.isalpha()]
    specs = entity_specs(rng, pool, n_entities)
    started = time.perf_counter()
    entities = declare_all(specs)
    compiled = time.perf_counter() - started
    plain = Matcher(rules(random.Random(_SEED_ENT), pool, n_rules, specs, None))
    with_entities = Matcher(rules(random.Random(_SEED_ENT), pool, n_rules, specs, entities))
    # Interleaved rounds, best of each: other work on the machine hits both alike.
    plain_s, with_s = [], []
    for _ in range(3):
        plain_s.append(_match_time(plain, docs))
        with_s.append(_match_time(with_entities, docs))
    best_plain, best_with = min(t for t, _ in plain_s), min(t for t, _ in with_s)
    return {
        "rules": n_rules,
        "articles": n_docs,
        "entities": n_entities,
        "entities_compile_s": round(compiled, 3),
        "plain_articles_per_s": round(n_docs / best_plain, 1),
        "entities_articles_per_s": round(n_docs / best_with, 1),
        "slowdown": round(best_with / best_plain, 3),
        "plain_matches": plain_s[0][1],
        "entity_matches": with_s[0][1],
    }


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:] if a.isdigit()]
    print(json.dumps(run(*arguments), indent=2))
