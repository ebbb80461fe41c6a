"""Conditions on where an article came from: feed name or URL, feed tags, site, language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from monitor.rules.glob import compile_glob
from monitor.rules.records import Document
from monitor.rules.syntax import Meta
from monitor.rules.tokens import normal_all, strip_marks, words


def meta_holds(meta: Meta, doc: Document) -> bool:
    """Whether the article's origin satisfies ``feed:``, ``tag:``, ``site:`` or ``lang:``."""
    return _CHECKS[meta.field](meta.value, doc)


def in_tags(doc: Document, tags: Sequence[str]) -> bool:
    """Whether any of the article's feed tags is one of ``tags`` (case-insensitive)."""
    return any(_tag(tag, doc) for tag in tags)


def in_feeds(doc: Document, feeds: Sequence[str]) -> bool:
    """Whether the article's feed name or URL is one of ``feeds``."""
    name = _folded(doc.feed)
    return any(_folded(f) == name or _same_url(f, doc.feed_url) for f in feeds if f.strip())


def _folded(text: str) -> str:
    return " ".join(strip_marks(text).split())


def _matches(value: str, candidate: str) -> bool:
    value, candidate = _folded(value), _folded(candidate)
    if "*" in value or "?" in value:
        return compile_glob(value).matches(candidate)
    return value == candidate


def _tag(value: str, doc: Document) -> bool:
    return any(_matches(value, tag) for tag in doc.tags)


def _feed(value: str, doc: Document) -> bool:
    """The feed name contains the value's words in order, or the value is the feed's URL."""
    if _same_url(value, doc.feed_url) or _matches(value, doc.feed):
        return True
    wanted, name = normal_all(words(value)), normal_all(words(doc.feed))
    n = len(wanted)
    return n > 0 and any(name[i : i + n] == wanted for i in range(len(name) - n + 1))


def _bare_url(url: str) -> str:
    url = url.strip().casefold()
    return url.split("://", 1)[-1].removeprefix("www.").rstrip("/")


def _same_url(value: str, url: str) -> bool:
    return bool(url) and _bare_url(value) == _bare_url(url)


def _host(value: str) -> str:
    value = value.strip().casefold()
    if "://" not in value:
        value = "//" + value
    return (urlsplit(value).hostname or "").rstrip(".")


def _site(value: str, doc: Document) -> bool:
    """The article's host is the value or a subdomain of it (site:bbc.co.uk hits www.bbc.co.uk)."""
    host, wanted = _host(doc.url), _host(value)
    return bool(host and wanted) and (host == wanted or host.endswith("." + wanted))


def _lang(value: str, doc: Document) -> bool:
    """By leading subtags: lang:ru hits ru and ru-RU; lang:ru-RU hits only ru-RU."""
    lang = doc.lang.strip().casefold().replace("_", "-")
    wanted = value.strip().casefold().replace("_", "-")
    return bool(lang) and (lang == wanted or lang.startswith(wanted + "-"))


_CHECKS: dict[str, Callable[[str, Document], bool]] = {
    "feed": _feed,
    "tag": _tag,
    "site": _site,
    "lang": _lang,
}
