"""Source-health notices and spike alerts in words, shared by the text, HTML and chat forms."""

from __future__ import annotations

from alerts.records import Digest, FeedNote, SpikeAlert
from alerts.safetext import one_line, shorten
from alerts.view import format_time

_ERROR_CHARS = 200
_STATE_WORDS = {
    "failing": "failing",
    "silent": "silent (no new items)",
    "recovered": "recovered",
}


def health_summary(digest: Digest) -> str:
    """`2 sources failing, 1 recovered` for a subject or a chat headline."""
    counts: dict[str, int] = {}
    for note in digest.feeds:
        counts[note.state] = counts.get(note.state, 0) + 1
    parts = [f"{n} {state}" for state, n in counts.items()]
    if not parts:
        return "all sources healthy"
    noun = "source" if len(digest.feeds) == 1 else "sources"
    return f"{noun} {', '.join(parts)}"


def feed_sentence(note: FeedNote, zone: str = "UTC") -> str:
    """One line in words: `Central Asia desk (news.example.org) is failing since 2026-11-28
    08:00 UTC: HTTP 503`."""
    name = one_line(note.name)
    state = _STATE_WORDS[note.state]
    verb = "has" if note.state == "recovered" else "is"
    line = f"{name} {verb} {state}"
    if note.since:
        line += f" {'at' if note.state == 'recovered' else 'since'} {format_time(note.since, zone)}"
    if note.error and note.state == "failing":
        line += f": {shorten(one_line(note.error), _ERROR_CHARS)}"
    return line


def spike_sentence(spike: SpikeAlert, zone: str = "UTC") -> str:
    """`Rogun: 14 matches in 1h, usually 2 (since 2026-11-28 08:00 UTC)`."""
    usual = f"{spike.usual:g}"
    return (
        f"{one_line(spike.rule)}: {spike.count} matches in {spike.window}, usually {usual} "
        f"(since {format_time(spike.started_at, zone)})"
    )
