"""Reading an XML answer of a source type that is not a feed (a sitemap, Google News RSS)
safely: the gzip cap and DOCTYPE stripping feeds get, then lxml without entity resolution,
network access or huge trees; an HTML page where XML was expected is said to be one."""

from __future__ import annotations

from typing import Any

from lxml import etree

from monitor.errors import ParseError
from monitor.sources.feed.raw import decompress, strip_declarations

# Sitemaps compress well beyond the 16x that feed/raw allows by default (seen: 40x).
DEFAULT_MAX_BYTES = 10_000_000


def xml_root(body: bytes, content_type: str | None, *, max_bytes: int | None, expected: str) -> Any:
    """The document's root element; raise ParseError naming ``expected`` when there is none."""
    data = strip_declarations(decompress(body, max_bytes=max_bytes or DEFAULT_MAX_BYTES))
    if not data.strip():
        raise ParseError(f"empty body where {expected} was expected")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        head = data.lstrip()[:300].lower()
        if b"<html" in head or b"<!doctype html" in head or "html" in (content_type or ""):
            raise ParseError(f"expected {expected}, got an HTML page") from None
        raise ParseError(f"not readable as {expected}: {exc}") from None
    if not isinstance(root.tag, str):
        raise ParseError(f"expected {expected}, got no XML element")
    if etree.QName(root).localname.lower() == "html":
        raise ParseError(f"expected {expected}, got an HTML page")
    return root
