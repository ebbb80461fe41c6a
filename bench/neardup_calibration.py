"""Calibration of near-duplicate detection on labelled pairs built from real articles and feeds.

Run from the repository root: ``python -m bench.neardup_calibration``. Prints precision and
recall per shingle size and threshold, the breakdown by kind of pair at the chosen settings
(those in ``monitor.stories.neardup``), and the cost per article of fingerprint + index look-up.

Positive pairs: real wire stories found in two feeds, and edited copies of the 181 articles of
the extraction benchmark (rewritten headline, trimmed last paragraph, added byline and
boilerplate, copy edits, all at once; a shortened summary). Negative pairs: different stories
from one news feed (same day, often same topic), the 32 Central Asia news items (several per
topic: SCO summits, Karimov, Nazarbayev), and the most alike pairs of different benchmark articles.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from bench.neardup_pairs import Doc, Pair, build_pairs, load_articles
from monitor.stories import neardup
from monitor.stories.neardup import (
    Fingerprint,
    NearDuplicateIndex,
    containment,
    fingerprint,
    lead_containment,
    resemblance,
)

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
                lead=lead_containment(a, b) if foldable else 0.0,
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
    """Every first article indexed, every second one looked up (taken out of the index while
    it is looked up, when it is a first article too): what the pipeline does. A look-up that
    finds a labelled duplicate of the article, other than its pair, is not counted as false."""
    index = NearDuplicateIndex()
    fingerprints = {
        _key(doc): fingerprint(doc.title, doc.text) for p in pairs for doc in (p.a, p.b)
    }
    for pair in pairs:
        index.add(_key(pair.a), fingerprints[_key(pair.a)])
    story = _stories(pairs)
    correct = positives = false_folds = looked_up = 0
    elapsed = 0.0
    for pair in pairs:
        if pair.same is None:
            continue
        own = _key(pair.b)
        indexed = own in index
        index.remove(own)
        started = time.perf_counter()
        match = index.find(fingerprints[own])
        elapsed += time.perf_counter() - started
        looked_up += 1
        if indexed:
            index.add(own, fingerprints[own])
        positives += pair.same
        correct += pair.same and match is not None and story.get(match) == pair.story
        false_folds += match is not None and story.get(match, match) != story.get(own, own)
    return [
        f"index of {len(index)} articles, {looked_up} look-ups: "
        f"{correct}/{positives} found a copy of their story, "
        f"{false_folds} different stories folded; find: {1e6 * elapsed / looked_up:.0f} µs each",
    ]


def _stories(pairs: list[Pair]) -> dict[str, str]:
    """Each text of a same-story pair -> the story it tells."""
    return {_key(doc): pair.story for pair in pairs if pair.same for doc in (pair.a, pair.b)}


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
