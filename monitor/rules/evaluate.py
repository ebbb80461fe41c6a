"""Deciding whether a node tree holds for one article, and where its positive terms hit.

Word matching works on the segmented article of ``view``: set look-ups first, positions only
when a phrase, NEAR or a hit needs them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import islice

from monitor.rules.syntax import EntityRef, Near, Node, Or, Term, Word
from monitor.rules.view import DocView, FieldView, Span

# -- words and terms ----------------------------------------------------------------------------


def word_present(word: Word, case_sensitive: bool, view: FieldView) -> bool:
    if word.anything:
        return bool(view.vocabulary)
    if word.wildcard:
        return bool(view.matching_forms(word, case_sensitive))
    if word.folded not in view.vocabulary:
        return False  # the cheap test first, also for case-sensitive words
    return not case_sensitive or bool(view.positions(word.key, case_sensitive=True))


def word_positions(word: Word, case_sensitive: bool, view: FieldView) -> list[int]:
    if word.anything:
        return list(range(len(view.normal)))
    if not word.wildcard:
        return view.positions(word.key, case_sensitive)
    key = ("wild" if case_sensitive else "Wild", word.key)
    found = view.memo.get(key)
    if found is None:
        forms = view.matching_forms(word, case_sensitive)
        found = sorted(i for form in forms for i in view.positions(form, case_sensitive))
        view.memo[key] = found
    return found


def term_spans(term: Term, view: FieldView) -> list[Span]:
    """Where the term's words stand adjacent and in order in this field."""
    if not all(word_present(w, term.case_sensitive, view) for w in term.words):
        return []
    found = [word_positions(w, term.case_sensitive, view) for w in term.words]
    n = len(term.words)
    if n == 1:
        return [(i, i + 1) for i in found[0]]
    if sum(map(len, found)) > _SET_WORK:
        starts = _starts_by_bits(found, len(view.normal))
    else:
        starts = _starts_by_sets(found)
    return [(i, i + n) for i in starts]


# Positions to compare one by one before a phrase is worked out on bit masks of the whole field
# instead: a phrase of common words in a long text costs a few machine words per text word.
_SET_WORK = 20_000


def _starts_by_sets(found: list[list[int]]) -> list[int]:
    # The rarest word first, so a phrase with one rare word costs what that word costs.
    order = sorted(range(len(found)), key=lambda k: len(found[k]))
    starts = {i - order[0] for i in found[order[0]]}
    for k in order[1:]:
        if not starts:
            break
        starts.intersection_update([i - k for i in found[k]])
    return sorted(starts)


def _starts_by_bits(found: list[list[int]], length: int) -> list[int]:
    """Bit i of each word's mask says it stands at position i; shifted by the word's place in
    the phrase and ANDed, what is left marks where the whole phrase starts."""
    masks: dict[int, int] = {}  # by list identity: a repeated word's positions are one list
    acc = -1
    for k, positions in enumerate(found):
        mask = masks.get(id(positions))
        if mask is None:
            digits = bytearray(b"0") * length
            for i in positions:
                digits[length - 1 - i] = 0x31
            mask = masks[id(positions)] = int(digits, 2)
        acc &= mask >> k
        if not acc:
            return []
    bits = format(acc, "b")[::-1]
    starts, at = [], bits.find("1")
    while at >= 0:
        starts.append(at)
        at = bits.find("1", at + 1)
    return starts


def spans(node: Node, view: DocView, field: str) -> list[Span]:
    """Word spans of a positional node (term, NEAR, OR of those) within one field, in order."""
    memo = view.field(field).memo
    key = memo_key("spans", node)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _spans(node, view, field)
    return found


def memo_key(kind: str, node: Node) -> tuple[str, object]:
    """A term by its value (a long OR repeats words), anything larger by identity: a tree
    would be hashed whole at every look-up, and the rule holds its nodes while they are used."""
    return (kind, node) if isinstance(node, Term) else (kind, id(node))


def _spans(node: Node, view: DocView, field: str) -> list[Span]:
    match node:
        case Term():
            return term_spans(node, view.field(field)) if field in node.fields else []
        case Or():
            return sorted({s for c in node.children for s in spans(c, view, field)})
        case Near():
            return sorted({joined(a, b) for a, b in near_pairs(node, view, field)})
        case EntityRef():
            if field not in node.fields:
                return []
            return [span for span, _ in node.entity.spans(view.field(field), term_spans)]
    return []


# A NEAR between common words of a long text pairs every word with every word in reach; past
# this many pairs in one field the rest are not looked at. That only ever drops highlights, or
# spans an enclosing NEAR would measure from: whether a NEAR holds needs one pair.
MAX_NEAR_PAIRS = 2_000


def near_pairs(node: Near, view: DocView, field: str) -> list[tuple[Span, Span]]:
    """Pairs of left and right spans that do not overlap and have at most n words between."""
    memo = view.field(field).memo
    key = memo_key("pairs", node)
    found = memo.get(key)
    if found is None:
        found = memo[key] = list(islice(_pairs(node, view, field), MAX_NEAR_PAIRS))
    return found


def _pairs(node: Near, view: DocView, field: str) -> Iterator[tuple[Span, Span]]:
    left = spans(node.left, view, field)
    right = spans(node.right, view, field) if left else []
    if not right:
        return
    # Sorted look-ups rather than every pair: common words in a long text would be quadratic.
    n = node.distance
    by_start = sorted(right)
    starts = [b[0] for b in by_start]
    by_end = sorted(right, key=lambda b: b[1])
    ends = [b[1] for b in by_end]
    for a in left:
        for b in by_end[bisect_left(ends, a[0] - n) : bisect_right(ends, a[0])]:
            yield a, b
        for b in by_start[bisect_left(starts, a[1]) : bisect_right(starts, a[1] + n)]:
            yield a, b


def joined(a: Span, b: Span) -> Span:
    return min(a[0], b[0]), max(a[1], b[1])


def positional_fields(node: Node) -> tuple[str, ...]:
    match node:
        case Term() | EntityRef():
            return node.fields
        case Or():
            return tuple(dict.fromkeys(f for c in node.children for f in positional_fields(c)))
        case Near():
            return tuple(
                dict.fromkeys(positional_fields(node.left) + positional_fields(node.right))
            )
    return ()
