"""Google News search RSS -> entries: each item's title without its `` - Publisher`` tail, the
publisher (from ``<source>``) as the entry's source name, and the wrapped
``news.google.com/rss/articles/…`` link as it came (``google_links`` decodes the ones that
matched a rule).

Read with the same safe lxml parser as sitemaps: no entities, no network, no huge trees.
"""

from __future__ import annotations

from typing import Any

from monitor.errors import ParseError
from monitor.extract.text import collapse_whitespace
from monitor.sources.dates import parse_date
from monitor.sources.entries import Entry, ParsedFeed, absolute_link, optional_text
from monitor.sources.xmldoc import xml_root

MAX_ITEMS = 500


def parse_google_news(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    settings: Any = None,
    max_bytes: int | None = None,
) -> ParsedFeed:
    channel = _channel(body, content_type, max_bytes)
    items = channel.findall("item")[:MAX_ITEMS]
    entries = tuple(e for e in (_entry(item, url) for item in items) if e is not None)
    return ParsedFeed(
        title=collapse_whitespace(channel.findtext("title") or "") or "Google News",
        link=url,
        language=optional_text(channel.findtext("language")),
        ttl=None,
        entries=entries,
        warning=None,
        parser="google_news",
    )


def without_publisher(title: str, publisher: str | None) -> str:
    """The headline without the `` - Publisher`` Google appends (only that exact tail: a
    headline may hold a dash of its own)."""
    title = collapse_whitespace(title)
    if publisher:
        tail = f" - {collapse_whitespace(publisher)}"
        if title.endswith(tail) and len(title) > len(tail):
            return title[: -len(tail)].rstrip()
    return title


def _channel(body: bytes, content_type: str | None, max_bytes: int | None) -> Any:
    root = xml_root(body, content_type, max_bytes=max_bytes, expected="Google News RSS")
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise ParseError(f"expected Google News RSS, got <{root.tag}>")
    return channel


def _entry(item: Any, base: str) -> Entry | None:
    link = absolute_link(item.findtext("link"), base)
    source = item.find("source")
    publisher = optional_text(source.text) if source is not None else None
    title = without_publisher(item.findtext("title") or "", publisher)
    if link is None and not title:
        return None
    return Entry(
        guid=optional_text(item.findtext("guid")),
        link=link,
        title=title,
        summary="",  # Google's description repeats the title and the publisher
        content="",
        author=None,
        published=parse_date(item.findtext("pubDate")),
        language=None,
        source_name=publisher,
    )
