"""Feed bytes -> ``ParsedFeed``: the lxml fast path where it agrees with feedparser,
feedparser wherever it declines, and a JSON Feed reader.

Every body is first made safe (gunzipped with a cap, DOCTYPE and entity declarations removed)
so that neither parser can be made to expand entities or read local files.
"""

from __future__ import annotations

from monitor.errors import ParseError
from monitor.sources.entries import Entry, ParsedFeed
from monitor.sources.feed.fast import parse_fast
from monitor.sources.feed.jsonfeed import looks_like_json, parse_json_feed
from monitor.sources.feed.raw import (
    decompress,
    strip_declarations,
    to_ascii_compatible,
    without_malformed_encoding,
)
from monitor.sources.feed.reference import parse_with_feedparser

__all__ = ["Entry", "ParsedFeed", "ParseError", "parse_feed", "prepare_body"]

DEFAULT_MAX_ENTRIES = 10_000


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_bytes: int | None = None,
    fast: bool = True,
) -> ParsedFeed:
    """Parse a feed document; raise ParseError when nothing feed-like came out.

    ``url`` is the feed's own address (relative links resolve against it); ``content_type``
    the response header, when there was one. ``fast=False`` forces feedparser.
    """
    data, content_type = prepare_body(body, content_type, max_bytes=max_bytes)
    if not data.strip():
        raise ParseError("empty body")
    if looks_like_json(data, content_type):
        return parse_json_feed(data, url=url, max_entries=max_entries)
    if fast:
        parsed = parse_fast(data, url=url, content_type=content_type, max_entries=max_entries)
        if parsed is not None:
            return parsed
    return parse_with_feedparser(data, url=url, content_type=content_type, max_entries=max_entries)


def prepare_body(
    body: bytes, content_type: str | None, *, max_bytes: int | None = None
) -> tuple[bytes, str | None]:
    """The bytes both parsers may safely see, and the content type that now describes them."""
    data = without_malformed_encoding(decompress(body, max_bytes=max_bytes))
    data, content_type = to_ascii_compatible(data, content_type)
    return strip_declarations(data), content_type
