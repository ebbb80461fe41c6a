"""The records the parse stage yields, and the rules that turn raw feed values into them.

Both parsers (the lxml fast path and feedparser) hand their raw values to the same functions
here, so an entry comes out the same whichever parser read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from monitor.extract.text import collapse_whitespace, html_to_text, plain_text

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_LINK_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One item of a feed, as plain text."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published: datetime | None
    language: str | None
    source_name: str | None = None  # the publisher, when a search source names it (Google News)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """A feed document: its own fields and its entries, and which parser produced them."""

    title: str
    link: str | None
    language: str | None
    ttl: int | None
    entries: tuple[Entry, ...]
    warning: str | None
    parser: str
    follow: tuple[str, ...] = ()  # documents to read next (a sitemap index's sitemaps)


def text_value(raw: str | None, content_type: str | None) -> str:
    """Plain text of a feed text construct: HTML is rendered, plain text only tidied."""
    if not raw:
        return ""
    if (content_type or "").lower() in HTML_TYPES:
        return html_to_text(raw)
    return plain_text(raw)


def title_value(raw: str | None, content_type: str | None) -> str:
    """A title is one line of plain text."""
    return collapse_whitespace(text_value(raw, content_type))


def person_value(raw: str | None) -> str | None:
    """An author as one line of plain text. Feeds escape names as they escape titles
    (`<![CDATA[Tom &amp; Jerry]]>`), so the name is read as HTML, as a title is; kept as
    given, the page would escape the `&amp;` once more."""
    return (
        optional_text(html_to_text(raw))
        if raw and ("&" in raw or "<" in raw)
        else optional_text(raw)
    )


def absolute_link(raw: str | None, base: str) -> str | None:
    """An http(s) URL resolved against the feed URL, or None (javascript:, urn:, mailto: ...)."""
    if not raw or not raw.strip():
        return None
    try:
        link = urljoin(base, raw.strip())
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in _LINK_SCHEMES else None


def optional_text(raw: str | None) -> str | None:
    """A one-line value, or None where the feed gave nothing."""
    value = collapse_whitespace(raw or "")
    return value or None


def ttl_minutes(raw: str | None) -> int | None:
    """RSS <ttl>, in minutes, when it is a sensible whole number."""
    try:
        value = int((raw or "").strip())
    except ValueError:
        return None
    return value if 0 < value <= 60 * 24 * 365 else None


def language_tag(raw: str | None) -> str | None:
    """A language tag as feeds write it, with '_' turned into '-'."""
    value = (raw or "").strip().replace("_", "-")
    return value or None
