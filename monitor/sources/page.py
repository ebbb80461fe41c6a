"""An HTML page that lists articles and has no feed -> entries, by the CSS selectors of its
config (``items``, and within each item ``link``, ``title``, ``date``, ``summary``).

Only what lies inside an item becomes an article: the page's menus, teasers and footers never
do. Links are resolved against the page (or its <base href>).
"""

from __future__ import annotations

from typing import Any

from monitor.errors import ParseError
from monitor.sources.dates import parse_date
from monitor.sources.entries import Entry, ParsedFeed, absolute_link, optional_text
from monitor.sources.html import base_url, html_tree, node_text

MAX_ITEMS = 500


def parse_page(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    settings: Any,
    max_bytes: int | None = None,
) -> ParsedFeed:
    """Read a page's items; raise ParseError when the items selector finds nothing (the site
    changed its layout, or the answer is not the page that was configured)."""
    tree = html_tree(body, content_type, max_bytes=max_bytes)
    nodes = tree.css(settings.items)
    if not nodes:
        raise ParseError(f"no element on the page matches the items selector {settings.items!r}")
    base = base_url(tree, url)
    entries = tuple(_entry(node, settings, base) for node in nodes[:MAX_ITEMS])
    title, html = tree.css_first("title"), tree.css_first("html")
    return ParsedFeed(
        title=node_text(title) or url,
        link=url,
        language=optional_text(html.attributes.get("lang")) if html is not None else None,
        ttl=None,
        entries=entries,
        warning=f"kept the first {MAX_ITEMS} of {len(nodes)} items"
        if len(nodes) > MAX_ITEMS
        else None,
        parser="page",
    )


def _entry(node: Any, settings: Any, base: str) -> Entry:
    anchor = _anchor(node, settings.link)
    href = anchor.attributes.get("href") if anchor is not None else None
    link = absolute_link(href, base)
    title_node = node.css_first(settings.title) if settings.title else anchor
    date_node = node.css_first(settings.date) if settings.date else None
    summary_node = node.css_first(settings.summary) if settings.summary else None
    return Entry(
        guid=link,
        link=link,
        title=node_text(title_node),
        summary=node_text(summary_node),
        content="",
        author=None,
        published=_date(date_node),
        language=None,
    )


def _anchor(node: Any, selector: str | None) -> Any:
    """The element whose href is the item's link: the ``link`` selector's match (or an a[href]
    inside it), else the item's first a[href] (or the item itself, when it is the anchor)."""
    found = node.css_first(selector) if selector else None
    if found is not None and found.attributes.get("href") is None:
        found = found.css_first("a[href]")
    if found is None and not selector:
        found = node if node.attributes.get("href") is not None else node.css_first("a[href]")
    return found


def _date(node: Any) -> Any:
    if node is None:
        return None
    return parse_date(node.attributes.get("datetime") or node_text(node))
