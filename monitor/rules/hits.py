"""Where a rule's positive terms hit: the offsets digests highlight and `mentions` counts.

Work is bounded whatever the text: a term keeps its first MAX_TERM_HITS hits per field, and
the hits inside a NEAR are worked out once per span it found (memoised on the view), so a
chain of NEARs over a text of one repeated word costs what its pairs cost.
"""

from __future__ import annotations

from monitor.rules.evaluate import (
    joined,
    memo_key,
    near_pairs,
    positional_fields,
    spans,
    term_spans,
)
from monitor.rules.meta import meta_holds
from monitor.rules.records import Hit
from monitor.rules.syntax import And, EntityRef, Meta, Near, Node, Not, Or, Term
from monitor.rules.view import DocView, Span

# Far more than a page can show or `mentions` asks for; a text of one word repeated must not
# make a hundred thousand of them per term.
MAX_TERM_HITS = 1_000
MAX_RULE_HITS = 10_000  # and an AND or OR of many terms keeps this many


def collect_hits(node: Node, view: DocView) -> list[Hit] | None:
    """The hits of the positive terms in the parts of ``node`` that hold; None if it fails."""
    match node:
        case Term():
            found = [h for f in node.fields for h in _term_hits(node, view, f)]
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
                found += part[: MAX_RULE_HITS - len(found)]
            return found
        case Or():
            parts = [collect_hits(c, view) for c in node.children]
            held = [p for p in parts if p is not None]
            return [h for p in held for h in p][:MAX_RULE_HITS] if held else None
        case Near():
            return _near_hits(node, view) or None
        case EntityRef():
            return [hit for f in node.fields for _, hit in entity_hits(node, view, f)] or None
    raise TypeError(node)  # pragma: no cover


def _term_hits(term: Term, view: DocView, field: str) -> list[Hit]:
    memo = view.field(field).memo
    key = memo_key("term hits", term)
    found = memo.get(key)
    if found is None:
        found = memo[key] = [
            _hit(term, view, field, s) for s in spans(term, view, field)[:MAX_TERM_HITS]
        ]
    return found


def entity_hits(node: EntityRef, view: DocView, field: str) -> list[tuple[Span, Hit]]:
    """Where the entity's forms stand in one field, each with its hit (which form it was)."""
    if field not in node.fields:
        return []
    memo = view.field(field).memo
    key = memo_key("entity hits", node)
    found = memo.get(key)
    if found is None:
        spans_found = node.entity.spans(view.field(field), term_spans)[:MAX_TERM_HITS]
        found = memo[key] = [
            (span, _hit(node, view, field, span, form.source)) for span, form in spans_found
        ]
    return found


def _near_hits(node: Near, view: DocView) -> list[Hit]:
    fields = positional_fields(node)
    memo = view.field(fields[0]).memo
    key = memo_key("near hits", node)
    found = memo.get(key)
    if found is None:
        hits: dict[Hit, None] = {}
        for field in fields:
            for span in spans(node, view, field):
                hits.update(dict.fromkeys(_hits_in(node, view, field, span)))
        found = memo[key] = list(hits)[:MAX_RULE_HITS]
    return found


def _hits_in(node: Node, view: DocView, field: str, span: Span) -> tuple[Hit, ...]:
    """The hits of the terms of a positional node that make up one of its spans."""
    memo = view.field(field).memo
    key = (*memo_key("hits", node), span)
    found = memo.get(key)
    if found is not None:
        return found
    hits: dict[Hit, None] = {}
    if isinstance(node, Term):
        hits[_hit(node, view, field, span)] = None
    elif isinstance(node, EntityRef):
        by_span = memo.get(memo_key("entity hits by span", node))
        if by_span is None:
            by_span = memo[memo_key("entity hits by span", node)] = {}
            for at, hit in entity_hits(node, view, field):
                by_span.setdefault(at, []).append(hit)
        hits.update(dict.fromkeys(by_span.get(span, ())))
    elif isinstance(node, Or):
        for child in node.children:
            if span in _span_set(child, view, field):
                hits.update(dict.fromkeys(_hits_in(child, view, field, span)))
    elif isinstance(node, Near):
        for a, b in _pairs_by_span(node, view, field).get(span, ()):
            hits.update(dict.fromkeys(_hits_in(node.left, view, field, a)))
            hits.update(dict.fromkeys(_hits_in(node.right, view, field, b)))
    found = memo[key] = tuple(hits)
    return found


def _span_set(node: Node, view: DocView, field: str) -> set[Span]:
    memo = view.field(field).memo
    key = memo_key("span set", node)
    found = memo.get(key)
    if found is None:
        found = memo[key] = set(spans(node, view, field))
    return found


def _pairs_by_span(node: Near, view: DocView, field: str) -> dict[Span, list[tuple[Span, Span]]]:
    memo = view.field(field).memo
    key = memo_key("pairs by span", node)
    found = memo.get(key)
    if found is None:
        found = memo[key] = {}
        for a, b in near_pairs(node, view, field):
            found.setdefault(joined(a, b), []).append((a, b))
    return found


def _hit(node: Term | EntityRef, view: DocView, field: str, span: Span, form: str = "") -> Hit:
    start, end = view.field(field).offsets(span)
    term = node.source if isinstance(node, Term) else f"@{node.name}"
    return Hit(term=term, field=field, start=start, end=end, form=form)
