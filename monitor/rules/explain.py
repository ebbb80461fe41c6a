"""`rules test`: a readable account of why a rule matched an article or did not."""

from __future__ import annotations

from monitor.rules.evaluate import positional_fields
from monitor.rules.hits import collect_hits
from monitor.rules.matcher import admitted, rule_hits
from monitor.rules.records import Document, Hit
from monitor.rules.rule import Rule
from monitor.rules.syntax import And, EntityRef, Meta, Near, Node, Not, Or, Term, render
from monitor.rules.view import DocView

_SHOWN_HITS = 10


def explain(rule: Rule, doc: Document) -> str:
    """Matched or not, each part of the rule with yes/no, and every hit with field and offsets."""
    return explained(rule, doc)[1]


def explained(rule: Rule, doc: Document) -> tuple[tuple[Hit, ...] | None, str]:
    """The rule's hits (None: no match) and the explanation, from one reading of the article."""
    view = DocView(doc)
    hits = rule_hits(rule, view) if admitted(rule, doc) else None
    lines = [
        f"rule {rule.name}: {'matched' if hits is not None else 'no match'}",
        f"  reads as: {render(rule.tree)}",
        *_restrictions(rule, doc),
        *_node_lines(rule.tree, view, depth=1),
    ]
    if rule.mentions > 1:
        found = len(hits) if hits is not None else len(_content_hits(rule, view))
        verdict = "ok" if found >= rule.mentions else "too few"
        lines.append(f"  mentions: {found} hit(s), at least {rule.mentions} needed: {verdict}")
    return hits, "\n".join(lines)


def _restrictions(rule: Rule, doc: Document) -> list[str]:
    lines = []
    if rule.tags:
        ok = admitted(Rule(name=rule.name, tree=rule.tree, tags=rule.tags), doc)
        has = ", ".join(doc.tags) or "none"
        lines.append(f"  tags {', '.join(rule.tags)}: feed tags are {has}: {_ok(ok)}")
    if rule.feeds:
        ok = admitted(Rule(name=rule.name, tree=rule.tree, feeds=rule.feeds), doc)
        feed = doc.feed or doc.feed_url or "unknown"
        lines.append(f"  feeds {', '.join(rule.feeds)}: the feed is {feed}: {_ok(ok)}")
    return lines


def _ok(ok: bool) -> str:
    return "ok" if ok else "not listed"


def _content_hits(rule: Rule, view: DocView) -> list[Hit]:
    return collect_hits(rule.tree, view) or []


def _node_lines(node: Node, view: DocView, depth: int) -> list[str]:
    held = collect_hits(node, view) is not None
    pad = "  " * depth + ("yes " if held else "no  ")
    match node:
        case Term() | EntityRef():
            return [pad + f"{render(node)}: {_term_detail(node, view)}"]
        case Meta():
            return [pad + f"{render(node)}: {_meta_detail(node, view.doc)}"]
        case Near():
            found = collect_hits(node, view) or []
            detail = _hit_list(found, view.doc) if found else "not within the distance anywhere"
            return [pad + f"{render(node)}: {detail}"]
        case Not():
            return [pad + "NOT", *_node_lines(node.child, view, depth + 1)]
        case And() | Or():
            label = "AND (all of)" if isinstance(node, And) else "OR (any of)"
            return [
                pad + label,
                *(ln for c in node.children for ln in _node_lines(c, view, depth + 1)),
            ]
    raise TypeError(node)  # pragma: no cover


def _term_detail(term: Term | EntityRef, view: DocView) -> str:
    found = collect_hits(term, view)
    if found is None:
        return f"not found in {' or '.join(positional_fields(term))}"
    return _hit_list(found, view.doc)


def _hit_list(hits: list[Hit], doc: Document) -> str:
    shown = ", ".join(_hit_text(h, doc) for h in hits[:_SHOWN_HITS])
    more = f" and {len(hits) - _SHOWN_HITS} more" if len(hits) > _SHOWN_HITS else ""
    return f"{len(hits)} hit(s) {shown}{more}"


def _hit_text(hit: Hit, doc: Document) -> str:
    """``title[0:9] 'Рогунской'``, and for an entity which form it stands for:
    ``title[0:9] Рогунской ← @Rogun: Рогун``."""
    found = getattr(doc, hit.field)[hit.start : hit.end]
    if hit.form:
        return f"{hit.field}[{hit.start}:{hit.end}] {found} ← {hit.term}: {hit.form}"
    return f"{hit.field}[{hit.start}:{hit.end}] {found!r}"


def _meta_detail(meta: Meta, doc: Document) -> str:
    value = {
        "feed": f"{doc.feed} <{doc.feed_url}>",
        "tag": ", ".join(doc.tags) or "no tags",
        "site": doc.url or "no URL",
        "lang": doc.lang or "no language",
    }[meta.field]
    return f"article's {meta.field} is {value}"
