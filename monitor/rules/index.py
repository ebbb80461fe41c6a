"""Which rules an article could match at all, found from its words before any rule is evaluated.

Each rule gets anchors: normal-form words (or word prefixes, for wildcards) of which at least one
must occur in the article for the rule to hold. A rule without such a set (pure NOT, a wildcard
with no leading letters, feed/tag/site/lang alone) is checked for every article.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from monitor.rules.syntax import And, Near, Node, Or, Term, Word
from monitor.rules.tokens import strip_marks

_PREFIX_LETTERS = 3
Anchor = tuple[str, str]  # ("word", normal form) or ("prefix", normal-form prefix)


def anchors(node: Node) -> frozenset[Anchor] | None:
    """Keys one of which is in every article the node holds for; None if there is no such set."""
    match node:
        case Term():
            return _term_anchor(node)
        case Or():
            found: set[Anchor] = set()
            for child in node.children:
                part = anchors(child)
                if part is None:
                    return None
                found |= part
            return frozenset(found)
        case And():
            options = [a for a in map(anchors, node.children) if a is not None]
            return min(options, key=_cost) if options else None
        case Near():
            options = [a for a in (anchors(node.left), anchors(node.right)) if a is not None]
            return min(options, key=_cost) if options else None
    return None  # Not, Meta


def _cost(options: frozenset[Anchor]) -> tuple[int, int]:
    """Fewer and longer keys first: long words are rarer, so fewer rules get checked."""
    return len(options), -min(len(key) for _, key in options)


def _term_anchor(term: Term) -> frozenset[Anchor] | None:
    best = max(term.words, key=_word_weight)
    if best.anything:
        return None
    if not best.wildcard:
        return frozenset({("word", best.folded)})
    # Prefixes are cut to the same few letters, so one set of word beginnings per article
    # serves every wildcard; a wildcard with fewer letters in front is checked everywhere.
    prefix = strip_marks(best.prefix)[:_PREFIX_LETTERS]
    return frozenset({("prefix", prefix)}) if len(prefix) == _PREFIX_LETTERS else None


def _word_weight(word: Word) -> tuple[int, int]:
    return (not word.wildcard, len(word.prefix))


class RuleIndex:
    """Anchor -> rule positions, with the rules that have to be checked for every article."""

    def __init__(self, trees: Sequence[Node]) -> None:
        self.by_word: dict[str, list[int]] = {}
        self.by_prefix: dict[str, list[int]] = {}
        self.always: list[int] = []
        for position, tree in enumerate(trees):
            found = anchors(tree)
            if found is None:
                self.always.append(position)
                continue
            for kind, key in found:
                keyed = self.by_word if kind == "word" else self.by_prefix
                keyed.setdefault(key, []).append(position)
        self._words = set(self.by_word)
        self._prefixes = set(self.by_prefix)
        self._cut = itemgetter(slice(0, _PREFIX_LETTERS))

    def candidates(self, vocabulary: set[str]) -> list[int]:
        """Positions of the rules worth checking for an article with these normal-form words."""
        found = set(self.always)
        # set & set walks the smaller side; set & dict would walk every indexed word.
        for word in vocabulary & self._words:
            found.update(self.by_word[word])
        if self._prefixes:
            for prefix in self._prefixes.intersection(map(self._cut, vocabulary)):
                found.update(self.by_prefix[prefix])
        return sorted(found)
