"""Calibration of near-duplicate detection on labelled pairs built from real articles and feeds.

Run from the repository root: ``python -m bench.neardup_calibration``. Prints precision and
recall per shingle size and threshold, the breakdown by kind of pair at the chosen settings
(those in ``monitor.stories.neardup``), the labelled pairs folded by the service's own folding
(``monitor.stories.folding``, every text stored one at a time, in two orders), and the cost per
article of fingerprint and storing.

Positive pairs: real wire stories found in two feeds, and edited copies of the 181 articles of
the extraction benchmark (rewritten headline, trimmed last paragraph, added byline and
boilerplate, copy edits, all at once; a shortened summary). Negative pairs: different stories
from one news feed (same day, often same topic), the 32 Central Asia news items (several per
topic: SCO summits, Karimov, Nazarbayev), and the most alike pairs of different benchmark articles.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from bench.neardup_pairs import Doc, Pair, build_pairs, load_articles
from monitor.stories import neardup
from monitor.stories.neardup import (
    Fingerprint,
    containment,
    fingerprint,
    lead_containment,
    resemblance,
)
from testsupport.archive import MemoryArchive

SHINGLE_SIZES = (3, 4, 5)
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scored:
    pair: Pair
    jaccard: float
    containment: float

    lead: float = 0.0

    def score(self, *, use_containment: bool = True) -> float:
        if use_containment:
            score = max(self.jaccard, neardup.CONTAINMENT_WEIGHT * self.containment)
            if score < neardup.THRESHOLD and self.lead >= neardup.LEAD_THRESHOLD:
                return neardup.THRESHOLD
            return score
        return self.jaccard


def _fingerprint(title: str, text: str, size: int) -> Fingerprint:
    return fingerprint(title, text, size)


def score_pairs(pairs: list[Pair], size: int) -> list[Scored]:
    cache: dict[int, Fingerprint] = {}

    def cached(doc: Doc) -> Fingerprint:
        if id(doc) not in cache:
            cache[id(doc)] = _fingerprint(doc.title, doc.text, size)
        return cache[id(doc)]

    scored = []
    for pair in pairs:
        a, b = cached(pair.a), cached(pair.b)
        foldable = a.foldable and b.foldable
        scored.append(
            Scored(
                pair=pair,
                jaccard=resemblance(a, b) if foldable else 0.0,
                containment=containment(a, b) if foldable else 0.0,
                lead=lead_containment(a, b) if foldable and neardup.cut_short(a, b) else 0.0,
            )
        )
    return scored


def precision_recall(
    scored: list[Scored], threshold: float, **options: bool
) -> tuple[float, float]:
    scored = [s for s in scored if s.pair.same is not None]
    folded = [s for s in scored if s.score(**options) >= threshold]
    true_folds = sum(s.pair.same is True for s in folded)
    positives = sum(s.pair.same is True for s in scored)
    precision = true_folds / len(folded) if folded else 1.0
    return precision, true_folds / positives if positives else 1.0


def sweep(pairs: list[Pair]) -> list[str]:
    lines = [f"{'shingle':>7} {'measure':>22} " + " ".join(f"{t:>11}" for t in THRESHOLDS)]
    for size in SHINGLE_SIZES:
        scored = score_pairs(pairs, size)
        for use_containment in (False, True):
            label = (
                "jaccard+contain*" + f"{neardup.CONTAINMENT_WEIGHT}+lead"
                if use_containment
                else "jaccard"
            )
            cells = []
            for threshold in THRESHOLDS:
                p, r = precision_recall(scored, threshold, use_containment=use_containment)
                cells.append(f"{p:.3f}/{r:.3f}")
            lines.append(f"{size:>7} {label:>22} " + " ".join(f"{c:>11}" for c in cells))
    return lines


def breakdown(pairs: list[Pair]) -> list[str]:
    """Fold rate per kind of pair with the settings of monitor.stories.neardup, through the real API."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for pair in pairs:
        a = fingerprint(pair.a.title, pair.a.text)
        b = fingerprint(pair.b.title, pair.b.text)
        label = {True: "same", False: "different", None: "unscored"}[pair.same]
        by_kind[f"{label}: {pair.kind}"].append(neardup.is_near_duplicate(a, b))
    lines = [f"{'kind of pair':58} {'pairs':>6} {'folded':>7}"]
    for kind, folds in sorted(by_kind.items()):
        lines.append(f"{kind:58} {len(folds):6d} {sum(folds) / len(folds):7.1%}")
    return lines


def index_run(pairs: list[Pair]) -> list[str]:
    """Every text stored one at a time through the service's folding (monitor.stories.folding,
    the code the store runs), in the pairs' order, the reverse order and three shuffles; then,
    for each labelled pair, whether its two texts ended in one story."""
    texts = {_key(doc): doc for p in pairs for doc in (p.a, p.b)}
    fingerprints = {key: fingerprint(doc.title, doc.text) for key, doc in texts.items()}
    ids = {key: hashlib.blake2b(key.encode(), digest_size=8).hexdigest() for key in texts}
    orders = [list(texts), list(texts)[::-1]]
    for seed in range(3):
        orders.append(random.Random(seed).sample(list(texts), len(texts)))
    runs = []
    for order in orders:
        archive = MemoryArchive()
        started = time.perf_counter()
        for key in order:
            archive.store([(ids[key], fingerprints[key])])
        runs.append((archive, time.perf_counter() - started))
    archive, elapsed = runs[0]
    labelled = [p for p in pairs if p.same is not None]
    folded = [p for p in labelled if archive.story[ids[_key(p.a)]] == archive.story[ids[_key(p.b)]]]
    true_folds = sum(p.same is True for p in folded)
    positives = sum(p.same is True for p in labelled)
    precision = true_folds / len(folded) if folded else 1.0
    same = sum(other.story == archive.story for other, _ in runs[1:])
    moved = max(_regrouped(archive.story, other.story) for other, _ in runs[1:])
    return [
        f"stored one by one through monitor.stories.folding: {len(texts)} texts, "
        f"{len(set(archive.story.values()))} stories; labelled pairs folded: precision "
        f"{precision:.3f}, recall {true_folds / positives:.3f} "
        f"({true_folds}/{positives} copies, {len(folded) - true_folds} different stories folded)",
        f"stored in {len(runs) - 1} other orders (reversed, shuffled): {same} gave the same "
        f"stories under the same ids; in the others at most {moved} texts were grouped "
        f"otherwise; {1e6 * elapsed / len(texts):.0f} µs per article stored, "
        f"{archive.compared} fingerprints compared",
    ]


def _regrouped(first: dict[str, str], other: dict[str, str]) -> int:
    """How many texts are in a story whose members differ between two runs."""

    def groups(stories: dict[str, str]) -> dict[str, frozenset[str]]:
        members: dict[str, set[str]] = defaultdict(set)
        for text, story in stories.items():
            members[story].add(text)
        return {text: frozenset(members[story]) for text, story in stories.items()}

    a, b = groups(first), groups(other)
    return sum(1 for text in a if a[text] != b.get(text))


def _key(doc: Doc) -> str:
    return f"{doc.title}\n{doc.text}"


def cost(pairs: list[Pair]) -> list[str]:
    docs = [pair.b for pair in pairs]
    timings: dict[str, list[float]] = defaultdict(list)
    for doc in docs:
        started = time.perf_counter()
        fingerprint(doc.title, doc.text)
        kind = "long (> 200 words)" if len((doc.title + doc.text).split()) > 200 else "short"
        timings[kind].append(1e6 * (time.perf_counter() - started))
    return [
        f"fingerprint, {kind}: median {statistics.median(t):.0f} µs over {len(t)} texts"
        for kind, t in sorted(timings.items())
    ]


def main() -> None:
    articles = load_articles()
    pairs = build_pairs(articles)
    same = sum(p.same is True for p in pairs)
    different = sum(p.same is False for p in pairs)
    print(f"labelled pairs: {same} same story, {different} different stories")
    print("\nprecision/recall by shingle size and threshold")
    print("\n".join(sweep(pairs)))
    print(
        f"\nchosen: {neardup.SHINGLE_WORDS}-word shingles, bottom-{neardup.SKETCH_SIZE} sketch, "
        f"threshold {neardup.THRESHOLD}, containment weight {neardup.CONTAINMENT_WEIGHT}, "
        f"at least {neardup.MIN_SHINGLES} shingles"
    )
    print("\n".join(breakdown(pairs)))
    scored = score_pairs(pairs, neardup.SHINGLE_WORDS)
    p, r = precision_recall(scored, neardup.THRESHOLD)
    print(f"\nat the chosen settings: precision {p:.3f}, recall {r:.3f}")
    print("\n".join(index_run(pairs)))
    print("\n".join(cost(pairs)))


if __name__ == "__main__":
    main()
