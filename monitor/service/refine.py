"""Proposing a refinement of a rule from the stories an analyst marked not relevant: the words
that set those stories apart from the ones the rule keeps, written as `NOT word` (pure)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MOST_TERMS = 3
_WORD = re.compile(r"[^\W\d_]{4,}")
# Words too common to set a story apart in the languages the desks read.
_COMMON = frozenset(
    [
        "about",
        "after",
        "also",
        "been",
        "before",
        "being",
        "between",
        "could",
        "does",
        "from",
        "have",
        "into",
        "more",
        "most",
        "other",
        "over",
        "said",
        "says",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "year",
        "years",
        "week",
        "today",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "это",
        "как",
        "что",
        "для",
        "его",
        "она",
        "они",
        "было",
        "были",
        "также",
    ]
)


def words(text: str) -> Counter[str]:
    """The text's words (four letters or more, common ones left out) and how often each occurs."""
    found = Counter(w.casefold() for w in _WORD.findall(text))
    for common in _COMMON & found.keys():
        del found[common]
    return found


def distinguishing_terms(
    rejected: Sequence[str],
    kept: Sequence[str],
    *,
    exclude: Iterable[str] = (),
    most: int = MOST_TERMS,
) -> list[str]:
    """Up to `most` words, each found in more of the rejected texts still left than in kept
    texts, chosen greedily: the one that leaves out most rejected stories first, then the one
    they repeat most (a story's subject comes back; a passing word does not)."""
    skip = {w.casefold() for w in exclude}
    rejected_words = [words(t) for t in rejected]
    for counts in rejected_words:
        for word in skip & counts.keys():
            del counts[word]
    kept_count = Counter(w for t in kept for w in words(t))
    left = list(range(len(rejected_words)))
    chosen: list[str] = []
    while left and len(chosen) < most:
        cover = Counter(w for i in left for w in rejected_words[i])
        repeats = Counter()  # type: Counter[str]
        for i in left:
            repeats.update(rejected_words[i])
        ranked = sorted(
            cover, key=lambda w: (-(cover[w] - kept_count[w]), kept_count[w], -repeats[w], w)
        )
        best = next((w for w in ranked if cover[w] > kept_count[w] and w not in chosen), None)
        if best is None:
            break
        chosen.append(best)
        left = [i for i in left if best not in rejected_words[i]]
    return chosen


def rule_query(fields: Mapping[str, Any]) -> str:
    """A rule written with `query` and/or `any`/`all`/`none`, as one query of the same meaning."""
    parts: list[tuple[str, bool]] = []  # (text, needs parentheses beside other parts)
    if fields.get("query"):
        parts.append((str(fields["query"]), True))
    if fields.get("any"):
        parts.append((" OR ".join(str(t) for t in fields["any"]), len(fields["any"]) > 1))
    parts += [(str(t), False) for t in fields.get("all") or ()]
    if fields.get("none"):
        parts.append(("NOT (" + " OR ".join(str(t) for t in fields["none"]) + ")", False))
    if len(parts) == 1:
        return parts[0][0]
    return " ".join(f"({text})" if wrap else text for text, wrap in parts)


def refined(fields: Mapping[str, Any], terms: Sequence[str]) -> str:
    """The rule with `NOT term` for each term."""
    query = rule_query(fields)
    if not terms:
        return query
    return f"({query}) " + " ".join(f"NOT {t}" for t in terms)
