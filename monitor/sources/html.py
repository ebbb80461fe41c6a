"""Reading an HTML answer safely: bytes capped and decoded, parsed by selectolax (no scripts,
no network, no entities to expand), and the base its relative links resolve against."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from monitor.errors import ParseError
from monitor.sources.entries import absolute_link
from monitor.sources.feed.raw import decompress

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
DEFAULT_MAX_BYTES = 10_000_000


def html_tree(body: bytes, content_type: str | None, *, max_bytes: int | None) -> LexborHTMLParser:
    """The parsed page; raise ParseError on an empty body."""
    data = decompress(body, max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    if not data.strip():
        raise ParseError("empty body where an HTML page was expected")
    return LexborHTMLParser(data.decode(_charset(data, content_type), errors="replace"))


def base_url(tree: LexborHTMLParser, url: str) -> str:
    """What relative links resolve against: the page's <base href>, else its own URL."""
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    return absolute_link(href, url) or url


def node_text(node: object) -> str:
    """The visible text of an element, on one line."""
    text = node.text(deep=True, separator=" ") if node is not None else ""  # type: ignore[attr-defined]
    return " ".join((text or "").split())


def _charset(data: bytes, content_type: str | None) -> str:
    for found in (_HEADER_CHARSET.search(content_type or ""), _META_CHARSET.search(data[:4096])):
        if found:
            name = found.group(1)
            name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
            try:
                "".encode(name)
            except LookupError:
                continue
            return name
    return "utf-8"
