"""The rule index's look-ups by a word's first letters: wildcards' prefixes, entities' stems.

Every word of an article is cut to its first three letters once (one C-level pass). Those
letters find the wildcards' rules directly. An entity's stem is longer and carries its word's
test (entities/compiled.py), so that a word files an entity rule only when it is that entity's
word, not when it merely starts the same way: the words whose first three letters begin some
stem are tried against the stems under them, each distinct word once, and the verdict is kept,
since news vocabulary repeats from one article to the next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from itertools import compress
from operator import itemgetter

PREFIX_LETTERS = 3  # a wildcard's prefix (Tajik* -> taj); what every word is cut to
STEM_LETTERS = 5  # an entity stem's: three letters start too many words to try each
_VERDICTS_LIMIT = 200_000  # distinct words' verdicts kept; past that they start afresh

Accepts = Callable[[str], bool]  # whether a word (normal form) is one of an entity's words
PROBE = -1  # a stem's position when it only says which words are entity words, no candidate


class PrefixIndex:
    """Prefix -> rule positions, and stem -> (rule position, test) pairs."""

    def __init__(
        self,
        by_prefix: Mapping[str, list[int]],
        by_stem: Mapping[str, list[tuple[int, Accepts]]],
    ) -> None:
        self.by_prefix = dict(by_prefix)
        self.by_stem = dict(by_stem)
        self._prefixes = set(self.by_prefix)
        self._heads = {stem[:PREFIX_LETTERS] for stem in self.by_stem}
        self._firsts = self._prefixes | self._heads
        self._cut = itemgetter(slice(0, PREFIX_LETTERS))
        # word -> the entity rules it makes candidates, or None if it is no entity's word
        self._verdicts: dict[str, tuple[int, ...] | None] = {}
        self._lock = threading.Lock()  # matchers run in several threads

    def __bool__(self) -> bool:
        return bool(self._prefixes or self._heads)

    def lookup(
        self, vocabulary: set[str], found: set[int], cuts: list[str] | None = None
    ) -> frozenset[str]:
        """Add the positions of the rules the words make candidates to ``found``; returns the
        words that are some entity's word (entity checks start from them). ``cuts``: the
        words' first letters in the set's order, when the caller cut them already."""
        if not self._heads:  # no entity: the look-up wildcards always had
            for prefix in self._prefixes.intersection(map(self._cut, vocabulary)):
                found.update(self.by_prefix[prefix])
            return frozenset()
        if cuts is None:  # in the set's order, which holds while the set is unchanged
            cuts = list(map(self._cut, vocabulary))
        hits = self._firsts.intersection(cuts)  # one pass for wildcards' prefixes and stems' heads
        if not hits:
            return frozenset()
        for prefix in hits & self._prefixes:
            found.update(self.by_prefix[prefix])
        heads = hits & self._heads
        if not heads:
            return frozenset()
        words = compress(vocabulary, map(heads.__contains__, cuts))
        entity_words = []
        verdicts = self._verdicts
        for word in words:
            positions = verdicts[word] if word in verdicts else self._verdict(word)
            if positions is not None:
                found.update(positions)
                entity_words.append(word)
        return frozenset(entity_words)

    def _verdict(self, word: str) -> tuple[int, ...] | None:
        get = self.by_stem.get
        # the three-letter keys are Cyrillic spellings shorter than a stem: ш for sh
        tried = get(word[:STEM_LETTERS], []) + get(word[:PREFIX_LETTERS], [])
        accepted = {position for position, accepts in tried if accepts(word)}
        positions = tuple(sorted(accepted - {PROBE})) if accepted else None
        with self._lock:
            if len(self._verdicts) >= _VERDICTS_LIMIT:
                self._verdicts.clear()
            self._verdicts[word] = positions
        return positions
