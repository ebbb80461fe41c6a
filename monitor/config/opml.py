"""OPML subscription lists: reading feeds out of them and writing the configured feeds into one."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html.entities import name2codepoint

from lxml import etree

from monitor.secrets import without_bidi_controls

# No entity expansion, no network, no huge trees: OPML files come from anywhere.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)

_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding=["']([A-Za-z0-9._-]+)["'][^>]*\?>""")
_BARE_AMPERSAND = re.compile(rb"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9._-]*;)")
_OUTLINE_START = re.compile(rb"<outline\b", re.IGNORECASE)
_TAG_END = re.compile(rb"\s*/?>")
_ATTRIBUTE_START = re.compile(rb"""\s+[A-Za-z_:][-\w:.]*\s*=\s*(["'])""")
_NEXT_ATTRIBUTE_OR_END = rb"""(?=\s+[A-Za-z_:][-\w:.]*\s*=\s*["']|\s*/?>)"""
_VALUE_END = {q: re.compile(re.escape(q) + _NEXT_ATTRIBUTE_OR_END) for q in (b'"', b"'")}
_QUOTE_ENTITY = {b'"': b"&quot;", b"'": b"&apos;"}
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
# Liferea marks a nested subscription list this way; it has an xmlUrl but is not a feed.
_NOT_FEED_TYPES = {"source", "include"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Outline:
    url: str
    title: str | None = None
    categories: tuple[str, ...] = ()  # enclosing folders and the category attribute, flattened


def read_opml(data: bytes) -> list[Outline]:
    """Every feed outline (one with an http(s) xmlUrl) once, in document order.

    Folders and `category` paths become flat categories; a feed listed in two folders is
    one outline with both. Raises ValueError when the bytes are not OPML at all.
    """
    try:
        root = etree.fromstring(_repaired(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not an OPML file: {exc}") from None
    if root is None or _local_name(root) != "opml":
        raise ValueError("not an OPML file: the root element is not <opml>")
    body = next((c for c in root if _local_name(c) == "body"), None)
    if body is None:
        return []
    return _merge_duplicates(_walk(body, ()))


def _repaired(data: bytes) -> bytes:
    """The mistakes real exporters make, undone before the XML parser drops the outline."""
    data = _html_entities_to_xml(_utf8_if_undeclared(data))
    return _repair_outline_tags(_escape_bare_ampersands(data))


def _escape_bare_ampersands(data: bytes) -> bytes:
    # `?a=1&b=2` written unescaped: recovery would silently turn the URL into `?a=1=2`.
    return _BARE_AMPERSAND.sub(b"&amp;", data)


def _repair_outline_tags(data: bytes) -> bytes:
    """Escape quotes and markup that exporters leave raw inside attribute values of <outline>.

    A quote ends a value only where another attribute or the end of the tag follows it.
    """
    out: list[bytes] = []
    pos = 0
    for found in _OUTLINE_START.finditer(data):
        if found.start() < pos:
            continue
        repaired = _repair_tag(data, found.end())
        if repaired is None:
            continue
        tag, end = repaired
        out += [data[pos : found.end()], tag]
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def _repair_tag(data: bytes, i: int) -> tuple[bytes, int] | None:
    parts: list[bytes] = []
    while True:
        closing = _TAG_END.match(data, i)
        if closing:
            return b"".join(parts) + closing.group(0), closing.end()
        attribute = _ATTRIBUTE_START.match(data, i)
        if attribute is None:
            return None  # not a tag we understand: leave it to the parser's own recovery
        quote = attribute.group(1)
        value_end = _value_end(data, attribute.end(), quote)
        if value_end is None:
            return None
        value = data[attribute.end() : value_end.start()]
        for raw, escaped in ((quote, _QUOTE_ENTITY[quote]), (b"<", b"&lt;"), (b">", b"&gt;")):
            value = value.replace(raw, escaped)
        parts += [attribute.group(0), value, quote]
        i = value_end.end()


def _value_end(data: bytes, start: int, quote: bytes) -> re.Match[bytes] | None:
    # A quote inside embedded markup (`<a href="...">` in a description) does not end the value.
    for candidate in _VALUE_END[quote].finditer(data, start):
        value = data[start : candidate.start()]
        if value.count(b"<") <= value.count(b">"):
            return candidate
    return None


def _utf8_if_undeclared(data: bytes) -> bytes:
    """Bytes that claim (or default to) UTF-8 but are not: read the bad bytes as Windows-1252."""
    declared = _DECLARED_ENCODING.match(data)
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or (
        declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")
    ):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Byte by byte, so the valid UTF-8 around a stray Latin-1 byte stays as it was.
        text = data.decode("utf-8", errors=_CP1252_FALLBACK)
        return _DECLARED_ENCODING.sub(b"", text.encode("utf-8"), count=1)
    return data


def _cp1252_for_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


_CP1252_FALLBACK = "news-monitor-cp1252"
codecs.register_error(_CP1252_FALLBACK, _cp1252_for_bad_bytes)  # type: ignore[arg-type]


def _html_entities_to_xml(data: bytes) -> bytes:
    """Exporters write HTML entities (&aelig;) that XML does not know: make them numeric.

    An unknown name is kept as literal text rather than dropped with the rest of the value.
    """

    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        if name in _XML_ENTITIES:
            return match.group(0)
        if name in name2codepoint:
            return b"&#%d;" % name2codepoint[name]
        return b"&amp;" + match.group(1) + b";"

    return _NAMED_ENTITY.sub(replace, data)


def _local_name(node: etree._Element) -> str:
    return etree.QName(node).localname.lower() if isinstance(node.tag, str) else ""


def _walk(node: etree._Element, folders: tuple[str, ...]) -> Iterator[Outline]:
    for child in node:
        if _local_name(child) != "outline":
            continue
        # a file from elsewhere: its labels become names in the config, without bidi controls
        attrs = {
            k.lower(): " ".join(without_bidi_controls(v or "").split())
            for k, v in child.attrib.items()
        }
        # OPML makes `text` the required label; `title` is what some exporters use instead.
        title = attrs.get("text") or attrs.get("title") or None
        url = attrs.get("xmlurl", "")
        if url:
            if _is_feed(url, attrs.get("type", "")):
                tags = (*folders, *_category_tags(attrs.get("category", "")))
                yield Outline(url=url, title=title, categories=tuple(dict.fromkeys(tags)))
            continue
        yield from _walk(child, folders + ((title,) if title else ()))


def _is_feed(url: str, outline_type: str) -> bool:
    return url.startswith(("http://", "https://")) and outline_type.lower() not in _NOT_FEED_TYPES


def _category_tags(attribute: str) -> list[str]:
    """`news,sports,/world/asia` -> news, sports, world, asia (every path segment is a tag)."""
    return [
        segment.strip()
        for path in attribute.split(",")
        for segment in path.split("/")
        if segment.strip()
    ]


def _merge_duplicates(outlines: Iterable[Outline]) -> list[Outline]:
    merged: dict[str, Outline] = {}
    for outline in outlines:
        first = merged.get(outline.url)
        if first is None:
            merged[outline.url] = outline
        else:
            tags = tuple(dict.fromkeys((*first.categories, *outline.categories)))
            merged[outline.url] = Outline(
                url=first.url, title=first.title or outline.title, categories=tags
            )
    return list(merged.values())


def write_opml(
    feeds: Iterable[tuple[str, str, tuple[str, ...]]], *, title: str = "news-monitor feeds"
) -> bytes:
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
