"""A feed is known by its URL without its credentials: a new API key or password keeps its
history, and rows written under the URL as written move to that key (migration 0011 on SQLite,
0005 on PostgreSQL)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once


def config(tmp_path: Path, url: str) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {url}
        rules:
          - {{name: Rogun, any: [Rogun], digest: instant}}
        digests:
          instant: {{schedule: instant, channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        """,
    )


def items(clock: Clock, n: int) -> bytes:
    return rss(
        [
            {
                "title": f"Rogun {i}",
                "link": f"https://news.example.org/{i}",
                "guid": f"g{i}",
                "description": "Rogun dam.",
                "pubDate": clock.now - timedelta(minutes=10),
            }
            for i in range(n)
        ]
    )


def poll(tmp_path: Path, url: str, clock: Clock):  # noqa: ANN201
    [outcome] = run_once(build_app(load_config(config(tmp_path, url)), clock=clock))
    return outcome


def test_a_new_api_key_or_password_keeps_the_feed_and_its_articles(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    base = feeds.set("/wire.xml", items(clock, 2))
    host = base.removeprefix("http://")
    assert poll(tmp_path, f"http://u:old-pass@{host}?apikey=OLD", clock).new_articles == 2
    clock.advance(minutes=20)
    feeds.set("/wire.xml", items(clock, 3))  # one new item, two already stored
    outcome = poll(tmp_path, f"http://u:new-pass@{host}?apikey=NEW", clock)
    assert outcome.outcome == "ok" and outcome.new_articles == 1
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        assert db.execute("SELECT url FROM feeds").fetchall() == [(f"{base}?apikey=***",)]
    assert len(list((tmp_path / "digests").glob("*.txt"))) == 1  # only the new one alerted
