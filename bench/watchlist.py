"""A risk desk's watch list: 1,000, 10,000 and 100,000 rules against real article bodies.

The articles are the extraction benchmark's ground-truth bodies (real news, about 3 KB each).
The watch list is drawn from the words of other real news (the titles and summaries of the
corpus's real-world feeds), in the shapes a risk desk writes: two-word names as phrases,
single rare names, acronyms in `{}`, names `NEAR/10` a context word, `NOT title:` exclusions.
So the density of matches is what real text gives, not what a made-up vocabulary gives.

Beside the matcher, in the same run and on the same text, the floor: an Aho-Corasick scan
(pyahocorasick) of every literal word of the rules over the lower-cased article, which finds
where rules could hit and decides nothing. Figures per size: compile time and memory,
articles/s (CPU time, one core), matches per article, candidates checked per match.

    python -m bench.watchlist [--sizes 1000,10000,100000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from html import unescape
from pathlib import Path

from monitor.rules import Document, Matcher, Rule, build_rule

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BODIES = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"
REAL_FEEDS = CORPUS / "provenance" / "real_world_feeds_heuristic.json"
SEED = 20261208
CONTEXT = ("sanctions", "court", "minister", "bank", "oil", "contract", "election", "police",
           "shares", "army", "fraud", "deal", "report", "investigation", "company")  # fmt: skip
EXCLUDED = ("football", "recipe", "horoscope", "celebrity", "review", "game")
_NAME = re.compile(r"\b([A-Z][a-z]{2,}(?:[- ][A-Z][a-z]{2,})?)\b")
_ACRONYM = re.compile(r"\b([A-Z]{2,5})\b")
_TAG = re.compile(r"<[^>]+>")


def articles() -> list[Document]:
    bodies = json.loads(BODIES.read_text(encoding="utf-8"))
    docs = []
    for key in sorted(bodies):
        entry = bodies[key]
        text = entry.get("articleBody") or ""
        if len(text) < 500:
            continue
        docs.append(Document(title=entry.get("headline") or text[:80], text=text, feed="wire"))
    return docs


def other_news_words() -> tuple[list[str], list[str], list[str]]:
    """Names (one or two capitalised words that the same text never writes in lower case:
    proper names, not a sentence's first word) and acronyms, from the real feeds' items."""
    texts = []
    for listed in json.loads(REAL_FEEDS.read_text(encoding="utf-8")):
        raw = (CORPUS / listed["path"]).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        texts.append(_TAG.sub(" ", unescape(unescape(raw.decode("utf-8", "replace")))))
    lower = {w for text in texts for w in re.findall(r"\b[a-z]+\b", text)}
    singles: dict[str, None] = {}
    pairs: dict[str, None] = {}
    acronyms: dict[str, None] = {}
    for text in texts:
        for found in _NAME.findall(text):
            parts = found.replace("-", " ").split()
            if any(p.lower() in lower for p in parts):
                continue
            (pairs if len(parts) == 2 else singles)[" ".join(parts)] = None
        for found in _ACRONYM.findall(text):
            if len(found) >= 3:
                acronyms[found] = None
    return sorted(singles), sorted(pairs), sorted(acronyms)


def watch_list(
    n: int, rng: random.Random, words: tuple[list[str], list[str], list[str]]
) -> tuple[list[Rule], list[str]]:
    """N rules and their queries as written."""
    singles, pairs, acronyms = words

    def name() -> str:
        return f'"{rng.choice(pairs)}"' if rng.random() < 0.6 else rng.choice(singles)

    shapes: list[tuple[float, Callable[[], str]]] = [
        (0.35, lambda: f'"{rng.choice(pairs)}"'),
        (0.25, lambda: rng.choice(singles)),
        (0.10, lambda: f"{{{rng.choice(acronyms)}}}"),
        (0.20, lambda: f"{name()} NEAR/10 {rng.choice(CONTEXT)}"),
        (0.10, lambda: f"{name()} NOT title:{rng.choice(EXCLUDED)}"),
    ]
    weights = [w for w, _ in shapes]
    queries = [rng.choices([s for _, s in shapes], weights=weights)[0]() for _ in range(n)]
    return [build_rule(name=f"w{i}", query=q) for i, q in enumerate(queries)], queries


def literal_words(queries: Sequence[str]) -> set[str]:
    """Every word a query names (its operators and field names left out)."""
    words: set[str] = set()
    for query in queries:
        for word in re.findall(r"\w+", query):
            if word not in {"NEAR", "NOT", "OR", "AND", "title"} and not word.isdigit():
                words.add(word.lower())
    return words


@dataclass(frozen=True, slots=True)
class Figures:
    rules: int
    compile_s: float
    compile_mb: float
    articles_per_s: float
    floor_articles_per_s: float
    ratio: float
    matches_per_article: float
    candidates_per_match: float


def _rate(work: Callable[[Document], object], docs: Sequence[Document], seconds: float) -> float:
    done, started = 0, time.process_time()
    while True:
        for doc in docs:
            work(doc)
        done += len(docs)
        spent = time.process_time() - started
        if spent >= seconds:
            return done / spent


def measure(n: int, docs: Sequence[Document], words, seconds: float) -> Figures:  # noqa: ANN001
    import ahocorasick

    rules, queries = watch_list(n, random.Random(SEED + n), words)
    tracemalloc.start()
    started = time.process_time()
    matcher = Matcher(rules)
    compile_s = time.process_time() - started
    compile_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    automaton = ahocorasick.Automaton()
    for word in literal_words(queries):
        automaton.add_word(word, word)
    automaton.make_automaton()

    def floor(doc: Document) -> int:
        return sum(1 for _ in automaton.iter(f"{doc.title}\n{doc.text}".lower()))

    matches = sum(len(matcher.match(doc)) for doc in docs)
    candidates = sum(len(matcher.candidates(doc)) for doc in docs)
    rate = _rate(matcher.match, docs, seconds)
    floor_rate = _rate(floor, docs, seconds)
    return Figures(
        rules=n,
        compile_s=round(compile_s, 2),
        compile_mb=round(compile_mb, 1),
        articles_per_s=round(rate),
        floor_articles_per_s=round(floor_rate),
        ratio=round(floor_rate / rate, 2),
        matches_per_article=round(matches / len(docs), 2),
        candidates_per_match=round(candidates / max(matches, 1), 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", default="bench/watchlist_results.json")
    args = parser.parse_args()
    docs, words = articles(), other_news_words()
    print(
        f"{len(docs)} articles, {sum(len(d.text) for d in docs) // len(docs)} chars each on average"
    )
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        figures = measure(n, docs, words, args.seconds)
        rows.append(asdict(figures))
        print(json.dumps(rows[-1]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(args.out).write_text(json.dumps({"rows": rows, "peak_rss_mb": round(rss)}, indent=1))
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
