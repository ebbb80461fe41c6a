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

from monitor.rules.rule import Rule
from monitor.rules.syntax import And, Near, Node, Or, Term
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
    return _expression(rule.tree)


def _expression(node: Node) -> str | None:
    match node:
        case Term():
            return _term(node)
        case And():
            return _all_of([_expression(c) for c in node.children])
        case Near():
            return _all_of([_expression(node.left), _expression(node.right)])
        case Or():
            parts = [_expression(c) for c in node.children]
            if any(p is None for p in parts):
                return None
            return " OR ".join(_paren(p) for p in parts if p is not None)
    return None  # NOT and feed/tag/site/lang cannot narrow an FTS search safely


def _all_of(parts: list[str | None]) -> str | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else " AND ".join(_paren(p) for p in kept)


def _paren(expression: str) -> str:
    return f"({expression})" if " OR " in expression or " AND " in expression else expression


def _term(term: Term) -> str | None:
    """Adjacent plain words stay a phrase; other words are AND-ed in, wildcards as prefixes."""
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
    return _all_of(list(pieces))


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
