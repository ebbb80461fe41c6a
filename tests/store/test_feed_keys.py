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
from monitor.store.backend import open_database
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


def test_both_backends_move_rows_under_a_secret_url_to_its_key(database_url: str) -> None:
    written = "https://u:pw@wire.example.org/rss?apikey=K3Y"
    key = "https://wire.example.org/rss?apikey=***"
    db = open_database(database_url)
    with db.write() as conn:
        for url in (written, key):  # the same feed under both, as a half-moved archive has it
            conn.execute("INSERT INTO feeds (url, name) VALUES (?, ?)", (url, url[:12]))
        for n in range(2):
            conn.execute(
                "INSERT INTO articles (id, url, feed, title) VALUES (?, ?, ?, 'Rogun')",
                (f"a{n}", f"https://news.example.org/{n}", written),
            )
            conn.execute(
                "INSERT INTO article_sources (article_id, feed, guid) VALUES (?, ?, ?)",
                (f"a{n}", written, f"g{n}"),
            )
        conn.execute(
            "INSERT INTO article_sources (article_id, feed, guid) VALUES ('a0', ?, 'k')", (key,)
        )
        conn.execute(
            "INSERT INTO feed_readings (feed, read_at) VALUES (?, '2026-11-01')", (written,)
        )
        conn.execute(
            "INSERT INTO tombstones (key, pruned_at, listed_at, feed) VALUES ('t', 'x', 'y', ?)",
            (written,),
        )
        conn.execute("DELETE FROM migrations WHERE name LIKE '%feed_keys_without_secrets'")
    after = open_database(database_url)  # opening it applies the migration again
    feeds = [tuple(r) for r in after.query("SELECT url, name FROM feeds")]
    assert feeds == [(key, key[:12])]  # the row already under the key stays
    sources = sorted(
        tuple(r) for r in after.query("SELECT article_id, feed, guid FROM article_sources")
    )
    assert sources == [("a0", key, "k"), ("a1", key, "g1")]
    for table, column in (("articles", "feed"), ("feed_readings", "feed"), ("tombstones", "feed")):
        assert {r[0] for r in after.query(f"SELECT {column} FROM {table}")} == {key}, table
