"""Deciding whether a node tree holds for one article, and where its positive terms hit.

Word matching works on the segmented article of ``view``: set look-ups first, positions only
when a phrase, NEAR or a hit needs them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable

from monitor.rules.meta import meta_holds
from monitor.rules.records import Hit
from monitor.rules.syntax import And, Meta, Near, Node, Not, Or, Term, Word
from monitor.rules.view import DocView, FieldView, Span

# -- words and terms ----------------------------------------------------------------------------


def word_present(word: Word, case_sensitive: bool, view: FieldView) -> bool:
    if word.anything:
        return bool(view.vocabulary)
    if word.wildcard:
        return bool(view.matching_forms(word, case_sensitive))
    if word.folded not in view.vocabulary:
        return False  # the cheap test first, also for case-sensitive words
    return not case_sensitive or word.key in view.exact_forms()


def word_positions(word: Word, case_sensitive: bool, view: FieldView) -> list[int]:
    if word.anything:
        return list(range(len(view.normal)))
    if not word.wildcard:
        return view.positions(word.key, case_sensitive)
    forms = view.matching_forms(word, case_sensitive)
    return sorted(i for form in forms for i in view.positions(form, case_sensitive))


def term_spans(term: Term, view: FieldView) -> list[Span]:
    """Where the term's words stand adjacent and in order in this field."""
    if not all(word_present(w, term.case_sensitive, view) for w in term.words):
        return []
    starts = set(word_positions(term.words[0], term.case_sensitive, view))
    for k, word in enumerate(term.words[1:], start=1):
        starts &= {i - k for i in word_positions(word, term.case_sensitive, view)}
    n = len(term.words)
    return [(i, i + n) for i in sorted(starts)]


def spans(node: Node, view: DocView, field: str) -> list[Span]:
    """Word spans of a positional node (term, NEAR, OR of those) within one field."""
    match node:
        case Term():
            return term_spans(node, view.field(field)) if field in node.fields else []
        case Or():
            return sorted({s for c in node.children for s in spans(c, view, field)})
        case Near():
            return [_joined(a, b) for a, b in near_pairs(node, view, field)]
    return []


def near_pairs(node: Near, view: DocView, field: str) -> list[tuple[Span, Span]]:
    """Pairs of left and right spans that do not overlap and have at most n words between."""
    left = spans(node.left, view, field)
    right = spans(node.right, view, field) if left else []
    if not right:
        return []
    # Sorted look-ups rather than every pair: common words in a long text would be quadratic.
    n = node.distance
    by_start = sorted(right)
    starts = [b[0] for b in by_start]
    by_end = sorted(right, key=lambda b: b[1])
    ends = [b[1] for b in by_end]
    pairs = []
    for a in left:
        after = by_start[bisect_left(starts, a[1]) : bisect_right(starts, a[1] + n)]
        before = by_end[bisect_left(ends, a[0] - n) : bisect_right(ends, a[0])]
        pairs += [(a, b) for b in before]
        pairs += [(a, b) for b in after]
    return pairs


def _joined(a: Span, b: Span) -> Span:
    return min(a[0], b[0]), max(a[1], b[1])


def positional_fields(node: Node) -> tuple[str, ...]:
    match node:
        case Term():
            return node.fields
        case Or():
            return tuple(dict.fromkeys(f for c in node.children for f in positional_fields(c)))
        case Near():
            return tuple(
                dict.fromkeys(positional_fields(node.left) + positional_fields(node.right))
            )
    return ()


# -- truth -------------------------------------------------------------------------------------

Check = Callable[[DocView], bool]


def compile_check(node: Node) -> Check:
    """A function telling whether ``node`` holds for an article (no offsets worked out)."""
    match node:
        case Term():
            return _term_check(node)
        case Meta():
            return lambda view: meta_holds(node, view.doc)
        case Not():
            inner = compile_check(node.child)
            return lambda view: not inner(view)
        case And():
            parts = tuple(compile_check(c) for c in node.children)
            return lambda view: all(p(view) for p in parts)
        case Or():
            parts = tuple(compile_check(c) for c in node.children)
            return lambda view: any(p(view) for p in parts)
        case Near():
            fields = positional_fields(node)
            return lambda view: any(near_pairs(node, view, f) for f in fields)
    raise TypeError(node)  # pragma: no cover


def _term_check(term: Term) -> Check:
    fields = term.fields
    if len(term.words) > 1:
        return lambda view: any(term_spans(term, view.field(f)) for f in fields)
    word, case_sensitive = term.words[0], term.case_sensitive
    if case_sensitive or word.wildcard:
        return lambda view: any(word_present(word, case_sensitive, view.field(f)) for f in fields)
    key = word.key  # the common case: a set look-up per field
    return lambda view: any(key in view.field(f).vocabulary for f in fields)


# -- hits --------------------------------------------------------------------------------------


def collect_hits(node: Node, view: DocView) -> list[Hit] | None:
    """The hits of the positive terms in the parts of ``node`` that hold; None if it fails."""
    match node:
        case Term():
            found = [_hit(node, view, f, s) for f in node.fields for s in spans(node, view, f)]
            return found or None
        case Meta():
            return [] if meta_holds(node, view.doc) else None
        case Not():
            return [] if collect_hits(node.child, view) is None else None
        case And():
            found = []
            for child in node.children:
                part = collect_hits(child, view)
                if part is None:
                    return None
                found += part
            return found
        case Or():
            parts = [collect_hits(c, view) for c in node.children]
            held = [p for p in parts if p is not None]
            return [h for p in held for h in p] if held else None
        case Near():
            return _near_hits(node, view) or None
    raise TypeError(node)  # pragma: no cover


def _near_hits(node: Near, view: DocView) -> list[Hit]:
    return [
        h
        for field in positional_fields(node)
        for hs in _hits_by_span(node, view, field).values()
        for h in hs
    ]


def _hits_by_span(node: Node, view: DocView, field: str) -> dict[Span, list[Hit]]:
    """Each span a positional node yields in one field, with the hits of the terms inside it."""
    found: dict[Span, list[Hit]] = {}
    if isinstance(node, Term):
        return {s: [_hit(node, view, field, s)] for s in spans(node, view, field)}
    if isinstance(node, Or):
        for child in node.children:
            for span, hits in _hits_by_span(child, view, field).items():
                found.setdefault(span, []).extend(hits)
    elif isinstance(node, Near):
        left = _hits_by_span(node.left, view, field)
        right = _hits_by_span(node.right, view, field)
        for a, b in near_pairs(node, view, field):
            found.setdefault(_joined(a, b), []).extend(left[a] + right[b])
    return found


def _hit(term: Term, view: DocView, field: str, span: Span) -> Hit:
    start, end = view.field(field).offsets(span)
    return Hit(term=term.source, field=field, start=start, end=end)
