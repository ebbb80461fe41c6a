"""How feedparser reads one item's elements, redone over an lxml tree for the fast path.

Each element is named by feedparser's own key (namespace prefix + lower-case local name), and
the few keys that feed an Entry are read with feedparser's rules: which element wins, what
type a text has, how links fall back to guids. Anything else that could touch those fields
raises ``Declined``, and feedparser reads the feed instead.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from lxml import etree

from monitor.sources.dates import parse_date
from monitor.sources.entries import (
    Entry,
    absolute_link,
    language_tag,
    optional_text,
    person_value,
    text_value,
    title_value,
)

_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_looks_like_html = _FeedParserMixin.looks_like_html
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_SCHEME_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_C1_CONTROL = re.compile("[\x80-\x9f]")
_ENTITY_IN_LINK = re.compile(r"&([A-Za-z0-9_]+);")

_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "dc_date", "dcterms_modified", "lastbuilddate"})
_SUMMARIES = {"description": "text/html", "summary": "text/plain"}
_CONTENTS = {"content_encoded": "text/html", "content": "text/plain"}
_AUTHORS = frozenset({"author", "dc_creator", "dc_author"})
_HTML_LINK_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain", "text/html"})
_HARMLESS = frozenset({"category", "comments", "enclosure", "source"})
_MODELLED = (
    _PUBLISHED
    | _UPDATED
    | _AUTHORS
    | set(_SUMMARIES)
    | set(_CONTENTS)
    | {"title", "link", "guid", "id"}
)
# Keys through which feedparser could set a title, summary, content, link, id, date or author,
# or switch the state that decides them (images, sources, nested items, inline SVG).
_RISKY = _MODELLED | {
    "dc_title",
    "media_title",
    "dc_description",
    "media_description",
    "itunes_summary",
    "abstract",
    "body",
    "xhtml_body",
    "fullitem",
    "itunes_author",
    "managingeditor",
    "webmaster",
    "dc_publisher",
    "contributor",
    "dc_contributor",
    "image",
    "textinput",
    "item",
    "entry",
    "svg",
    "name",
    "email",
    "info",
    "created",
    "dcterms_created",
    "expirationdate",
    "channel",
    "feed",
    "rss",
    "newlocation",
    "source",
}


class Declined(Exception):
    """The fast path cannot promise feedparser's answer for this feed."""


def element_key(element: Any) -> str:
    """feedparser's name for an element: known namespaces by their canonical prefix."""
    tag = element.tag
    known = _key_of_tag(tag) if isinstance(tag, str) else None
    if known is not None:
        return known
    qname = etree.QName(element)
    prefix = (element.prefix or "").lower()
    local = qname.localname.lower()
    return f"{prefix}_{local}" if prefix else local


@lru_cache(maxsize=1024)
def _key_of_tag(tag: str) -> str | None:
    # Every element of a feed costs a key look-up: cache it per tag ("{namespace}local"),
    # except where the document's own prefix decides (a namespace feedparser does not know).
    qname = etree.QName(tag)
    local = qname.localname.lower()
    namespace = (qname.namespace or "").lower()
    if "backend.userland.com/rss" in namespace:
        namespace = "http://backend.userland.com/rss"
    prefix = _PREFIXES.get(namespace) if namespace else ""
    if prefix is None:
        return None
    return f"{prefix.lower()}_{local}" if prefix else local


def text_fixups(raw: str) -> str:
    """What feedparser does to every text: strip, undo double UTF-8, map cp1252 controls."""
    value = raw.strip()
    if value.isascii():
        return value  # neither step can change ASCII
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    # translate() with a dict is slow on long texts; C1 controls are rare.
    return value.translate(_cp1252) if _C1_CONTROL.search(value) else value


def content_type_for(raw: str, declared: str | None, *, default: str, is_atom: bool) -> str:
    """The type feedparser settles on for a text: declared or default, HTML when it looks so."""
    kind = _FeedParserMixin.map_content_type(declared or default)
    if kind not in _TEXT_TYPES:
        raise Declined(f"text of type {kind}")
    if not is_atom and kind == "text/plain" and _looks_like_html(raw):
        return "text/html"
    return kind


def reference_join(uri: str) -> str:
    """feedparser's join of a URI against an empty base (it folds 'http:///x' to 'http://x')."""
    return _SCHEME_SLASHES.sub(r"\1\3", uri)


class EntryReader:
    """Reads items of one feed into Entries the way feedparser would, or raises Declined."""

    def __init__(self, *, url: str, is_atom: bool, feed_language: str | None) -> None:
        self.url = url
        self.is_atom = is_atom
        self.feed_language = feed_language

    def read(self, item: Any) -> Entry:
        children = self._children(item)
        title, title_type = self._text_of(children, ("title",), "text/plain")
        summary, summary_type = self._text_of(children, tuple(_SUMMARIES), None)
        content, content_type = self._text_of(children, tuple(_CONTENTS), None)
        if summary is None and content is not None:
            summary, summary_type = content, content_type
        guid, guid_is_link = self._guid(item, children)
        link = self._link(children)
        if link is None and guid_is_link:
            link = guid
        return Entry(
            guid=optional_text(guid),
            link=absolute_link(link, self.url),
            title=title_value(title, title_type),
            summary=text_value(summary, summary_type),
            content=text_value(content, content_type) if content is not None else "",
            author=person_value(self._author(children)),
            published=self._date(children, _PUBLISHED) or self._date(children, _UPDATED),
            language=self._language(children) or self.feed_language,
        )

    def _language(self, children: dict[str, list[Any]]) -> str | None:
        # feedparser knows the language of a title or summary element, not of an item.
        for key in ("title", *_SUMMARIES):
            if key in children and (language := _language_of(children[key][0])):
                return language
        return None

    def _children(self, item: Any) -> dict[str, list[Any]]:
        children: dict[str, list[Any]] = {}
        for child in item:
            if not isinstance(child.tag, str):
                continue
            key = element_key(child)
            if key in _RISKY and key not in _MODELLED and key not in _HARMLESS:
                raise Declined(f"<{key}> in an item")
            if key in _MODELLED or key in _HARMLESS:
                children.setdefault(key, []).append(child)
                if key != "author" and len(child):
                    raise Declined(f"markup inside <{key}>")
            if key not in _MODELLED:
                for inner in child.iterdescendants(etree.Element):
                    if element_key(inner) in _RISKY:
                        raise Declined(f"<{element_key(inner)}> inside <{key}>")
        for key, found in children.items():
            if len(found) > 1 and key not in ("link", "category", "enclosure"):
                raise Declined(f"more than one <{key}>")
        return children

    def _text_of(
        self, children: dict[str, list[Any]], keys: tuple[str, ...], default: str | None
    ) -> tuple[str | None, str | None]:
        present = [key for key in keys if key in children]
        if len(present) > 1:
            raise Declined(f"both <{present[0]}> and <{present[1]}>")
        if not present:
            return None, None
        element = children[present[0]][0]
        if element.get("mode") is not None or element.get("src") is not None:
            raise Declined("content by reference or base64")
        raw = text_fixups(element.text or "")
        kind_default = default or _SUMMARIES.get(present[0]) or _CONTENTS[present[0]]
        return raw, content_type_for(
            raw, element.get("type"), default=kind_default, is_atom=self.is_atom
        )

    def _guid(self, item: Any, children: dict[str, list[Any]]) -> tuple[str | None, bool]:
        found = children.get("guid", []) + children.get("id", [])
        if len(found) > 1:
            raise Declined("both <guid> and <id>")
        if not found:
            return item.get(_RDF_ABOUT), False
        element = found[0]
        is_link = element.get("isPermaLink", element.get("ispermalink", "true")) == "true"
        value = text_fixups(element.text or "")
        return (reference_join(value) if is_link and value else value), is_link

    def _link(self, children: dict[str, list[Any]]) -> str | None:
        return link_of(children.get("link", []))

    def _author(self, children: dict[str, list[Any]]) -> str | None:
        present = [children[key][0] for key in _AUTHORS if key in children]
        if len(present) > 1:
            raise Declined("several author elements")
        if not present:
            return None
        element = present[0]
        if not len(element):
            return text_fixups(element.text or "")
        parts = {element_key(part): text_fixups(part.text or "") for part in element}
        name, email = parts.get("name"), parts.get("email")
        if name and email:
            return f"{name} ({email})"
        return name or email

    def _date(self, children: dict[str, list[Any]], keys: frozenset[str]) -> datetime | None:
        found = [el for key in keys for el in children.get(key, [])]
        if len(found) > 1:
            raise Declined("several dates of one kind")
        if not found:
            return None
        return parse_date(text_fixups(found[0].text or ""))


def link_of(links: list[Any]) -> str | None:
    """The link feedparser picks: a text <link>, else the last alternate HTML href."""
    by_text = [el for el in links if _href(el) is None]
    alternates = [reference_join(_href(el) or "") for el in links if _is_alternate_html(el)]
    if by_text:
        # Text and href links both overwrite one another, so their order would decide.
        if len(by_text) > 1 or alternates:
            raise Declined("several competing <link> elements")
        value = reference_join(text_fixups(by_text[0].text or ""))
        return _ENTITY_IN_LINK.sub(r"&\1", value.replace("&amp;", "&"))
    return alternates[-1] if alternates else None


def _is_alternate_html(element: Any) -> bool:
    if _href(element) is None:
        return False
    rel = (element.get("rel") or "alternate").lower()
    kind = element.get("type") or ("application/atom+xml" if rel == "self" else "text/html")
    return rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _HTML_LINK_TYPES


def _href(element: Any) -> str | None:
    return element.get("url", element.get("uri", element.get("href")))


def _language_of(element: Any) -> str | None:
    for node in (element, *element.iterancestors()):
        value = node.get(_XML_LANG, node.get("lang"))
        if value is not None:
            return language_tag(value)
    return None
