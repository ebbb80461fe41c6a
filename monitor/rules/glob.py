"""Wildcard matching (``*`` any run of characters, ``?`` exactly one) in time bounded by
the word's length times the pattern's, whatever the pattern.

A backtracking regular expression takes exponential time on ``a*a*a*…b`` against a run of
``a``; here the pattern is cut at its stars into fixed-length pieces, and each middle piece
is taken at its leftmost place after the one before it. Leftmost is always safe: a piece
found earlier leaves more room for the rest, so no choice is ever revisited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of the pattern between stars: letters and ``?``, so of fixed length."""

    text: str
    search: re.Pattern[str] | None  # only when it holds a `?`; no repetition, so no backtracking

    def at(self, word: str, start: int) -> bool:
        if self.search is None:
            return word.startswith(self.text, start)
        return self.search.match(word, start) is not None

    def find(self, word: str, start: int, end: int) -> int:
        if self.search is None:
            return word.find(self.text, start, end)
        found = self.search.search(word, start, end)
        return -1 if found is None else found.start()


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled wildcard pattern; ``matches`` is a full match of one word."""

    head: _Piece  # before the first star (the whole pattern when there is none)
    middle: tuple[_Piece, ...]
    tail: _Piece | None  # after the last star; None when there is no star at all

    def matches(self, word: str) -> bool:
        head, tail = self.head, self.tail
        if tail is None:
            return len(word) == len(head.text) and head.at(word, 0)
        end = len(word) - len(tail.text)
        if end < len(head.text) or not head.at(word, 0) or not tail.at(word, end):
            return False
        at = len(head.text)
        for piece in self.middle:
            found = piece.find(word, at, end)
            if found < 0:
                return False
            at = found + len(piece.text)
        return True


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> Glob:
    pieces = [_piece(text) for text in pattern.split("*")]
    if len(pieces) == 1:
        return Glob(head=pieces[0], middle=(), tail=None)
    middle = tuple(p for p in pieces[1:-1] if p.text)  # `**` is `*`
    return Glob(head=pieces[0], middle=middle, tail=pieces[-1])


def _piece(text: str) -> _Piece:
    if "?" not in text:
        return _Piece(text, None)
    body = "".join("." if c == "?" else re.escape(c) for c in text)
    return _Piece(text, re.compile(body, re.DOTALL))
