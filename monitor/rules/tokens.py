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
from collections.abc import Callable, Iterator
from itertools import accumulate


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _ranges(chars: range, wanted: Callable[[str], bool]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for cp in chars:
        if wanted(chr(cp)):
            if found and found[-1][1] == cp - 1:
                found[-1] = (found[-1][0], cp)
            else:
                found.append((cp, cp))
    return found


def _is_cjk(char: str) -> bool:
    return any(a <= ord(char) <= b for a, b in _CJK_RANGES)


def _is_word_char(char: str) -> bool:
    # Python's re has no \p{M}, and combining marks are not \w: letters, digits, marks by hand.
    return char != "_" and (char.isalnum() or unicodedata.category(char).startswith("M"))


_CJK_RANGES = [
    (0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x2FA1F),
]  # fmt: skip
_CJK = _char_class(_CJK_RANGES)
# Explicit ranges let sre test each character against a bitmap, which is several times faster
# than its Unicode category look-ups; that only holds while every range is in the BMP.
_BMP_WORD = _char_class(_ranges(range(0x10000), lambda c: _is_word_char(c) and not _is_cjk(c)))
_ASTRAL_WORD = _char_class(
    _ranges(range(0x10000, 0x30000), lambda c: _is_word_char(c) and not _is_cjk(c))
    + _ranges(range(0xE0100, 0xE01F0), _is_word_char)
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_BMP_WORD_RANGES = _ranges(range(0x80, 0x10000), _is_word_char)
# Curly quotes, dashes and no-break spaces make most English text non-ASCII without a single
# non-ASCII letter; this finds the texts whose words really need more than lower().
_NON_ASCII_LETTER = re.compile(f"[{_char_class(_BMP_WORD_RANGES)}\U00010000-\U0010ffff]")
_BMP_PATTERN = re.compile(f"([{_CJK}]|[{_BMP_WORD}]+)")
_FULL_PATTERN = re.compile(f"([{_CJK}]|[{_BMP_WORD}{_ASTRAL_WORD}]+)")
# In queries `*` and `?` are wildcard letters inside a word.
QUERY_WORD = re.compile(f"[{_CJK}]|[{_BMP_WORD}{_ASTRAL_WORD}*?]+")
CJK_CHAR = re.compile(f"[{_CJK}]")


def _pattern(text: str) -> re.Pattern[str]:
    return _FULL_PATTERN if _ASTRAL.search(text) else _BMP_PATTERN


def words(text: str) -> list[str]:
    """The words of ``text`` as written, in order."""
    return _pattern(text).findall(text)


def split_words(text: str) -> list[str]:
    """``text`` cut into separator, word, separator, ... word, separator: words are [1::2].

    Joined back they are ``text``, so word offsets are running sums of the lengths.
    """
    return _pattern(text).split(text)


def word_offsets(parts: list[str]) -> list[int]:
    """From split_words(): word k runs from offsets[2k] to offsets[2k + 1]."""
    return list(accumulate(map(len, parts)))


def has_non_ascii_letters(text: str) -> bool:
    return not text.isascii() and _NON_ASCII_LETTER.search(text) is not None


def query_words(text: str) -> Iterator[re.Match[str]]:
    """The words of a query fragment, wildcards kept inside them."""
    return QUERY_WORD.finditer(text)


_NORMAL_FORMS: dict[str, str] = {}
_NORMAL_FORMS_LIMIT = 200_000


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
