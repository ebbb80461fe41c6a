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
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate


@dataclass(frozen=True, slots=True, kw_only=True)
class WordTables:
    """Which code points make words, as (first, last) ranges."""

    bmp_word: list[tuple[int, int]]  # letters, digits, marks; CJK left out (a word each)
    astral_word: list[tuple[int, int]]  # the same beyond the BMP, and variation selectors
    non_ascii_word: list[tuple[int, int]]  # every non-ASCII word character of the BMP, CJK too


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


def computed_word_tables() -> WordTables:
    """The word-character ranges, tested character by character (a fifth of a second)."""
    bmp = _ranges(range(0x10000), lambda c: _is_word_char(c) and not _is_cjk(c))
    astral = _ranges(
        range(0x10000, 0x30000), lambda c: _is_word_char(c) and not _is_cjk(c)
    ) + _ranges(range(0xE0100, 0xE01F0), _is_word_char)
    non_ascii = _ranges(range(0x80, 0x10000), _is_word_char)
    return WordTables(bmp_word=bmp, astral_word=astral, non_ascii_word=non_ascii)


def word_tables() -> WordTables:
    """The tables written out in wordchars.py when they are for this Unicode version."""
    from monitor.rules import wordchars

    if unicodedata.unidata_version != wordchars.UNIDATA_VERSION:
        return computed_word_tables()
    return WordTables(
        bmp_word=_read_ranges(wordchars.BMP_WORD),
        astral_word=_read_ranges(wordchars.ASTRAL_WORD),
        non_ascii_word=_read_ranges(wordchars.NON_ASCII_WORD),
    )


def _read_ranges(written: str) -> list[tuple[int, int]]:
    # "30-39 AA" -> [(0x30, 0x39), (0xAA, 0xAA)]: one string compiles far faster than 400 tuples.
    found = []
    for item in written.split():
        first, _, last = item.partition("-")
        found.append((int(first, 16), int(last or first, 16)))
    return found


_TABLES = word_tables()
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
CJK_CHAR = re.compile(f"[{_CJK}]")


# The patterns below are compiled on first use, each costing ~5 ms: loading a config (`check`)
# parses queries but never cuts an article into words, and few texts leave the BMP. Explicit
# ranges let sre test each character against a bitmap, which is several times faster than its
# Unicode category look-ups; that only holds while every range is in the BMP.
@cache
def _bmp_pattern() -> re.Pattern[str]:
    return re.compile(f"([{_CJK}]|[{_char_class(_TABLES.bmp_word)}]+)")


@cache
def _full_pattern() -> re.Pattern[str]:
    word = _char_class(_TABLES.bmp_word) + _char_class(_TABLES.astral_word)
    return re.compile(f"([{_CJK}]|[{word}]+)")


@cache
def _non_ascii_letter() -> re.Pattern[str]:
    # Curly quotes, dashes and no-break spaces make most English text non-ASCII without a
    # single non-ASCII letter; this finds the texts whose words really need more than lower().
    return re.compile(f"[{_char_class(_TABLES.non_ascii_word)}\U00010000-\U0010ffff]")


def _pattern(text: str) -> re.Pattern[str]:
    return _full_pattern() if _ASTRAL.search(text) else _bmp_pattern()


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
    return not text.isascii() and _non_ascii_letter().search(text) is not None


def query_words(text: str) -> list[str]:
    """The words of a query fragment, wildcards (`*`, `?`) kept inside them: what words()
    would find, read character by character. A query is a few words, and compiling the
    pattern would cost more than all the queries of a config take to read this way."""
    found: list[str] = []
    run: list[str] = []
    for char in text:
        if _is_cjk(char):
            found.extend(("".join(run), char) if run else (char,))
            run = []
        elif char in "*?" or _in_ranges(ord(char), _WORD_STARTS, _WORD_RANGES):
            run.append(char)
        elif run:
            found.append("".join(run))
            run = []
    if run:
        found.append("".join(run))
    return found


_WORD_RANGES = sorted(_TABLES.bmp_word + _TABLES.astral_word)
_WORD_STARTS = [first for first, _ in _WORD_RANGES]


def joins_word(char: str) -> bool:
    """Whether this character continues a word beside it (a letter, digit or mark; not
    CJK, whose characters are words each): what tells a word's edge in text as written."""
    return _in_ranges(ord(char), _WORD_STARTS, _WORD_RANGES)


def _in_ranges(code: int, starts: list[int], ranges: list[tuple[int, int]]) -> bool:
    at = bisect_right(starts, code) - 1
    return at >= 0 and code <= ranges[at][1]


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


def wordchars_module(tables: WordTables) -> str:
    """The source of wordchars.py for these tables and this Python's Unicode version."""
    sections = (
        ("BMP_WORD", "Letters, digits and marks of the BMP; CJK left out (each is a word).",
         tables.bmp_word),
        ("ASTRAL_WORD", "The same beyond the BMP, and the variation selectors.",
         tables.astral_word),
        ("NON_ASCII_WORD", "Every non-ASCII word character of the BMP, CJK included.",
         tables.non_ascii_word),
    )  # fmt: skip
    body = "".join(
        f"\n# {note}\n{name} = (\n{_wrapped(ranges)})\n" for name, note, ranges in sections
    )
    return f'{_WORDCHARS_DOC}\nUNIDATA_VERSION = "{unicodedata.unidata_version}"\n{body}'


def _wrapped(ranges: list[tuple[int, int]]) -> str:
    lines, line = [], ""
    for first, last in ranges:
        item = f"{first:X}" if first == last else f"{first:X}-{last:X}"
        if len(line) + len(item) > 90:
            lines.append(line)
            line = ""
        line += item + " "
    return "".join(f'    "{line}"\n' for line in [*lines, line])


_WORDCHARS_DOC = '''"""Which characters make words, as code point ranges in hex: the tables tokens.py builds its
patterns from, written out so that start-up does not test 260,000 code points one by one
(a fifth of a second). Generated; do not edit.

They hold for one Unicode version; tokens.py computes them afresh under any other. To write
them again: ``python -m monitor.rules.tokens > monitor/rules/wordchars.py``.
"""
'''


if __name__ == "__main__":
    print(wordchars_module(computed_word_tables()), end="")
