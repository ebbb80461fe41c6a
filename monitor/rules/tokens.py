"""Word segmentation and the normal form that makes terms case- and accent-insensitive.

A word is a run of letters, digits and combining marks; everything else separates words, so
apostrophes and hyphens split (``NATO's`` -> ``NATO`` ``s``, ``anti-missile`` -> ``anti``
``missile``). Han, Hiragana and Katakana characters are one word each, since those scripts do
not put spaces between words. The same segmentation runs over queries and articles, so a query
word that splits (``anti-missile``) becomes a phrase and finds exactly what it should.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _mark_ranges() -> list[tuple[int, int]]:
    # Python's re has no \p{M}; combining marks are not \w, so collect them once.
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for cp in [*range(0x20000), *range(0xE0100, 0xE01F0), 0xE01F0]:
        is_mark = cp != 0xE01F0 and unicodedata.category(chr(cp)).startswith("M")
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return ranges


_CJK_RANGES = [
    (0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x2FA1F),
]  # fmt: skip
_MARKS = _char_class(_mark_ranges())
_CJK = _char_class(_CJK_RANGES)

# Most text has neither combining marks nor CJK: one scan for them picks the fast pattern.
_NEEDS_FULL_PATTERN = re.compile(f"[{_MARKS}{_CJK}]")
_FAST_WORD = re.compile(r"[^\W_]+")
_FULL_WORD = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_]|[{_MARKS}])+")
# In queries `*` and `?` are wildcard letters inside a word.
QUERY_WORD = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_]|[{_MARKS}*?])+")
CJK_CHAR = re.compile(f"[{_CJK}]")

_NORMAL_FORMS: dict[str, str] = {}
_NORMAL_FORMS_LIMIT = 200_000


def words(text: str) -> list[str]:
    """The words of ``text`` as written, in order."""
    pattern = _FULL_WORD if _NEEDS_FULL_PATTERN.search(text) else _FAST_WORD
    return pattern.findall(text)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets (start, end) of the words of ``text``, in the same order as words()."""
    pattern = _FULL_WORD if _NEEDS_FULL_PATTERN.search(text) else _FAST_WORD
    return [m.span() for m in pattern.finditer(text)]


def query_words(text: str) -> Iterator[re.Match[str]]:
    """The words of a query fragment, wildcards kept inside them."""
    return QUERY_WORD.finditer(text)


# Diacritics (Latin, Greek, Cyrillic, Hebrew points, Arabic vowel signs) are dropped; the vowel
# signs and viramas of Indic scripts are letters in all but name and stay.
_DIACRITIC = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u064b-\u065f\u0670"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def strip_marks(text: str) -> str:
    """Case-folded, compatibility-decomposed, without diacritics: café -> cafe, Ёж -> еж."""
    return _DIACRITIC.sub("", unicodedata.normalize("NFKD", text.casefold()))


def normal(word: str) -> str:
    """The case- and accent-insensitive form of one word (memoised: vocabularies repeat)."""
    found = _NORMAL_FORMS.get(word)
    if found is None:
        found = word.lower() if word.isascii() else strip_marks(word)
        if len(_NORMAL_FORMS) >= _NORMAL_FORMS_LIMIT:
            _NORMAL_FORMS.clear()
        _NORMAL_FORMS[word] = found
    return found


def normal_all(raw: list[str]) -> list[str]:
    """normal() over a list of words, with the memo read in bulk for speed."""
    get = _NORMAL_FORMS.get
    forms = list(map(get, raw))
    if None in forms:
        forms = [f if f is not None else normal(w) for f, w in zip(forms, raw, strict=True)]
    return forms  # type: ignore[return-value]


def exact(word: str) -> str:
    """The form used by case-sensitive terms: only canonical composition is ignored."""
    return word if word.isascii() else unicodedata.normalize("NFC", word)
