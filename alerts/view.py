"""Display-ready pieces of a digest shared by the templates and the chat payloads."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.safetext import squash


def format_time(value: datetime, zone: str = "UTC") -> str:
    """A time as people read it, in the digest's timezone and written as the web page writes
    it, so both say the same: `2026-11-28 08:00 UTC`, `2026-11-28 13:00 +05`."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def highlight_segments(
    snippet: str, highlights: tuple[tuple[int, int], ...]
) -> tuple[tuple[str, bool], ...]:
    """The snippet as (text, highlighted) pieces on one line; bad or overlapping spans merge."""
    spans = _merged_spans(len(snippet), highlights)
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in spans:
        pieces += [(snippet[cursor:start], False), (snippet[start:end], True)]
        cursor = end
    pieces.append((snippet[cursor:], False))
    return _tidy_pieces(pieces)


def _merged_spans(length: int, highlights: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    clamped = sorted(
        (max(0, start), min(length, end)) for start, end in highlights if min(length, end) > start
    )
    merged: list[tuple[int, int]] = []
    for start, end in clamped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _tidy_pieces(pieces: list[tuple[str, bool]]) -> tuple[tuple[str, bool], ...]:
    tidy: list[tuple[str, bool]] = []
    for text, hit in pieces:
        squashed = squash(text)
        # Pieces are contiguous cuts, so a space run split between two must not double.
        if tidy and tidy[-1][0].endswith(" "):
            squashed = squashed.lstrip(" ")
        if squashed:
            tidy.append((squashed, hit))
    if tidy:
        tidy[0] = (tidy[0][0].lstrip(), tidy[0][1])
        tidy[-1] = (tidy[-1][0].rstrip(), tidy[-1][1])
    return tuple(piece for piece in tidy if piece[0])
