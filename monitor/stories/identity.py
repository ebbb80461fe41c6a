"""Deciding what makes two feed items the same article: identity keys, pure functions only."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.stories.urls import canonical_url, google_news_id, site_of, unwrap_link


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """How an item is recognised: its feed guid (per feed), its canonical URL, and the article id."""

    guid: str  # the feed's guid, or the link when the feed gives none
    url: str  # canonical URL; a synthetic `urn:` when the item has no link
    link: str  # the link as a reader should open it (unwrapped, not canonicalised)
    article_id: str


def identify(
    *,
    feed_url: str,
    guid: str | None,
    link: str | None,
    title: str,
) -> Identity:
    target = unwrap_link(link) if link else None
    wrapped = google_news_id(target) if target else None
    if wrapped:
        # A wrapped link names no page until it is decoded, but its id names one article:
        # two items of one publisher both titled "Morning briefing" are two articles. Once
        # decoded, the article is also keyed by the publisher's URL (Store.relink), and the
        # publisher's own copy coming later is this article (Store.moved).
        url = "urn:news-monitor:google-news:" + wrapped
    elif target:
        url = canonical_url(target)
    else:
        # No link: the article is only as identifiable as its guid (or its title) within this feed.
        url = "urn:news-monitor:" + _digest(f"{feed_url}\n{guid or title}")
    return Identity(
        guid=(guid or target or url).strip(),
        url=url,
        link=target or "",
        article_id=article_id(url),
    )


def publisher(link: str, feeds: Sequence[tuple[str, str]]) -> int:
    """Which of the ``(feed url, link it gave)`` pairs, first arrival first, names the
    article's publisher (DESIGN §6): the first feed on the article's own site, else the first
    feed that carried it. Returns its index (0 when ``feeds`` is empty)."""
    site = site_of(link)
    for n, (feed, _) in enumerate(feeds):
        if site and _same_site(site_of(feed), site):
            return n
    return 0


def _same_site(feed_site: str, site: str) -> bool:
    # rss.example.com publishes example.com's articles, and www.example.com/feed news.example.com's
    return feed_site == site or feed_site.endswith("." + site) or site.endswith("." + feed_site)


def article_id(canonical: str) -> str:
    """A stable text primary key computed from the canonical URL."""
    return _digest(canonical)[:20]


def body_hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def alertable(
    *, published: datetime | None, now: datetime, max_age: timedelta, backlog: bool
) -> bool:
    """A feed's first poll (its backlog) and items older than max_age are stored but never alerted."""
    if backlog:
        return False
    return published is None or now - published <= max_age


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
