"""The reference path: feedparser reads the bytes, its result becomes a ``ParsedFeed``.

feedparser is the most forgiving parser of broken feeds, so it reads whatever the fast path
declines. It is never given a URL (it would fetch without timeout or size cap).
"""

from __future__ import annotations

from typing import Any

import feedparser
from feedparser.exceptions import NonXMLContentType

from monitor.errors import ParseError
from monitor.sources.dates import parse_date
from monitor.sources.entries import (
    Entry,
    ParsedFeed,
    absolute_link,
    language_tag,
    optional_text,
    person_value,
    text_value,
    title_value,
    ttl_minutes,
)

WARNING_LENGTH = 200


def parse_with_feedparser(
    body: bytes, *, url: str, content_type: str | None, max_entries: int
) -> ParsedFeed:
    """Parse with feedparser; ParseError when nothing feed-like came out."""
    # Headers without a content type would mark every feed bozo (NonXMLContentType).
    headers = {"content-type": content_type} if content_type else None
    # Text is all we keep, so sanitising and rewriting links inside HTML is wasted work.
    try:
        result = feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except (KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:
        # feedparser's own bugs on malformed input (a close tag it never saw open: KeyError)
        raise ParseError(f"feedparser failed: {type(exc).__name__}: {exc}") from exc
    feed = result.get("feed", {})
    entries = result.get("entries", [])
    if not result.get("version") and not entries and not feed.get("title"):
        raise ParseError(f"not a feed: {_warning(result) or 'no feed elements found'}")
    language = language_tag(feed.get("language"))
    return ParsedFeed(
        title=title_value(feed.get("title"), _type_of(feed, "title")),
        link=absolute_link(feed.get("link"), url),
        language=language,
        ttl=ttl_minutes(feed.get("ttl")),
        entries=tuple(_entry(raw, url, language) for raw in entries[:max_entries]),
        warning=_warning(result),
        parser="feedparser",
    )


def _entry(raw: dict[str, Any], url: str, feed_language: str | None) -> Entry:
    return Entry(
        guid=optional_text(raw.get("id")),
        link=absolute_link(raw.get("link"), url),
        title=title_value(raw.get("title"), _type_of(raw, "title")),
        summary=text_value(raw.get("summary"), _summary_type(raw)),
        content=_fullest_content(raw.get("content") or []),
        author=person_value(raw.get("author")),
        # Plain dict lookups: FeedParserDict maps a missing key to another, with a warning.
        published=parse_date(dict.get(raw, "published")) or parse_date(dict.get(raw, "updated")),
        language=_entry_language(raw) or feed_language,
    )


def _type_of(container: dict[str, Any], field: str) -> str | None:
    detail = container.get(f"{field}_detail") or {}
    return detail.get("type")


def _summary_type(raw: dict[str, Any]) -> str | None:
    """feedparser copies a content into a missing summary without saying what type it is."""
    if "summary_detail" in raw:
        return _type_of(raw, "summary")
    copied = [part for part in raw.get("content") or [] if part.get("value") == raw.get("summary")]
    return copied[0].get("type") if copied else "text/html"


def _fullest_content(contents: list[dict[str, Any]]) -> str:
    texts = [text_value(part.get("value"), part.get("type")) for part in contents]
    return max(texts, key=len, default="")


def _entry_language(raw: dict[str, Any]) -> str | None:
    for field in ("title_detail", "summary_detail"):
        language = language_tag((raw.get(field) or {}).get("language"))
        if language:
            return language
    return None


def _warning(result: dict[str, Any]) -> str | None:
    """One line naming what was malformed; a missing or odd content type is not malformed."""
    if not result.get("bozo"):
        return None
    problem = result.get("bozo_exception")
    if problem is None or isinstance(problem, NonXMLContentType):
        return None
    line = " ".join(f"{type(problem).__name__}: {problem}".split())
    return line[:WARNING_LENGTH]
