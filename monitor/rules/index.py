"""Which rules an article could match at all, found from its words before any rule is evaluated.

Each rule gets anchors: normal-form words (or word prefixes, for wildcards) of which at least one
must occur in the article for the rule to hold. A rule without such a set (pure NOT, a wildcard
with no leading letters, feed/tag/site/lang alone) is checked for every article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.rules.stemindex import PREFIX_LETTERS, PROBE, PrefixIndex
from monitor.rules.syntax import And, EntityRef, Near, Node, Not, Or, Term, Word
from monitor.rules.tokens import strip_marks

_PREFIX_LETTERS = PREFIX_LETTERS
STEM_HITS = "stem hits"  # FieldView.memo key: the article's words that start an entity's stem
# ("word", normal form), ("prefix", normal-form prefix) or ("stem", an entity stem's first
# letters: stemindex.STEM_LETTERS, or SHORT_LETTERS where a spelling is shorter)
# An entity word's stem anchor also carries the word's test, tried on each word when first seen.
Anchor = tuple[str, str] | tuple[str, str, Callable[[str], bool]]


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
        case EntityRef():
            return node.entity.anchors()
    return None  # Not, Meta


def _cost(options: frozenset[Anchor]) -> tuple[int, int]:
    """Fewer and longer keys first: long words are rarer, so fewer rules get checked."""
    return len(options), -min(len(anchor[1]) for anchor in options)


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


def _entity_stems(node: Node) -> list[tuple[str, Callable[[str], bool]]]:
    match node:
        case EntityRef():
            anchored = node.entity.anchors() or frozenset()
            return [(a[1], a[2]) for a in anchored if len(a) == 3]
        case And() | Or():
            return [found for child in node.children for found in _entity_stems(child)]
        case Not():
            return _entity_stems(node.child)
        case Near():
            return _entity_stems(node.left) + _entity_stems(node.right)
    return []


def _word_weight(word: Word) -> tuple[int, int]:
    return (not word.wildcard, len(word.prefix))


class RuleIndex:
    """Anchor -> rule positions, with the rules that have to be checked for every article."""

    def __init__(self, trees: Sequence[Node]) -> None:
        self.by_word: dict[str, list[int]] = {}
        self.by_prefix: dict[str, list[int]] = {}
        by_stem: dict[str, list[tuple[int, Callable[[str], bool]]]] = {}
        self.always: list[int] = []
        keyed = {"word": self.by_word, "prefix": self.by_prefix}
        for position, tree in enumerate(trees):
            found = anchors(tree)
            if found is None:
                self.always.append(position)
                continue
            for kind, key, *test in found:
                if test:
                    by_stem.setdefault(key, []).append((position, test[0]))
                else:
                    keyed[kind].setdefault(key, []).append(position)
        # Every entity word of every rule is tried on the words it might be, anchor or not
        # (@Putin inside NOT, the other words of a phrase): the checks start from what the
        # index found, so it must have looked for all of them.
        for tree in trees:
            for key, probe in _entity_stems(tree):
                by_stem.setdefault(key, []).append((PROBE, probe))
        self._words = set(self.by_word)
        self.prefixes = PrefixIndex(self.by_prefix, by_stem)

    def candidates(self, vocabulary: set[str]) -> list[int]:
        """Positions of the rules worth checking for an article with these normal-form words."""
        return self.lookup(vocabulary)[0]

    def lookup(self, vocabulary: set[str]) -> tuple[list[int], frozenset[str]]:
        """The candidates, and the words that start an entity's stem: entity checks start from
        those rather than reading every word again."""
        found = set(self.always)
        stems: frozenset[str] = frozenset()
        # set & set walks the smaller side; set & dict would walk every indexed word.
        for word in vocabulary & self._words:
            found.update(self.by_word[word])
        if self.prefixes:
            stems = self.prefixes.lookup(vocabulary, found)
        return sorted(found), stems
