"""The source types (DESIGN §12), registered by the ``type`` string the config uses.

Each type turns the bytes it fetched into the same ``ParsedFeed``/``Entry`` records, so that
dedupe, full text, rules and digests never know where an entry came from. Adding a type is a
module and a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.errors import ParseError
from monitor.sources import gdelt
from monitor.sources.entries import ParsedFeed
from monitor.sources.feed.parse import parse_feed
from monitor.sources.fetch import FEED_ACCEPT
from monitor.sources.google_news import parse_google_news
from monitor.sources.page import parse_page
from monitor.sources.sitemap import parse_sitemap
from monitor.sources.telegram import parse_telegram

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
XML_ACCEPT = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, */*;q=0.5"


def _same_url(url: str, *, last_polled: datetime | None, now: datetime) -> str:
    return url


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceType:
    """How one type of source is fetched and read."""

    # (body, *, url, content_type, settings, max_bytes) -> ParsedFeed; raises ParseError
    parse: Callable[..., ParsedFeed]
    accept: str = FEED_ACCEPT
    # the URL of this poll: a query source adds what depends on the time (GDELT's timespan)
    request_url: Callable[..., str] = _same_url
    min_interval: float = 0.0  # seconds between two requests to its host (API etiquette)
    # whether a document may be an index of others (a sitemap index), which is read whole at
    # every poll since what changes is what it lists
    may_be_index: bool = False


def _feed(
    body: bytes, *, url: str, content_type: str | None, settings: Any, max_bytes: int | None
) -> ParsedFeed:
    return parse_feed(body, url=url, content_type=content_type, max_bytes=max_bytes)


SOURCE_TYPES: dict[str, SourceType] = {
    "feed": SourceType(parse=_feed),
    "sitemap": SourceType(parse=parse_sitemap, accept=XML_ACCEPT, may_be_index=True),
    "page": SourceType(parse=parse_page, accept=HTML_ACCEPT),
    "telegram": SourceType(parse=parse_telegram, accept=HTML_ACCEPT),
    "google_news": SourceType(parse=parse_google_news),
    "gdelt": SourceType(
        parse=gdelt.parse_gdelt,
        accept="application/json",
        request_url=gdelt.request_url,
        min_interval=gdelt.MIN_INTERVAL_S,
    ),
}


def source_type(kind: str) -> SourceType:
    try:
        return SOURCE_TYPES[kind]
    except KeyError:
        raise ParseError(f"unknown source type {kind!r}") from None


def parse_source(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    kind: str = "feed",
    settings: Any = None,
    **options: Any,
) -> ParsedFeed:
    """Read what a source of type ``kind`` answered; ``options`` go to the feed parser."""
    if kind == "feed":
        return parse_feed(body, url=url, content_type=content_type, **options)
    return source_type(kind).parse(
        body,
        url=url,
        content_type=content_type,
        settings=settings,
        max_bytes=options.get("max_bytes"),
    )
