"""News sitemaps -> entries: ``<urlset>`` with Google News fields, or a ``<sitemapindex>``
whose sitemaps the pipeline reads next (``ParsedFeed.follow``).

lxml reads the document with entity resolution, network access and huge trees off, after the
same gzip cap and DOCTYPE stripping feeds get, so a sitemap can neither expand nor reach out.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from monitor.errors import ParseError
from monitor.extract.text import collapse_whitespace
from monitor.sources.dates import parse_date
from monitor.sources.entries import (
    Entry,
    ParsedFeed,
    absolute_link,
    language_tag,
    optional_text,
)
from monitor.sources.xmldoc import xml_root

DEFAULT_MAX_URLS = 2000
DEFAULT_MAX_SITEMAPS = 10


def parse_sitemap(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    settings: Any = None,
    max_bytes: int | None = None,
) -> ParsedFeed:
    """Read a sitemap; raise ParseError when the document is not one (an HTML page, a feed)."""
    max_urls = getattr(settings, "max_urls", DEFAULT_MAX_URLS)
    max_sitemaps = getattr(settings, "max_sitemaps", DEFAULT_MAX_SITEMAPS)
    root = xml_root(body, content_type, max_bytes=max_bytes, expected="a sitemap")
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        return _parsed(url, (), follow=_index_targets(root, url, max_sitemaps), warning=None)
    if kind != "urlset":
        raise ParseError(f"expected a sitemap (<urlset> or <sitemapindex>), got <{kind}>")
    nodes = [n for n in root if _local(n) == "url"]
    entries = [e for e in (_entry(n, url) for n in nodes[:max_urls]) if e is not None]
    warning = f"kept the first {max_urls} of {len(nodes)} URLs" if len(nodes) > max_urls else None
    return _parsed(url, tuple(entries), follow=(), warning=warning)


def _index_targets(root: Any, base: str, limit: int) -> tuple[str, ...]:
    """The sitemaps an index lists, news sitemaps first (an index of a news site lists its
    archive too, which holds no news fields), at most ``limit``."""
    locs = []
    for node in root:
        if _local(node) == "sitemap":
            link = absolute_link(_child_text(node, "loc"), base)
            if link:
                locs.append(link)
    news = [u for u in locs if "news" in u.lower()]
    return tuple(dict.fromkeys(news or locs))[:limit]


def _entry(node: Any, base: str) -> Entry | None:
    link = absolute_link(_child_text(node, "loc"), base)
    if link is None:
        return None
    news = next((c for c in node if _local(c) == "news"), None)
    publication = (
        next((c for c in news if _local(c) == "publication"), None) if news is not None else None
    )
    date = _child_text(news, "publication_date") if news is not None else None
    return Entry(
        guid=link,
        link=link,
        title=collapse_whitespace(_child_text(news, "title") or "") if news is not None else "",
        summary=collapse_whitespace(_child_text(news, "keywords") or "")
        if news is not None
        else "",
        content="",
        author=None,
        published=parse_date(date or _child_text(node, "lastmod")),
        language=language_tag(_child_text(publication, "language"))
        if publication is not None
        else None,
        source_name=optional_text(_child_text(publication, "name"))
        if publication is not None
        else None,
    )


def _parsed(
    url: str, entries: tuple[Entry, ...], *, follow: tuple[str, ...], warning: str | None
) -> ParsedFeed:
    return ParsedFeed(
        title=url,
        link=url,
        language=None,
        ttl=None,
        entries=entries,
        warning=warning,
        parser="sitemap",
        follow=follow,
    )


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _child_text(node: Any, name: str) -> str | None:
    if node is None:
        return None
    child = next((c for c in node if _local(c) == name), None)
    return child.text.strip() if child is not None and child.text else None
