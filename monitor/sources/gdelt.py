"""GDELT DOC 2.0 (mode=artlist, format=json) -> entries.

The query URL is built at load (``query``, ``mode``, ``format``, ``maxrecords``, ``sort``); each
poll adds a ``timespan`` covering the time since the last one. GDELT asks for at most one
request every 5 seconds, and answers some errors with status 200 and an HTML or text page
instead of JSON: that is an error to record, not an empty result.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

from monitor.errors import ParseError
from monitor.extract.text import collapse_whitespace, html_to_text
from monitor.sources.dates import parse_date
from monitor.sources.entries import Entry, ParsedFeed, absolute_link

MIN_INTERVAL_S = 5.0  # GDELT's etiquette: one request per 5 s per client
FIRST_TIMESPAN = timedelta(days=1)  # the first poll (a backlog, never alerted)
MIN_TIMESPAN_MIN = 15  # GDELT's own update cycle
MAX_TIMESPAN_MIN = 7 * 24 * 60
MARGIN = timedelta(minutes=5)  # overlap, so nothing seen between two polls falls in a gap

# GDELT names languages in English; entries carry tags.
_LANGUAGES = {
    "english": "en", "russian": "ru", "arabic": "ar", "chinese": "zh", "french": "fr",
    "german": "de", "spanish": "es", "turkish": "tr", "persian": "fa", "ukrainian": "uk",
    "kazakh": "kk", "uzbek": "uz", "tajik": "tg", "kyrgyz": "ky", "turkmen": "tk",
    "azerbaijani": "az", "armenian": "hy", "georgian": "ka", "italian": "it", "portuguese": "pt",
}  # fmt: skip


def request_url(url: str, *, last_polled: datetime | None, now: datetime) -> str:
    """The query URL with a ``timespan`` (in minutes) reaching back to the last poll."""
    span = FIRST_TIMESPAN if last_polled is None else now - last_polled + MARGIN
    minutes = min(max(math.ceil(span.total_seconds() / 60), MIN_TIMESPAN_MIN), MAX_TIMESPAN_MIN)
    return f"{url}{'&' if '?' in url else '?'}timespan={minutes}min"


def parse_gdelt(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    settings: Any = None,
    max_bytes: int | None = None,
) -> ParsedFeed:
    data = _document(body)
    articles = data.get("articles", [])
    if not isinstance(articles, list):
        raise ParseError("GDELT answer has no article list ('articles' is not a list)")
    entries = tuple(e for e in (_entry(a) for a in articles if isinstance(a, dict)) if e)
    return ParsedFeed(
        title="GDELT",
        link=url,
        language=None,
        ttl=None,
        entries=entries,
        warning=None,
        parser="gdelt",
    )


def _document(body: bytes) -> dict:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return {}  # GDELT answers an empty body when nothing matched
    try:
        data = json.loads(text)
    except ValueError:
        kind = "an HTML page" if text[:1] == "<" else "text"
        said = collapse_whitespace(html_to_text(text) if kind != "text" else text)[:200]
        raise ParseError(f"GDELT answered with {kind}, not artlist JSON: {said}") from None
    if not isinstance(data, dict):
        raise ParseError("GDELT answer is JSON but not an object")
    return data


def _entry(article: dict) -> Entry | None:
    raw = _text(article.get("url"))
    link = absolute_link(raw, raw)  # only an absolute http(s) URL: there is no base to resolve
    if link is None:
        return None
    language = _text(article.get("language")).lower()
    return Entry(
        guid=link,
        link=link,
        title=collapse_whitespace(_text(article.get("title"))),
        summary="",
        content="",
        author=None,
        published=parse_date(_text(article.get("seendate"))),
        language=_LANGUAGES.get(language, language or None),
        source_name=_text(article.get("domain")) or None,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
