"""Machine-facing digest bodies: the JSON webhook payload and Slack/Discord webhook messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from alerts.notices import feed_sentence, health_summary, spike_sentence
from alerts.records import Digest, DigestEntry, FeedNote, RuleSection, SpikeAlert, utc
from alerts.safetext import is_web_url, one_line, shorten
from alerts.view import format_time, highlight_segments

# Slack: 50 blocks per message, 3000 characters per section text, 150 per header.
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150
# Discord: 2000 characters of content, 10 embeds, 256 per title, 4096 per description,
# 6000 for all embeds together.
DISCORD_CONTENT_CHARS = 2000
DISCORD_MAX_EMBEDS = 10
DISCORD_TITLE_CHARS = 256
DISCORD_DESCRIPTION_CHARS = 4096
DISCORD_TOTAL_CHARS = 6000
_SNIPPET_CHARS = 300
_FIELD_CHARS = 250  # titles, names and rule names inside chat messages
_URL_CHARS = 1500  # a longer link is left out rather than cut into a broken one
_NOTE_ROOM = 60  # kept free for an "… and N more" line


def digest_payload(digest: Digest) -> dict[str, Any]:
    """The JSON webhook body: the digest's data, unaltered, with ISO 8601 UTC times.

    A source-health notice has a body of its own; `spikes` and `sources` appear only when a
    digest has them, so a receiver that knows only the plain digest sees what it always did.
    """
    if digest.is_health:
        return health_payload(digest)
    payload: dict[str, Any] = {
        "type": "digest",
        "id": digest.id,
        "digest": digest.name,
        "created_at": iso_time(digest.created_at),
        "rules": [
            {"name": section.rule, "articles": [_article(entry) for entry in section.entries]}
            for section in digest.sections
        ],
    }
    if digest.spikes:
        payload["spikes"] = [_spike_json(spike) for spike in digest.spikes]
    if digest.feeds:
        payload["sources"] = [_feed_json(note) for note in digest.feeds]
    return payload


def health_payload(digest: Digest) -> dict[str, Any]:
    """A source-health notice: `{"type": "health", "id", "digest", "created_at", "feeds"}`."""
    return {
        "type": "health",
        "id": digest.id,
        "digest": digest.name,
        "created_at": iso_time(digest.created_at),
        "feeds": [_feed_json(note) for note in digest.feeds],
    }


def _feed_json(note: FeedNote) -> dict[str, Any]:
    return {
        "name": note.name,
        "url": note.url,
        "state": note.state,
        "since": iso_time(note.since) if note.since else None,
        "error": note.error,
    }


def _spike_json(spike: SpikeAlert) -> dict[str, Any]:
    return {
        "rule": spike.rule,
        "window": spike.window,
        "count": spike.count,
        "usual": spike.usual,
        "started_at": iso_time(spike.started_at),
        "articles": [_article(entry) for entry in spike.entries],
    }


def _article(entry: DigestEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "url": entry.url,
        "source": entry.source,
        "language": entry.language or None,
        "published": iso_time(entry.published) if entry.published else None,
        "detected_at": iso_time(entry.detected_at) if entry.detected_at else None,
        "snippet": entry.snippet,
        "matched_terms": list(entry.matched_terms),
        "also_reported_by": list(entry.also_reported_by),
    }


def iso_time(value: datetime) -> str:
    """`2026-11-28T08:00:00Z`."""
    return utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


def headline(digest: Digest) -> str:
    """One line saying what the digest holds, for chat messages."""
    name = one_line(digest.name)
    if digest.is_health:
        return f"news-monitor {name}: {health_summary(digest)}"
    if digest.spikes and not digest.total:
        return f"news-monitor {name}: spike in {', '.join(one_line(s.rule) for s in digest.spikes)}"
    if not digest.total:
        return f"news-monitor {name}: nothing new"
    rules = ", ".join(one_line(rule) for rule in digest.rule_names)
    return f"news-monitor {name}: {digest.total} new for {rules}"


def slack_payload(digest: Digest) -> dict[str, Any]:
    """A Slack incoming-webhook message: a header, then one block per article, within limits."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(shorten(headline(digest), SLACK_HEADER_CHARS))}
    ]
    room = SLACK_MAX_BLOCKS - len(blocks) - 1  # one block kept for the "not shown" note
    left_out = 0
    for section in _shown_sections(digest):
        if room < 2:  # not even the rule's heading and one article
            left_out += section.total
            continue
        blocks.append(_mrkdwn(f"*{_slack_escape(_capped(section.rule))}* ({section.total})"))
        shown = [_mrkdwn(_slack_entry(entry)) for entry in section.entries[: room - 1]]
        blocks += shown
        room -= 1 + len(shown)
        hidden = section.more + len(section.entries) - len(shown)
        if hidden and room:
            blocks.append(_context(f"… and {hidden} more for {_capped(section.rule)}"))
            room -= 1
        else:
            left_out += hidden
    if left_out:
        blocks.append(_context(f"{left_out} more not shown here; see the full digest."))
    if notes := notice_lines(digest):
        blocks.insert(1, _mrkdwn(shorten(_slack_escape("\n".join(notes)), SLACK_SECTION_CHARS)))
        del blocks[SLACK_MAX_BLOCKS:]
    return {
        "text": shorten(headline(digest), SLACK_SECTION_CHARS),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _slack_entry(entry: DigestEntry) -> str:
    text = _chat_entry(
        entry,
        escape=_slack_escape,
        bold="*",
        link=lambda url, title: f"<{_slack_url(url)}|{title}>",
    )
    return shorten(text, SLACK_SECTION_CHARS)


def _chat_entry(
    entry: DigestEntry, *, escape: Callable[[str], str], bold: str, link: Callable[[str, str], str]
) -> str:
    """One entry in a chat service's markup: linked bold title, byline, snippet, other outlets."""
    title = escape(_capped(entry.title) or "(no title)")
    heading = link(entry.url, title) if _linkable(entry.url) else title
    lines = [f"{bold}{heading}{bold}", escape(_byline(entry))]
    snippet = _marked_snippet(entry, bold, escape)
    if snippet:
        lines.append(snippet)
    if entry.also_reported_by:
        lines.append(escape(f"Also reported by {_names(entry.also_reported_by)}"))
    return "\n".join(lines)


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions (<!channel>); these three escapes are all it needs.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str) -> str:
    return _slack_escape(url.replace("|", "%7C"))


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(text)}]}


def discord_payload(digest: Digest) -> dict[str, Any]:
    """A Discord webhook message: one embed per rule, within Discord's size limits, no pings."""
    embeds: list[dict[str, Any]] = []
    budget = DISCORD_TOTAL_CHARS
    left_out = 0
    for section in _shown_sections(digest):
        title = shorten(f"{one_line(section.rule)} ({section.total})", DISCORD_TITLE_CHARS)
        if len(embeds) == DISCORD_MAX_EMBEDS or budget < len(title) + 2 * _NOTE_ROOM:
            left_out += section.total
            continue
        description, shown = _discord_description(section, budget - len(title))
        if not shown:  # an embed that only says "and N more" is noise; the content says it
            left_out += section.total
            continue
        embeds.append({"title": title, "description": description})
        budget -= len(title) + len(description)
    content = _discord_escape(headline(digest))
    if notes := notice_lines(digest):
        content += "\n" + _discord_escape("\n".join(notes))
    if left_out:
        content += f"\n{left_out} more not shown here; see the full digest."
    return {
        "content": shorten(content, DISCORD_CONTENT_CHARS),
        "embeds": embeds,
        # Feed text could say @everyone; a digest never pings anybody.
        "allowed_mentions": {"parse": []},
    }


def _discord_description(section: RuleSection, budget: int) -> tuple[str, int]:
    limit = min(budget, DISCORD_DESCRIPTION_CHARS) - _NOTE_ROOM
    parts: list[str] = []
    used = 0
    for entry in section.entries:
        text = _discord_entry(entry)
        if used + len(text) > limit:
            break
        parts.append(text)
        used += len(text) + 2
    shown = len(parts)
    hidden = section.more + len(section.entries) - shown
    if hidden:
        parts.append(f"… and {hidden} more")
    return "\n\n".join(parts), shown


def _discord_entry(entry: DigestEntry) -> str:
    return _chat_entry(
        entry,
        escape=_discord_escape,
        bold="**",
        link=lambda url, title: f"[{title}]({_discord_url(url)})",
    )


_DISCORD_MARKUP = set("\\*_~`|>#[]()<@")


def _discord_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in _DISCORD_MARKUP else char for char in text)


def _discord_url(url: str) -> str:
    # Inside (...) a bare parenthesis or space would end the link early.
    return quote(url, safe=":/?#[]@!$&'*+,;=%~.-_")


def notice_lines(digest: Digest) -> list[str]:
    """Spike alerts and source-health lines in words, for messages that carry no HTML."""
    lines = [f"Spike: {spike_sentence(spike)}" for spike in digest.spikes]
    lines += [f"Source: {feed_sentence(note)}" for note in digest.feeds]
    return lines


def _shown_sections(digest: Digest) -> Iterator[RuleSection]:
    return (section for section in digest.sections if section.total)


def _byline(entry: DigestEntry) -> str:
    source = _capped(entry.source)
    return f"{source} · {format_time(entry.published)}" if entry.published else source


def _names(names: tuple[str, ...]) -> str:
    return shorten(", ".join(one_line(name) for name in names), _FIELD_CHARS)


def _capped(text: str) -> str:
    return shorten(one_line(text), _FIELD_CHARS)


def _linkable(url: str) -> bool:
    return len(url) <= _URL_CHARS and is_web_url(url)


def _marked_snippet(entry: DigestEntry, mark: str, escape: Callable[[str], str]) -> str:
    pieces = highlight_segments(shorten(entry.snippet, _SNIPPET_CHARS), entry.highlights)
    return "".join(f"{mark}{escape(text)}{mark}" if hit else escape(text) for text, hit in pieces)
