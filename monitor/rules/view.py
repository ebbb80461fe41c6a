"""An article segmented for matching: per field, its words' normal forms, positions and offsets.

Segmenting is most of the cost of matching, so each field is segmented once, lazily, and only
the vocabulary (the set of normal forms) is built up front; word lists, positions and character
offsets are worked out only for fields that a phrase, NEAR or a matched rule looks at.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import filterfalse
from typing import Any

from monitor.rules.glob import compile_glob
from monitor.rules.records import Document
from monitor.rules.syntax import Word
from monitor.rules.tokens import (
    exact,
    has_non_ascii_letters,
    normal,
    normal_all,
    split_words,
    word_offsets,
    words,
)

Span = tuple[int, int]  # word indices [start, end) within one field


class FieldView:
    """One text field of an article as words."""

    __slots__ = ("text", "vocabulary", "_parts", "_lowered", "_unusual", "_normal", "_raw",
                 "_exact", "_exact_set", "_positions", "_index", "_offsets", "_sorted",
                 "_wildcards", "memo")  # fmt: skip

    def __init__(self, text: str) -> None:
        self.text = text
        self._raw: list[str] | None = None
        self._normal: list[str] | None = None
        self._exact: list[str] | None = None
        self._exact_set: set[str] | None = None
        self._positions: dict[tuple[bool, str], list[int]] = {}
        # What matching worked out about this field, so nothing is worked out twice: spans,
        # pairs and hits per node (evaluate.memo_key), what entity matching found (entities/).
        self.memo: dict[Any, Any] = {}
        self._index: dict[bool, dict[str, list[int]]] = {}
        self._offsets: list[int] | None = None
        self._sorted: dict[bool, list[str]] = {}
        self._wildcards: dict[tuple[bool, str], list[str]] = {}
        lowered = text.lower()
        if len(lowered) != len(text):  # İ and friends: lower() moved the words, go word by word
            self._parts = split_words(text)
            self._lowered = None
            self.vocabulary = set(self.normal)
            return
        # Lower-casing the whole text is one C call and keeps every word where it was.
        self._parts = split_words(lowered)
        self._lowered = self._parts[1::2]
        self.vocabulary = set(self._lowered)
        self._unusual: dict[str, str] = {}  # lower-cased word -> normal form, where they differ
        if has_non_ascii_letters(lowered):
            unusual = list(filterfalse(str.isascii, self.vocabulary))
            self._unusual = dict(zip(unusual, normal_all(unusual), strict=True))
            self.vocabulary.difference_update(unusual)
            self.vocabulary.update(self._unusual.values())

    @property
    def normal(self) -> list[str]:
        """The normal form of each word, in order."""
        if self._normal is None:
            if self._lowered is None:
                self._normal = normal_all(self.raw)
            elif self._unusual:
                self._normal = list(map(self._unusual.get, self._lowered, self._lowered))
            else:
                self._normal = self._lowered
        return self._normal

    @property
    def raw(self) -> list[str]:
        """Each word as written, in order."""
        if self._raw is None:
            self._raw = words(self.text) if self._lowered is not None else self._parts[1::2]
        return self._raw

    def exact_forms(self) -> list[str]:
        if self._exact is None:
            self._exact = self.raw if self.text.isascii() else [exact(w) for w in self.raw]
        return self._exact

    def exact_vocabulary(self) -> set[str]:
        """The distinct exact forms: a case-sensitive word is looked up here, not in the list."""
        if self._exact_set is None:
            self._exact_set = set(self.exact_forms())
        return self._exact_set

    def matching_forms(self, word: Word, case_sensitive: bool) -> list[str]:
        """The distinct word forms a wildcard word matches: those with its prefix, then the rest."""
        found = self._wildcards.get((case_sensitive, word.key))
        if found is None:
            ordered = self._sorted.get(case_sensitive)
            if ordered is None:
                forms = self.exact_vocabulary() if case_sensitive else self.vocabulary
                ordered = self._sorted[case_sensitive] = sorted(forms)
            prefix, pattern = word.prefix, compile_glob(word.key)
            found = []
            for form in ordered[bisect_left(ordered, prefix) :]:
                if not form.startswith(prefix):
                    break
                if pattern.matches(form):
                    found.append(form)
            self._wildcards[case_sensitive, word.key] = found
        return found

    def positions(self, key: str, case_sensitive: bool = False) -> list[int]:
        """Indices of the words whose normal (or exact) form is ``key``; found once, kept."""
        found = self._positions.get((case_sensitive, key))
        if found is not None:
            return found
        if case_sensitive:
            # A word written as the key has the key's normal form: among those few words,
            # keep the ones written so (no exact form of every word of the text is needed).
            found = [i for i in self.positions(normal(key)) if exact(self.written(i)) == key]
            self._positions[True, key] = found
            return found
        index = self._index.get(False)
        if index is not None:
            return index.get(key, [])
        if len(self._positions) < _SCANS_BEFORE_INDEX:
            found = self._positions[False, key] = _indices(self.normal, key)
            return found
        # many words looked up (a wildcard's forms, a long OR): one pass for all
        index = self._index[False] = _positions_of_all(self.normal)
        return index.get(key, [])

    def written(self, at: int) -> str:
        """Word ``at`` as written."""
        if self._lowered is None:
            return self._parts[2 * at + 1]
        start, end = self.offsets((at, at + 1))
        return self.text[start:end]

    def offsets(self, span: Span) -> tuple[int, int]:
        """Character offsets of a run of words."""
        if self._offsets is None:
            self._offsets = word_offsets(self._parts)
        return self._offsets[2 * span[0]], self._offsets[2 * span[1] - 1]


# A scan of the words runs in C and wins for the few words a rule names; past this many look-ups
# in one field, indexing every word once keeps the work linear in the text.
_SCANS_BEFORE_INDEX = 16


def _positions_of_all(forms: list[str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for at, form in enumerate(forms):
        index.setdefault(form, []).append(at)
    return index


def _indices(forms: list[str], key: str) -> list[int]:
    # list.index runs in C; a rule's word is usually found a handful of times, if at all.
    found: list[int] = []
    at = -1
    try:
        while True:
            at = forms.index(key, at + 1)
            found.append(at)
    except ValueError:
        return found


class DocView:
    """An article segmented for matching; text fields are segmented on first use."""

    __slots__ = ("doc", "fields")

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.fields: dict[str, FieldView] = {}

    def field(self, name: str) -> FieldView:
        view = self.fields.get(name)
        if view is None:
            view = self.fields[name] = FieldView(getattr(self.doc, name))
        return view
