"""OPML subscription lists: reading feeds out of them and writing the configured feeds into one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

# No entity expansion, no network, no huge trees: OPML files come from anywhere.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outline:
    url: str
    title: str | None = None
    categories: tuple[str, ...] = ()  # enclosing folders and the category attribute


def read_opml(data: bytes) -> list[Outline]:
    """Every feed outline (one with an xmlUrl) in document order, folders turned into categories."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not an OPML file: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise ValueError("not an OPML file: the root element is not <opml>")
    body = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname.lower() == "body"), None)
    if body is None:
        return []
    return list(_walk(body, ()))


def _walk(node: etree._Element, folders: tuple[str, ...]) -> Iterable[Outline]:
    for child in node:
        if not isinstance(child.tag, str) or etree.QName(child).localname.lower() != "outline":
            continue
        attrs = {k.lower(): (v or "").strip() for k, v in child.attrib.items()}
        title = attrs.get("title") or attrs.get("text") or None
        url = attrs.get("xmlurl")
        if url and url.startswith(("http://", "https://")):
            categories = [c.strip().strip("/") for c in attrs.get("category", "").split(",")]
            tags = (*folders, *(c for c in categories if c and "/" not in c))
            yield Outline(url=url, title=title, categories=tuple(dict.fromkeys(tags)))
        folder = folders + ((title,) if title and not url else ())
        yield from _walk(child, folder)


def write_opml(feeds: Iterable[tuple[str, str, tuple[str, ...]]], *, title: str = "news-monitor feeds") -> bytes:
    """OPML 2.0 of (url, name, tags) triples; tags become the category attribute."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = etree.SubElement(root, "body")
    for url, name, tags in feeds:
        outline = etree.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=url)
        if tags:
            outline.set("category", ",".join(tags))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
