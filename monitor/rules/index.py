"""Which rules an article could match at all, found from its words before any rule is evaluated.

Each rule gets requirements, in the manner of Lucene Monitor's presearcher: alternatives, each
a set of keys (normal-form words, or word prefixes for wildcards) that must all occur in the
article for the rule to hold through that alternative. `"Ali Khan"` requires both `ali` and
`khan`, so among 100,000 names an article with `Khan` alone wakes none of the rules that pair
it with another first name; `a OR b` is two alternatives. A rule without requirements (pure
NOT, a wildcard with no leading letters, feed/tag/site/lang alone) is checked for every
article. Requirements only ever let too much through: the rule itself decides.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from monitor.rules.stemindex import PREFIX_LETTERS, PROBE, PrefixIndex
from monitor.rules.syntax import And, EntityRef, Near, Node, Not, Or, Term, Word
from monitor.rules.tokens import joins_word, strip_marks

STEM_HITS = "stem hits"  # FieldView.memo key: the article's words that start an entity's stem
# ("word", normal form), ("prefix", normal-form prefix), ("exact", an ASCII word as a
# case-sensitive term writes it, looked for in the text as written: `{ART}` needs "ART", which
# the word "art" of every other article does not give), or ("stem", an entity stem's first
# letters, stemindex.STEM_LETTERS, with the word's test, tried on each word when first seen)
Anchor = tuple[str, str] | tuple[str, str, Callable[[str], bool]]
Requirement = frozenset[Anchor]  # every one of them must occur
# An AND of ORs multiplies out; past this many alternatives the cheapest child speaks alone.
_MAX_ALTERNATIVES = 16


def requirements(node: Node) -> list[Requirement] | None:
    """Alternatives, one of which holds in every article the node holds for; None if the node
    can hold with none of its words present (or nothing is known of what it needs)."""
    found = _requirements(node)
    return found if found and all(found) else None


def _requirements(node: Node) -> list[Requirement] | None:
    match node:
        case Term():
            return _term_requirement(node)
        case Or():
            found: list[Requirement] = []
            for child in node.children:
                part = requirements(child)
                if part is None:
                    return None
                found += part
            return _distinct(found)
        case And():
            return _all_of([requirements(child) for child in node.children])
        case Near():
            return _all_of([requirements(node.left), requirements(node.right)])
        case EntityRef():  # any one of its forms
            return [frozenset({a}) for a in node.entity.anchors() or ()]
    return None  # Not, Meta


def anchors(node: Node) -> frozenset[Anchor] | None:
    """Keys one of which is in every article the node holds for (each alternative's first)."""
    found = requirements(node)
    return None if found is None else frozenset(_primary(r) for r in found)


def _all_of(parts: list[list[Requirement] | None]) -> list[Requirement] | None:
    """Every part must hold: the product of their alternatives, or, past a few of them, the
    alternatives of the part that is cheapest to look for."""
    known = [p for p in parts if p is not None]
    if not known:
        return None
    cheapest, *others = sorted(known, key=_cost)
    combined = cheapest
    for part in others:
        product = [a | b for a in combined for b in part]
        if len(product) > _MAX_ALTERNATIVES:
            break
        combined = product
    return _distinct(combined)


def _cost(alternatives: list[Requirement]) -> tuple[int, int]:
    """Fewer and longer keys first: long words are rarer, so fewer rules get checked."""
    return len(alternatives), -min(len(_primary(r)[1]) for r in alternatives)


def _distinct(found: Iterable[Requirement]) -> list[Requirement]:
    return list(dict.fromkeys(found))


def _term_requirement(term: Term) -> list[Requirement] | None:
    keys = {key for word in term.words if (key := _word_key(word)) is not None}
    if term.case_sensitive:
        keys |= {("exact", w.key) for w in term.words if not w.wildcard and w.key.isascii()}
    return [frozenset(keys)] if keys else None


def _word_key(word: Word) -> Anchor | None:
    if word.anything:
        return None
    if not word.wildcard:
        return ("word", word.folded)
    # Prefixes are cut to the same few letters, so one set of word beginnings per article
    # serves every wildcard; a wildcard with fewer letters in front requires nothing.
    prefix = strip_marks(word.prefix)[:PREFIX_LETTERS]
    return ("prefix", prefix) if len(prefix) == PREFIX_LETTERS else None


def _primary(requirement: Requirement) -> Anchor:
    """The key that stands for a requirement when one must: the likely rarest."""
    return min(requirement, key=_rarity)


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


def _rarity(anchor: Anchor) -> tuple[int, int, str]:
    """An exact form before a word (`ART` as written is rarer than the word "art"), a word
    before a prefix, the longest first (long words are rare), then by spelling, so that no
    choice ever depends on the order of the rules."""
    return _KINDS.index(anchor[0]), -len(anchor[1]), anchor[1]


_KINDS = ("exact", "word", "prefix", "stem")


class RuleIndex:
    """Key -> (rule position, the other keys it needs), with the rules checked for every article."""

    def __init__(self, trees: Sequence[Node]) -> None:
        # stems are filed with their tests in stemindex.PrefixIndex
        self._filed: dict[str, dict[str, list[tuple[int, Requirement]]]] = {
            kind: {} for kind in _KINDS if kind != "stem"
        }
        self.always: list[int] = []
        self._needs_prefixes = False  # a rule filed under a word may still need a prefix
        found = [requirements(tree) for tree in trees]
        # Each requirement is filed under the key fewest requirements name: a first name
        # shared by 2,000 names of a watch list would wake 2,000 rules in every article
        # that has it; the surname beside it wakes a handful.
        uses = Counter(
            key for alternatives in found if alternatives for r in alternatives for key in r
        )
        by_stem: dict[str, list[tuple[int, Callable[[str], bool]]]] = {}
        for position, alternatives in enumerate(found):
            if alternatives is None:
                self.always.append(position)
                continue
            for requirement in alternatives:
                stem = min((a for a in requirement if len(a) == 3), default=None, key=_rarity)
                if stem is not None:  # an entity's word: its stem and test decide (stemindex)
                    by_stem.setdefault(stem[1], []).append((position, stem[2]))  # type: ignore[misc]
                    continue
                primary = min(requirement, key=lambda a: (_KINDS.index(a[0]), uses[a], _rarity(a)))
                self._filed[primary[0]].setdefault(primary[1], []).append(
                    (position, requirement - {primary})
                )
                self._needs_prefixes = self._needs_prefixes or any(
                    a[0] == "prefix" for a in requirement
                )
        # Every entity word of every rule is tried on the words it might be, anchor or not
        # (@Putin inside NOT, the other words of a phrase): the checks start from what the
        # index found, so it must have looked for all of them.
        for tree in trees:
            for key, probe in _entity_stems(tree):
                by_stem.setdefault(key, []).append((PROBE, probe))
        self._stems = PrefixIndex({}, by_stem)
        self._exact = _automaton(
            {a[1] for alts in found if alts for r in alts for a in r if a[0] == "exact"}
        )
        self._keys = {kind: set(filed) for kind, filed in self._filed.items()}
        self._cut = itemgetter(slice(0, PREFIX_LETTERS))

    def lookup(self, vocabulary: set[str], written: str) -> tuple[list[int], frozenset[str]]:
        """Positions of the rules worth checking for an article with these normal-form words,
        `written` being its text as written (title, text and author); and the words that start
        an entity's stem: entity checks start from those rather than reading every word again."""
        # one cut of every word serves the wildcards' prefixes and the entities' stems
        cuts = list(map(self._cut, vocabulary)) if self._needs_prefixes or self._stems else []
        prefixes = set(cuts) if self._needs_prefixes else set()
        have = {"exact": self._written(written), "word": vocabulary, "prefix": prefixes}
        found = set(self.always)
        for kind, filed in self._filed.items():
            # set & set walks the smaller side; set & dict would walk every indexed key.
            for key in have[kind] & self._keys[kind]:
                for position, rest in filed[key]:
                    if not rest or _present(rest, have):
                        found.add(position)
        stems = self._stems.lookup(vocabulary, found, cuts) if self._stems else frozenset()
        return sorted(found), stems

    def _written(self, text: str) -> set[str]:
        """The exact keys that stand as whole words in the text as written: one scan of it by
        an Aho-Corasick automaton of them all (a substring search per key costs 400 scans of
        every article at 100,000 rules)."""
        if self._exact is None:
            return set()
        if "\u212a" in text:  # the Kelvin sign is a K once normalised, as exact forms are
            text = unicodedata.normalize("NFC", text)
        found = set()
        last = len(text) - 1
        for end, key in self._exact.iter(text):
            start = end - len(key) + 1
            if (start == 0 or not joins_word(text[start - 1])) and (
                end == last or not joins_word(text[end + 1])
            ):
                found.add(key)
        return found


def _present(keys: Requirement, have: dict[str, set[str]]) -> bool:
    return all(a[1] in have[a[0]] for a in keys)


def _automaton(keys: set[str]) -> Any:
    """An Aho-Corasick automaton of the keys (pyahocorasick), or None when there are none."""
    if not keys:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key in keys:
        automaton.add_word(key, key)
    automaton.make_automaton()
    return automaton
