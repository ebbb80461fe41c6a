"""A rule as a PostgreSQL tsquery that finds at least every article the rule matches, and an
article as the tsvector that tsquery searches: both sides of the contract in one place.

Both are written as literals that PostgreSQL reads without its text-search parser, so the index
holds exactly the matcher's words: each word of the title, the text and the author, segmented
and folded by the matcher's own FieldView (apostrophes, hyphens and underscores split, each Han
or kana character a word, case, accents and compatibility forms folded), at its position.
Nothing depends on the server's locale or dictionaries, and every lexeme is quoted, so no rule
text can make the query unreadable. Phrases are ``<->`` (``<N>`` over a lone ``*``), wildcards
``:*`` prefixes; NEAR is both sides AND-ed.

What a tsvector cannot hold is marked rather than lost:
- PostgreSQL keeps at most 256 positions of a lexeme and none past 16,383: an article with more
  also holds the lexeme POSITIONS_LOST, and there a phrase holds when its words are all present;
- at most 1 MB of distinct lexemes: a larger article is the lexeme UNSEARCHABLE alone, which
  every query also finds;
- a lexeme is at most 2,047 bytes: words are cut to MAX_LEXEME characters on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from monitor.rules.prefilter import Language, superset
from monitor.rules.rule import Rule
from monitor.rules.syntax import Term, Word
from monitor.rules.view import FieldView

MAX_LEXEME = 500  # characters: 2,000 bytes of UTF-8 at most
MAX_POSITION = 16_383
MAX_POSITIONS = 256  # per lexeme
MAX_LEXEME_BYTES = 1_000_000  # PostgreSQL refuses a tsvector past 1 MiB of lexemes
# Neither can be a word (words are letters, digits and marks), so no query word finds them.
POSITIONS_LOST = "~positions lost"
UNSEARCHABLE = "~unsearchable"


def rule_tsquery(rule: Rule) -> str | None:
    """A tsquery selecting a superset of the rule's matches; None if none is safe.

    Scopes, `mentions` and the tags/feeds restrictions are left to the matcher.
    """
    found = superset(rule.tree, TSQUERY)
    return None if found is None else f"{_grouped(found)} | {_quoted(UNSEARCHABLE)}"


def tsvector(*fields: str | None) -> str:
    """The tsvector literal of an article's text fields (title, text, author), in that order;
    positions run on from one field to the next."""
    words = [w for text in fields if text for w in FieldView(text).normal]
    numbers = list(map(str, range(1, len(words) + 1)))  # written once, not once per lexeme
    positions: dict[str, list[str]] = {}
    for word, at in zip(words, numbers, strict=True):
        found = positions.get(word)
        if found is None:
            positions[word] = [at]
        else:
            found.append(at)
    positions = _cut_long_words(positions)
    if sum(len(w.encode()) for w in positions) > MAX_LEXEME_BYTES:
        return _quoted(UNSEARCHABLE)
    if len(words) > MAX_POSITION or any(len(p) > MAX_POSITIONS for p in positions.values()):
        return " ".join([*(_entry(w, _kept(p)) for w, p in positions.items()), _LOST])
    return " ".join(_entry(w, p) for w, p in positions.items())


def _cut_long_words(positions: dict[str, list[str]]) -> dict[str, list[str]]:
    """Words longer than a lexeme may be, cut to MAX_LEXEME characters (rare: URLs, blobs)."""
    long = [w for w in positions if len(w) > MAX_LEXEME]
    for word in long:
        cut = positions.setdefault(word[:MAX_LEXEME], [])
        cut[:] = sorted(cut + positions.pop(word), key=int)
    return positions


def _kept(positions: list[str]) -> list[str]:
    """The positions PostgreSQL can hold: the first 256, none past 16,383."""
    return [p for p in positions[:MAX_POSITIONS] if int(p) <= MAX_POSITION]


def _entry(word: str, positions: list[str]) -> str:
    # A lexeme may have no position left: AND and prefixes still find it, phrases do not.
    return f"{_quoted(word)}:{','.join(positions)}" if positions else _quoted(word)


def _term(term: Term) -> str | None:
    """The term's words as a phrase, each word a lexeme or a prefix; words a lexeme cannot
    stand for (a lone ``*``) leave a gap the distance operator spans."""
    kept = [(i, operand) for i, w in enumerate(term.words) if (operand := _word(w, term))]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0][1]
    phrase = kept[0][1]
    for (before, _), (i, operand) in zip(kept, kept[1:], strict=False):
        gap = i - before
        phrase += f" {'<->' if gap == 1 else f'<{gap}>'} {operand}"
    present = " & ".join([operand for _, operand in kept] + [_LOST])
    return f"{phrase} | ( {present} )"


def _word(word: Word, term: Term) -> str | None:
    """A query word as a lexeme in the index's (normal) form, or a prefix for a wildcard."""
    if not word.wildcard:
        return _quoted(word.folded[:MAX_LEXEME])
    prefix = re.split(r"[*?]", word.folded, maxsplit=1)[0][:MAX_LEXEME]
    if not prefix:
        return None  # a leading wildcard: any word may match
    if term.case_sensitive and unicodedata.combining(prefix[-1]):
        # Folding the exact prefix may reorder its last marks with those of the word that
        # continues it, so it need not begin the folded word: leave this word to the matcher.
        return None
    return f"{_quoted(prefix)}:*"


def _quoted(lexeme: str) -> str:
    """A lexeme as tsquery and tsvector literals quote it: '' for ', a backslash escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


_LOST = _quoted(POSITIONS_LOST)
_OPERAND = re.compile(r"'(?:[^']|'')*'(?::\*)?")


def _grouped(expression: str) -> str:
    """An operand as it is, anything else in parentheses."""
    return expression if _OPERAND.fullmatch(expression) else f"( {expression} )"


def _joined(operator: str, parts: Iterable[str]) -> str:
    return f" {operator} ".join(_grouped(p) for p in parts)


TSQUERY = Language(
    term=_term,
    all_of=lambda parts: _joined("&", parts),
    any_of=lambda parts: _joined("|", parts),
)
