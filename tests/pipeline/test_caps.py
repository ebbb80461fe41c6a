"""What one item may store: a 9 MB item on loopback keeps a summary of a few KB, a text of at
most MAX_TEXT_CHARS and a title of a line, so its story page stays small."""

from __future__ import annotations

import sqlite3

import requests
from conftest import Clock, FeedServer, rss
from sources_run import source_app

from monitor.pipeline.refresh import MAX_SUMMARY_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS
from monitor.service.app import run_once
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer


def test_a_nine_megabyte_item_is_stored_cut_and_its_story_page_stays_small(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    words = "Rogun dam turbine reservoir " * 330_000  # 9.2 MB of text in the description
    item = {
        "title": "Rogun " + "very long headline " * 3_000,
        "link": "https://news.example.org/huge",
        "description": words,
        "pubDate": clock.now,
    }
    url = feeds.set("/huge.xml", rss([item]))
    app = source_app(tmp_path, f"{{url: {url}, max_bytes: 20MB}}", clock)
    [outcome] = run_once(app)
    assert outcome.outcome == "ok" and outcome.new_articles == 1

    db = sqlite3.connect(tmp_path / "monitor.db")
    article_id, title, summary, text = db.execute(
        "SELECT id, title, summary, text FROM articles"
    ).fetchone()
    assert len(title) <= MAX_TITLE_CHARS and title.startswith("Rogun very long headline")
    assert len(summary) <= MAX_SUMMARY_CHARS and summary.endswith("…")
    # the whole description was the article: it is kept as the text, cut like any text
    assert len(text) == MAX_TEXT_CHARS and text.startswith("Rogun dam turbine")

    server = WebServer(make_app(app.config, app.db, clock=clock), "127.0.0.1", 0, token=None)
    server.start()
    try:
        page = requests.get(f"{server.url}stories/{article_id}", timeout=30)
    finally:
        server.stop()
    assert page.status_code == 200 and "Rogun very long headline" in page.text
    assert len(page.content) < 1_000_000
