"""Matching articles against many rules: segment once, check only the rules that could hold."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.rules.hits import collect_hits
from monitor.rules.index import STEM_HITS, RuleIndex
from monitor.rules.meta import in_feeds, in_tags
from monitor.rules.records import Document, Hit, RuleMatch
from monitor.rules.rule import Rule
from monitor.rules.syntax import TEXT_FIELDS
from monitor.rules.view import DocView


class Matcher:
    """Holds compiled rules; ``match`` returns every rule an article satisfies, in rule order."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._index = RuleIndex([rule.tree for rule in self.rules])

    def match(self, doc: Document) -> list[RuleMatch]:
        view = DocView(doc)
        found = []
        for position in self._candidates(view):
            rule = self.rules[position]
            if admitted(rule, doc):
                hits = rule_hits(rule, view)
                if hits is not None:
                    found.append(RuleMatch(rule=rule.name, hits=hits))
        return found

    def candidates(self, doc: Document) -> list[int]:
        """The positions of the rules the index lets through for this article (the bench
        counts them: each is a rule checked)."""
        return self._candidates(DocView(doc))

    def _candidates(self, view: DocView) -> list[int]:
        doc = view.doc
        vocabulary = view.field("title").vocabulary | view.field("text").vocabulary
        if doc.author:
            vocabulary |= view.field("author").vocabulary
        written = f"{doc.title}\n{doc.text}\n{doc.author or ''}"
        positions, stems = self._index.lookup(vocabulary, written)
        for field in view.fields.values():
            field.memo[STEM_HITS] = stems  # entity checks start from these words
        return positions


def admitted(rule: Rule, doc: Document) -> bool:
    """Whether the rule's tags/feeds restrictions let this article through."""
    return (not rule.tags or in_tags(doc, rule.tags)) and (
        not rule.feeds or in_feeds(doc, rule.feeds)
    )


def rule_hits(rule: Rule, view: DocView) -> tuple[Hit, ...] | None:
    """The rule's hits in reading order, or None if it fails (including too few mentions)."""
    found = collect_hits(rule.tree, view)
    if found is None:
        return None
    hits = tuple(sorted(_distinct(found), key=_reading_order))
    return hits if mentions_met(rule, hits) else None


def mentions_met(rule: Rule, hits: Sequence[Hit]) -> bool:
    # A rule can hold with no hits at all (NOT x, tag:y); `mentions` only ever adds a demand.
    return rule.mentions <= 1 or len(hits) >= rule.mentions


def _distinct(hits: list[Hit]) -> list[Hit]:
    """One hit per stretch of text, even when two terms of the rule found the same words."""
    return list({(h.field, h.start, h.end): h for h in reversed(hits)}.values())


def _reading_order(hit: Hit) -> tuple[int, int, int]:
    return TEXT_FIELDS.index(hit.field), hit.start, hit.end
