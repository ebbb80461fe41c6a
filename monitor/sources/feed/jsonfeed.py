"""JSON Feed 1.0 / 1.1 (jsonfeed.org) -> ``ParsedFeed``; feedparser does not read JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.errors import ParseError
from monitor.sources.dates import parse_date
from monitor.sources.entries import (
    Entry,
    ParsedFeed,
    absolute_link,
    language_tag,
    optional_text,
    text_value,
    title_value,
)

JSON_FEED_MARK = "jsonfeed.org/version/"


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    """A body that starts like a JSON object, or is labelled as one."""
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse_json_feed(body: bytes, *, url: str, max_entries: int) -> ParsedFeed:
    """Read a JSON Feed; ParseError for any other JSON (or none)."""
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(document, dict) or JSON_FEED_MARK not in str(document.get("version", "")):
        raise ParseError("not a feed: JSON without a jsonfeed.org version")
    language = language_tag(_string(document.get("language")))
    items = document.get("items")
    items = items if isinstance(items, list) else []
    return ParsedFeed(
        title=title_value(_string(document.get("title")), "text/plain"),
        link=absolute_link(_string(document.get("home_page_url")), url),
        language=language,
        ttl=None,
        entries=tuple(
            _entry(item, url, language) for item in items[:max_entries] if isinstance(item, dict)
        ),
        warning=None,
        parser="jsonfeed",
    )


def _entry(item: dict[str, Any], url: str, feed_language: str | None) -> Entry:
    html = _string(item.get("content_html"))
    content = (
        text_value(html, "text/html")
        if html
        else text_value(_string(item.get("content_text")), "text/plain")
    )
    summary = text_value(_string(item.get("summary")), "text/plain") or content
    return Entry(
        guid=optional_text(_string(item.get("id"))),
        link=absolute_link(_string(item.get("url")) or _string(item.get("external_url")), url),
        title=title_value(_string(item.get("title")), "text/plain"),
        summary=summary,
        content=content,
        author=optional_text(_author(item)),
        published=_date(item.get("date_published")) or _date(item.get("date_modified")),
        language=language_tag(_string(item.get("language"))) or feed_language,
    )


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list) and authors:
        names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
        return ", ".join(name for name in names if name) or None
    author = item.get("author")
    return _string(author.get("name")) if isinstance(author, dict) else None


def _date(value: Any) -> datetime | None:
    """RFC 3339 as JSON Feed requires, or whatever else the one date reader reads."""
    return parse_date(_string(value))


def _string(value: Any) -> str | None:
    # JSON Feed ids may be numbers in the wild; other shapes are ignored.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
