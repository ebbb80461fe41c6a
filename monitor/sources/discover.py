"""Finding a site's feed or news sitemap (`news-monitor feeds add URL`): the home page's
``<link rel="alternate">`` feeds, then common feed paths, then the sitemaps robots.txt names.

Only the URL the operator typed is trusted: its redirects, the common paths, robots.txt, the
sitemaps it names and every candidate proposed go through the address guard (unless
``allow_private_networks``), so that a hostile site cannot have an internal address written
into the config, where it would be trusted from then on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin

from monitor.errors import FetchError, ParseError
from monitor.secrets import without_bidi_controls
from monitor.sources.entries import absolute_link
from monitor.sources.feed.parse import parse_feed
from monitor.sources.fetch import FetchResult, FetchSession, fetch
from monitor.sources.html import html_tree
from monitor.sources.netguard import vet_url
from monitor.sources.sitemap import parse_sitemap

log = logging.getLogger("monitor.sources.discover")

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "text/xml",
        "application/xml",
    }
)
COMMON_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feeds")
MAX_BYTES = 5_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A source found on a site, as a `feeds:` entry would name it."""

    type: str  # feed or sitemap
    url: str
    title: str | None
    found: str  # where it was found, for the user


def alternate_feeds(body: bytes, content_type: str | None, url: str) -> list[Candidate]:
    """The feeds a page announces (``<link rel="alternate" type="application/rss+xml" …>``),
    in page order, comment feeds last."""
    tree = html_tree(body, content_type, max_bytes=MAX_BYTES)
    found: dict[str, Candidate] = {}
    for node in tree.css("link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").lower().split(";")[0].strip()
        link = absolute_link(node.attributes.get("href"), url)
        if "alternate" in rel and kind in FEED_TYPES and link and link not in found:
            # the title may become the feed's name in the config: no bidi controls there
            raw = without_bidi_controls(node.attributes.get("title") or "")
            title = " ".join(raw.split()) or None
            found[link] = Candidate(
                type="feed", url=link, title=title, found="<link rel=alternate>"
            )
    return sorted(found.values(), key=lambda c: "comment" in (c.title or c.url).lower())


def robots_sitemaps(text: str, url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, news sitemaps first."""
    found = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap":
            link = absolute_link(value.strip(), url)
            if link and link not in found:
                found.append(link)
    return sorted(found, key=lambda u: "news" not in u.lower())


def discover(
    session: FetchSession, url: str, *, timeout: float = 20.0, guard: bool = True
) -> list[Candidate]:
    """Every feed or news sitemap found for the site at ``url``, best first."""
    page = _get(session, url, timeout, guard=guard, trusted=True)
    if page is not None and page.body is not None:
        if _is_feed(page):
            return [Candidate(type="feed", url=page.final_url, title=None, found="the URL itself")]
        try:
            announced = alternate_feeds(page.body, page.content_type, page.final_url)
        except ParseError:
            announced = []
        announced = [c for c in announced if not guard or _public(session, c.url)]
        if announced:
            return announced
    root = urljoin(page.final_url if page else url, "/")
    for path in COMMON_PATHS:
        answer = _get(session, urljoin(root, path), timeout, guard=guard)
        if answer is not None and _is_feed(answer):
            return [Candidate(type="feed", url=answer.final_url, title=None, found=f"path {path}")]
    return _news_sitemaps(session, root, timeout, guard=guard)


def _news_sitemaps(
    session: FetchSession, root: str, timeout: float, *, guard: bool
) -> list[Candidate]:
    robots = _get(session, urljoin(root, "/robots.txt"), timeout, guard=guard)
    if robots is None or robots.body is None:
        return []
    found = []
    for link in robots_sitemaps(robots.body.decode("utf-8", "replace"), root):
        answer = _get(session, link, timeout, guard=guard)
        if answer is None or answer.body is None:
            continue
        try:
            parsed = parse_sitemap(answer.body, url=answer.final_url)
        except ParseError:
            continue
        news = "news" in link.lower() or any("news" in u.lower() for u in parsed.follow)
        if news or any(e.title for e in parsed.entries):  # news:title: a news sitemap
            found.append(Candidate(type="sitemap", url=link, title=None, found="robots.txt"))
    return found


def _get(
    session: FetchSession, url: str, timeout: float, *, guard: bool, trusted: bool = False
) -> FetchResult | None:
    try:
        result = fetch(
            session, url, timeout=timeout, max_bytes=MAX_BYTES, guard=guard, trusted=trusted
        )
    except FetchError as exc:
        log.info("discovery fetch failed url=%s: %s", url, exc)
        return None
    return result if result.status == 200 and result.body is not None else None


def _public(session: FetchSession, url: str) -> bool:
    """Whether a feed a page announces leads to an address the guard allows."""
    try:
        vet_url(session.address_guard, url)
    except FetchError as exc:
        log.info("discovered feed refused url=%s: %s", url, exc)
        return False
    return True


def _is_feed(result: FetchResult) -> bool:
    kind = (result.content_type or "").lower()
    if "html" in kind:
        return False
    try:
        parsed = parse_feed(
            result.body or b"", url=result.final_url, content_type=result.content_type
        )
    except ParseError:
        return False
    return bool(parsed.entries or parsed.title)
