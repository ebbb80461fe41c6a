"""A feed is known by its URL without its credentials: a new API key or password keeps its
history, and rows written under the URL as written move to that key (migration 0011)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once
from monitor.store.db import Database


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


def test_rows_stored_under_the_url_as_written_move_to_the_key_without_secrets(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    base = feeds.set("/wire.xml", items(clock, 2))
    written = base.replace("http://", "http://u:pw@") + "?apikey=K3Y"
    assert poll(tmp_path, written, clock).new_articles == 2
    # What a database written before feeds were keyed without secrets holds.
    path = tmp_path / "monitor.db"
    with sqlite3.connect(path) as db:
        for table, column in (("feeds", "url"), ("article_sources", "feed"), ("articles", "feed")):
            db.execute(f"UPDATE {table} SET {column} = ?", [written])
        db.execute("DELETE FROM migrations WHERE name = '0011_feed_keys_without_secrets'")
    Database(str(path))  # opening it applies the migration
    with sqlite3.connect(path) as db:
        stored = {
            table: {r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM {table}")}
            for table, column in (
                ("feeds", "url"),
                ("article_sources", "feed"),
                ("articles", "feed"),
            )
        }
    assert stored == {t: {f"{base}?apikey=***"} for t in stored}
    clock.advance(minutes=20)
    assert poll(tmp_path, written, clock).new_articles == 0
