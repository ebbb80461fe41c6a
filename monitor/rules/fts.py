"""A rule as an SQLite FTS5 MATCH expression that finds at least every article the rule matches.

The archive's FTS table uses ``tokenize="unicode61 remove_diacritics 2"``: it folds case and Latin
accents but keeps ё, й, ß and Greek accents, and it keeps a run of Han or kana as one token. So a
word is sent with every spelling the table may hold for it (Королев -> королев OR королёв), and a
term the table cannot find reliably (CJK) is left out. Left out of an AND is still a superset;
left out of an OR, or any NOT, means no prefilter for that part. When a word has too many
spellings, the longest prefix with few enough is searched instead. Compatibility forms
(full-width letters, ligatures, superscripts) are not expanded, so an article spelling a word
only that way can be missed by the prefilter.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from monitor.rules.prefilter import Language, all_of, superset
from monitor.rules.rule import Rule
from monitor.rules.syntax import Term
from monitor.rules.tokens import CJK_CHAR, strip_marks

_MAX_SPELLINGS = 64
# Hebrew points and Arabic vowel signs may sit on any letter, and FTS keeps them: unsayable.
_POINTED_SCRIPT = re.compile("[\u0590-\u06ff]")


def _non_latin_spellings() -> dict[str, tuple[str, ...]]:
    """Normal-form letter -> accented letters that FTS keeps apart from it (е -> ё, ѐ)."""
    table: dict[str, set[str]] = {}
    for cp in range(0x370, 0x2000):
        char = chr(cp)
        if not char.isalpha() or unicodedata.name(char, "").startswith("LATIN"):
            continue
        folded = char.casefold()
        base = strip_marks(unicodedata.normalize("NFD", folded))
        canonical = unicodedata.normalize("NFD", folded) != folded  # not ᵃ, not ﬁ
        if canonical and len(base) == 1 and base != folded:
            table.setdefault(base, set()).add(folded)
    return {base: tuple(sorted(forms)) for base, forms in table.items()}


_SPELLINGS = _non_latin_spellings()


def fts_query(rule: Rule) -> str | None:
    """An FTS5 MATCH expression selecting a superset of the rule's matches; None if none is safe.

    Scopes, NEAR, `mentions` and the tags/feeds restrictions are left to the matcher, which
    decides on each candidate.
    """
    return superset(rule.tree, FTS5)


def _paren(expression: str) -> str:
    return f"({expression})" if " OR " in expression or " AND " in expression else expression


def _any_of(parts: list[str]) -> str:
    return " OR ".join(_paren(p) for p in parts)


def _all_of(parts: list[str]) -> str:
    return " AND ".join(_paren(p) for p in parts)


def _term(term: Term) -> str | None:
    """Adjacent plain words stay a phrase; other words are AND-ed in, wildcards as prefixes.

    The index has no author column: a term that may hit only there is left to the matcher."""
    if "author" in term.fields:
        return None
    pieces: list[str] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            pieces.append(_quoted(" ".join(run)))
            run.clear()

    for word in term.words:
        text = word.prefix if word.wildcard else word.key
        spellings, complete = _spellings(strip_marks(text) if term.case_sensitive else text)
        if len(spellings) == 1 and complete and not word.wildcard:
            run.append(spellings[0])
            continue
        close_run()
        if spellings:
            star = "" if complete and not word.wildcard else "*"
            pieces.append(" OR ".join(f"{_quoted(s)}{star}" for s in spellings))
    close_run()
    return all_of(list(pieces), FTS5)


def _spellings(text: str) -> tuple[list[str], bool]:
    """The spellings FTS may hold for a normal-form word, and whether they are whole words.

    When there would be too many, the longest prefix with few enough spellings is used instead.
    """
    if not text or CJK_CHAR.search(text) or _POINTED_SCRIPT.search(text):
        return [], False
    units: list[tuple[str, ...]] = []
    count, i = 1, 0
    while i < len(text):
        pair = text.startswith("ss", i)
        options = ("ss", "ß") if pair else (text[i], *_SPELLINGS.get(text[i], ()))
        if count * len(options) > _MAX_SPELLINGS:
            return ["".join(p) for p in itertools.product(*units)] if units else [], False
        units.append(options)
        count *= len(options)
        i += 2 if pair else 1
    return ["".join(p) for p in itertools.product(*units)], True


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


FTS5 = Language(term=_term, all_of=_all_of, any_of=_any_of)
