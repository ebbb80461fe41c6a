"""Rendering a digest for people: the mail subject, plain text and HTML (Jinja2 templates)."""

from __future__ import annotations

import textwrap
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, select_autoescape

from alerts.errors import RenderError
from alerts.notices import feed_sentence, health_summary, spike_sentence
from alerts.payloads import digest_payload, discord_payload, slack_payload
from alerts.records import Digest, DigestEntry, RuleSection
from alerts.safetext import is_web_url, one_line, shorten
from alerts.view import format_time, highlight_segments

__all__ = [
    "digest_payload",
    "discord_payload",
    "highlight_segments",
    "render_html",
    "render_text",
    "slack_payload",
    "subject",
]

SUBJECT_PREFIX = "[news-monitor]"
_SUBJECT_LIMIT = 200
_SUBJECT_RULES_LIMIT = 80
_TEXT_WIDTH = 76

_ENV = Environment(
    loader=PackageLoader("alerts", "templates"),
    # Feed text is untrusted: everything in an .html template is escaped unless marked safe.
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def subject(digest: Digest) -> str:
    """A one-line mail subject: `[news-monitor] daily: 7 new for SCO, Rogun`."""
    name = one_line(digest.name)
    if digest.is_health:
        return shorten(f"{SUBJECT_PREFIX} {name}: {health_summary(digest)}", _SUBJECT_LIMIT)
    spikes = ", ".join(one_line(spike.rule) for spike in digest.spikes)
    if not digest.total:
        if spikes:
            return shorten(f"{SUBJECT_PREFIX} {name}: spike in {spikes}", _SUBJECT_LIMIT)
        return f"{SUBJECT_PREFIX} {name}: nothing new"
    line = f"{SUBJECT_PREFIX} {name}: {digest.total} new for {_rule_list(digest.rule_names)}"
    if spikes:
        line += f" (spike in {spikes})"
    return shorten(one_line(line), _SUBJECT_LIMIT)


def _rule_list(names: tuple[str, ...]) -> str:
    shown: list[str] = []
    for name in (one_line(n) for n in names):
        if shown and len(", ".join([*shown, name])) > _SUBJECT_RULES_LIMIT:
            return f"{', '.join(shown)} and {len(names) - len(shown)} more"
        shown.append(name)
    return ", ".join(shown)


def render_text(digest: Digest) -> str:
    """The digest as plain text, for the text part of a mail, the console and files."""
    return _render("digest.txt", digest)


def render_html(digest: Digest) -> str:
    """The digest as a self-contained HTML page with inline styles, fit for mail clients."""
    return _render("digest.html", digest)


def _render(template: str, digest: Digest) -> str:
    try:
        return _ENV.get_template(template).render(_digest_view(digest))
    except TemplateError as exc:
        raise RenderError(f"template {template} failed for digest {digest.name!r}: {exc}") from exc


def _digest_view(digest: Digest) -> dict[str, Any]:
    zone = digest.timezone
    return {
        "subject": subject(digest),
        "name": one_line(digest.name),
        "created": format_time(digest.created_at, zone),
        "total": digest.total,
        "rules": ", ".join(one_line(n) for n in digest.rule_names),
        "sections": [_section_view(section, zone) for section in digest.sections if section.total],
        "health": digest.is_health,
        "health_summary": health_summary(digest),
        "spikes": [
            {
                "sentence": spike_sentence(spike, zone),
                "entries": [_entry_view(entry, zone) for entry in spike.entries],
            }
            for spike in digest.spikes
        ],
        "feeds": [feed_sentence(note, zone) for note in digest.feeds],
    }


def _section_view(section: RuleSection, zone: str) -> dict[str, Any]:
    return {
        "rule": one_line(section.rule),
        "total": section.total,
        "more": section.more,
        "entries": [_entry_view(entry, zone) for entry in section.entries],
    }


def _entry_view(entry: DigestEntry, zone: str) -> dict[str, Any]:
    segments = highlight_segments(entry.snippet, entry.highlights)
    snippet = "".join(text for text, _ in segments)
    return {
        "title": one_line(entry.title) or "(no title)",
        "href": entry.url if is_web_url(entry.url) else None,
        # the language beside the source: a reader of several sees which one to open
        "source": one_line(entry.source)
        + (f" [{one_line(entry.language)}]" if entry.language else ""),
        "published": format_time(entry.published, zone) if entry.published else None,
        "segments": segments,
        "snippet_text": textwrap.fill(
            snippet, _TEXT_WIDTH, initial_indent="  ", subsequent_indent="  "
        ),
        "matched_terms": ", ".join(one_line(t) for t in entry.matched_terms),
        "also_reported_by": ", ".join(one_line(s) for s in entry.also_reported_by),
    }
