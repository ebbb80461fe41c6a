"""Lines a feed repeats across its items (a footer, a sign-up line, a copyright notice): the
outlet's furniture, not the story, so they never count towards two items being one story."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

# A line in this many of a feed's items is the feed's, not any one story's.
MIN_REPEATS = 2
# Furniture sits at the top or the bottom of an item: only that many lines at each end are
# looked at, so that a long article costs no more than a teaser.
EDGE_LINES = 3


def repeated_lines(texts: Iterable[str]) -> frozenset[str]:
    """The lines (normalised) found at the ends of at least MIN_REPEATS of ``texts``, one
    text per item."""
    counts: Counter[str] = Counter()
    for text in texts:
        lines = text.splitlines()
        if len(lines) > 2 * EDGE_LINES:
            lines = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        counts.update({line for line in map(_normal, lines) if line})
    return frozenset(line for line, n in counts.items() if n >= MIN_REPEATS)


def without_lines(text: str, lines: frozenset[str]) -> str:
    """``text`` without the given lines (as ``repeated_lines`` returns them)."""
    if not lines or not text:
        return text
    return "\n".join(line for line in text.splitlines() if _normal(line) not in lines)


def _normal(line: str) -> str:
    # feed text is already whitespace-collapsed (extract.text): no need to split it again
    return line.strip().casefold()
