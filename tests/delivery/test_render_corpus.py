"""Digests built from real-world feeds: rendering, chat payloads and Atom output stay safe."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import CORPUS

from alerts.channels import AtomChannel, AtomSettings
from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json, digest_to_json
from alerts.render import discord_payload, render_html, render_text, slack_payload, subject

REAL_FEEDS = CORPUS / "provenance" / "real_world_feeds_heuristic.json"
# Every tag the HTML template itself writes; anything else would have come from a feed.
TEMPLATE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "div",
    "h1",
    "h2",
    "p",
    "span",
    "a",
    "mark",
}

pytestmark = pytest.mark.skipif(not REAL_FEEDS.exists(), reason="shared corpus not present")


def corpus_paths(step: int = 10) -> list[Path]:
    """An even spread over the real-world feed list (every `step`-th), to stay fast."""
    listed = json.loads(REAL_FEEDS.read_text(encoding="utf-8"))
    return [CORPUS / item["path"] for item in listed[::step]]


def entry_from(item: Any, source: str) -> DigestEntry:
    parsed = item.get("published_parsed") or item.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
    # The raw summary, markup and all: the renderers must treat it as text.
    snippet = str(item.get("summary", ""))[:400]
    return DigestEntry(
        title=str(item.get("title", "")),
        url=str(item.get("link", "")),
        source=source,
        published=published,
        snippet=snippet,
        highlights=((0, min(12, len(snippet))),),
        matched_terms=("term",),
    )


def digest_from_feed(path: Path) -> Digest:
    feed = feedparser.parse(path.read_bytes())
    source = str(feed.feed.get("title", path.stem))
    entries = tuple(entry_from(item, source) for item in feed.entries[:25])
    return Digest(
        id=f"corpus-{path.stem}",
        name="corpus",
        created_at=datetime(2026, 11, 28, tzinfo=UTC),
        sections=(RuleSection(rule=source, entries=entries, more=3),),
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda p: p.name)
def test_real_feed_digest_renders_safely(path: Path, tmp_path: Path) -> None:
    digest = digest_from_feed(path)
    assert digest_from_json(digest_to_json(digest)) == digest
    line = subject(digest)
    assert line.splitlines() == [line]
    page = _Tags()
    page.feed(render_html(digest))
    assert page.tags <= TEMPLATE_TAGS, "feed markup leaked into the HTML digest"
    assert all(href.startswith(("http://", "https://")) for href in page.hrefs)
    assert "and 3 more" in render_text(digest)
    slack = slack_payload(digest)
    assert len(slack["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"] if b["type"] == "section")
    discord = discord_payload(digest)
    assert sum(len(e["title"]) + len(e["description"]) for e in discord["embeds"]) <= 6000
    AtomChannel("atom", AtomSettings(type="atom", path=tmp_path)).send(digest, "dlv-1")
    (written,) = tmp_path.glob("*.xml")
    reread = feedparser.parse(written.read_bytes())
    assert not reread.bozo, reread.get("bozo_exception")
    assert len(reread.entries) == len({e.url for e in digest.sections[0].entries})
