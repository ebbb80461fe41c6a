"""Rule matching throughput: N rules of the usual shapes against 2 KB articles, one core.

python -m bench.rules_bench [n_rules] [n_docs] [--dense]
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time

from monitor.rules import Document, Matcher, Rule, build_rule

_SEED = 20261128
_VOCABULARY_SIZE = 200_000  # word types; news archives have far more, mostly names
_ARTICLE_BYTES = 2048
_FLOOR = re.compile(r"\w+")


def vocabulary(rng: random.Random) -> list[str]:
    """Made-up words with real-world spelling: Latin, accented, Cyrillic and hyphenated."""
    latin, cyrillic = "abcdefghijklmnoprstuvyz", "абвгдежзиклмнопрстуфхшя"
    found: set[str] = set()
    while len(found) < _VOCABULARY_SIZE:
        letters = cyrillic if rng.random() < 0.15 else latin
        word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))
        if rng.random() < 0.03:
            word = word[:-1] + "é"
        found.add(word)
    ranked = sorted(found)
    rng.shuffle(ranked)  # rank (how common) must not follow spelling, or prefixes would
    return ranked


def articles(rng: random.Random, words: list[str], n: int) -> list[Document]:
    """Words drawn with a Zipf-like skew, so common words repeat as in real prose."""
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    docs = []
    for i in range(n):
        picked = rng.choices(words, cum_weights=cumulative, k=_ARTICLE_BYTES // 5)
        text = " ".join(w.capitalize() if rng.random() < 0.1 else w for w in picked)
        text = text.replace(" ", ", ", 20)[:_ARTICLE_BYTES]
        title = " ".join(rng.choices(words, cum_weights=cumulative, k=8))
        docs.append(Document(title=title, text=text, feed=f"feed {i % 50}", tags=("news",)))
    return docs


def rules(rng: random.Random, words: list[str], n: int, *, dense: bool = False) -> list[Rule]:
    """A mix like a real watch list: names, OR lists, phrases, wildcards, NOT, NEAR, lists.

    Watch terms are names and specific words, so they come from the rarer 90% of the
    vocabulary; ``dense`` draws them from all but the 1,000 commonest words instead, a stress
    case where an article is a candidate for many rules and matches several.
    """
    pool = words[1000:] if dense else words[_VOCABULARY_SIZE // 10 :]

    def pick() -> str:
        return rng.choice(pool)

    shapes = [
        lambda: build_rule(name="", query=pick()),
        lambda: build_rule(name="", query=f"{pick()} OR {pick()} OR {pick()}"),
        lambda: build_rule(name="", query=f'"{pick()} {pick()}" OR {{{pick().upper()}}}'),
        lambda: build_rule(name="", query=f"{pick()[:5]}* NOT title:{pick()}"),
        lambda: build_rule(name="", query=f"({pick()} OR {pick()}) NEAR/5 {pick()}"),
        lambda: build_rule(name="", any=[pick(), pick()], none=[pick()], mentions=2),
        lambda: build_rule(name="", query=f"{pick()} {pick()} tag:news"),
    ]
    built = [rng.choice(shapes)() for _ in range(n)]
    return [build_rule_named(rule, f"rule-{i}") for i, rule in enumerate(built)]


def build_rule_named(rule: Rule, name: str) -> Rule:
    return Rule(name=name, tree=rule.tree, mentions=rule.mentions, warnings=rule.warnings)


def run(n_rules: int = 1000, n_docs: int = 5000, *, dense: bool = False) -> dict[str, float]:
    """Match n_docs articles against n_rules rules; returns articles/s and matches found."""
    rng = random.Random(_SEED)
    words = vocabulary(rng)
    docs = articles(rng, words, n_docs)
    started = time.perf_counter()
    matcher = Matcher(rules(rng, words, n_rules, dense=dense))
    compiled = time.perf_counter() - started
    # CPU time of this process: the figure stays put when other work shares the cores.
    started = time.process_time()
    matches = sum(len(matcher.match(doc)) for doc in docs)
    elapsed = time.process_time() - started
    started = time.process_time()
    for doc in docs:
        _FLOOR.findall(doc.title), _FLOOR.findall(doc.text)
    floor = time.process_time() - started
    return {
        "rules": n_rules,
        "articles": n_docs,
        "article_bytes": _ARTICLE_BYTES,
        "compile_s": round(compiled, 3),
        "match_s": round(elapsed, 3),
        "articles_per_s": round(n_docs / elapsed, 1),
        "matches_per_article": round(matches / n_docs, 3),
        "floor_articles_per_s": round(n_docs / floor, 1),  # a bare \w+ scan of the same text
    }


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:] if a.isdigit()]
    print(json.dumps(run(*arguments, dense="--dense" in sys.argv), indent=2))
