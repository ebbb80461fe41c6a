"""Small faults of the page found by a probe: an author shown escaped twice, and /metrics
naming its charset twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_world import NOW, WIRE, world_config

from monitor.service.web.app import make_app
from monitor.sources.feed.parse import parse_feed
from monitor.store.backend import open_database
from monitor.store.store import Store, StoredArticle

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wire</title>
<item><title>Tom &amp;amp; Jerry sign a deal</title><link>https://wire.example.org/a</link>
<dc:creator><![CDATA[Tom &amp; Jerry]]></dc:creator></item></channel></rss>"""


@pytest.mark.parametrize("fast", [True, False])
def test_an_author_escaped_by_the_feed_shows_once_escaped(tmp_path: Path, fast: bool) -> None:
    config = world_config(tmp_path)
    entry = parse_feed(RSS, url=WIRE, fast=fast).entries[0]
    assert entry.author == "Tom & Jerry" and entry.title == "Tom & Jerry sign a deal"
    article = StoredArticle(
        id="a", url="https://wire.example.org/a", link="https://wire.example.org/a", guid="a",
        feed=WIRE, title=entry.title, summary="", text="", author=entry.author, language=None,
        published=NOW, first_seen=NOW, cluster_id="a",
    )  # fmt: skip
    Store(open_database(config.database)).save_articles(WIRE, [article], [], {}, NOW)
    page = make_app(config, open_database(config.database), clock=lambda: NOW).test_client()
    html = page.get("/stories/a").get_data(as_text=True)
    assert " · Tom &amp; Jerry · " in html
    assert "&amp;amp;" not in html


def test_metrics_name_their_charset_once(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    page = make_app(config, open_database(config.database), clock=lambda: NOW).test_client()
    kind = page.get("/metrics").headers["Content-Type"]
    assert kind.startswith("text/plain") and kind.count("charset") == 1
