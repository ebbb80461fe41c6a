"""Retention end to end: a feed polled over months with an injected clock, pruned on the way;
a prune while polls run; a prune killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json

from monitor.config.load import load_config
from monitor.service.app import App, build_app, poll_feeds, prune_archive, run_once
from monitor.store import search_index
from monitor.store.store import StoredArticle

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hook():
    receiver = WebhookReceiver(SECRET)
    yield receiver
    receiver.close()


def config(tmp_path: Path, feed_urls: list[str], hook_url: str, retention: str) -> Path:
    feeds = ", ".join(f'{{url: "{url}"}}' for url in feed_urls)
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{feeds}]
        rules:
          - {{name: Rogun, any: [Rogun], digest: instant}}
        digests:
          instant: {{schedule: instant, channels: [hook]}}
        channels:
          hook: {{type: webhook, url: "{hook_url}", secret: "{SECRET}"}}
        retention: {retention}
        """,
    )


def item(name: str, text: str = "Talks went on.") -> dict:
    # no pubDate: max_age cannot stop an old item, only the store's memory of it can
    return {
        "title": name,
        "link": f"https://news.example.org/{name}",
        "guid": name,
        "description": text,
    }


def alerted(hook: WebhookReceiver) -> list[str]:
    bodies = [webhook_json(d) for d in hook.deliveries]
    return [a["title"] for body in bodies for r in body["rules"] for a in r["articles"]]


def stored_titles(app: App) -> set[str]:
    return {r[0] for r in app.db.query("SELECT title FROM articles")}


def test_a_pruned_item_still_in_its_feed_is_never_new_again_nor_alerted_again(
    tmp_path: Path, feeds: FeedServer, clock: Clock, hook: WebhookReceiver
) -> None:
    url = feeds.set("/feed.xml", rss([item("old")]))
    path = config(tmp_path, [url], hook.url, "{articles: 30d, matched: 60d}")
    app = build_app(load_config(path), clock=clock)
    run_once(app)  # the backlog: stored, not alerted
    clock.advance(hours=1)
    listed = [item("old"), item("dam", "The Rogun dam was discussed.")]
    feeds.set("/feed.xml", rss(listed))
    run_once(app)
    assert alerted(hook) == ["dam"]

    clock.advance(days=40)
    prune_archive(app)  # "old" matched nothing and is 40 days old; "dam" matched: kept 60 days
    assert stored_titles(app) == {"dam"}
    listed.append(item("next"))
    feeds.set("/feed.xml", rss(listed))
    (outcome,) = run_once(app)
    assert outcome.new_articles == 1 and stored_titles(app) == {"dam", "next"}

    clock.advance(days=31)
    report = prune_archive(app)
    assert report.rows["matched"] == 1 and report.rows["articles"] == 1
    listed.append(item("last"))
    feeds.set("/feed.xml", rss(listed))
    (outcome,) = run_once(app)

    assert outcome.new_articles == 1 and stored_titles(app) == {"last"}
    assert alerted(hook) == ["dam"]  # the pruned Rogun story, still listed, never again


def old_articles(app: App, count: int, age: timedelta, *, text: str = "") -> None:
    now = app.clock()
    seen = now - age
    batch = [
        StoredArticle(
            id=f"old-{n:06d}",
            url=f"https://archive.example.org/{n}",
            link=f"https://archive.example.org/{n}",
            guid=f"old-{n}",
            feed="https://archive.example.org/feed",
            title=f"Archived story {n}",
            summary="An old summary",
            text=text,
            author=None,
            language=None,
            published=seen,
            first_seen=seen,
        )
        for n in range(count)
    ]
    for start in range(0, count, 2_000):
        app.store.save_articles(
            "https://archive.example.org/feed", batch[start : start + 2_000], [], {}, seen
        )
    app.store.index_new_articles()


def test_a_prune_while_feeds_are_polled_loses_none_of_the_new_articles(
    tmp_path: Path, feeds: FeedServer, clock: Clock, hook: WebhookReceiver
) -> None:
    urls = [feeds.set(f"/f{n}.xml", rss([item(f"f{n}-{i}") for i in range(40)])) for n in range(12)]
    app = build_app(load_config(config(tmp_path, urls, hook.url, "{articles: 30d}")), clock=clock)
    old_articles(app, 4_000, timedelta(days=60), text="old words " * 100)
    start = threading.Barrier(2)
    polled: list = []

    def poll() -> None:
        start.wait()
        polled.extend(poll_feeds(app, app.config.feeds, workers=4))

    poller = threading.Thread(target=poll)
    poller.start()
    start.wait()
    report = prune_archive(app)
    poller.join()

    assert report.rows["articles"] == 4_000
    assert [o.outcome for o in polled] == ["ok"] * 12
    assert sum(o.new_articles for o in polled) == 12 * 40
    assert len(stored_titles(app)) == 12 * 40
    assert app.db.query("SELECT COUNT(*) FROM article_sources")[0][0] == 12 * 40
    assert app.db.query("PRAGMA integrity_check")[0][0] == "ok"


def test_search_partitions_folded_while_feeds_are_polled_keep_every_article_findable(
    tmp_path: Path,
    feeds: FeedServer,
    clock: Clock,
    hook: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search_index, "PART_ROWS", 400)  # the archive spans ten partitions
    urls = [feeds.set(f"/f{n}.xml", rss([item(f"f{n}-{i}") for i in range(40)])) for n in range(12)]
    app = build_app(load_config(config(tmp_path, urls, hook.url, "{articles: 30d}")), clock=clock)
    old_articles(app, 4_000, timedelta(days=60), text="old words " * 100)
    before = len(search_index.parts(app.db.connection()))
    start = threading.Barrier(2)

    def poll() -> None:
        start.wait()
        poll_feeds(app, app.config.feeds, workers=4)
        app.store.index_new_articles()  # into the open partition while the prune folds

    poller = threading.Thread(target=poll)
    poller.start()
    start.wait()
    prune_archive(app)
    poller.join()
    app.store.index_new_articles()

    assert len(search_index.parts(app.db.connection())) < before
    search_index.check(app.db.connection())
    since = clock() - timedelta(days=1)
    assert len(app.store.fts_candidates("talks", since)) == 12 * 40
    assert app.store.fts_candidates("archived", clock() - timedelta(days=90)) == []


def test_a_prune_killed_midway_loses_nothing_and_the_next_one_finishes(
    tmp_path: Path, clock: Clock, hook: WebhookReceiver
) -> None:
    path = config(tmp_path, [], hook.url, "{articles: 30d}")
    app = build_app(load_config(path), clock=clock)
    old_articles(app, 5_000, timedelta(days=400), text="archived words " * 150)
    ids = {r[0] for r in app.db.query("SELECT id FROM articles")}
    app.db.close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "prune", "--config", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watch = sqlite3.connect(str(tmp_path / "monitor.db"), timeout=30)
    deadline = time.monotonic() + 60
    while watch.execute("SELECT COUNT(*) FROM tombstones").fetchone()[0] < 300:
        assert child.poll() is None and time.monotonic() < deadline, "prune ended too soon"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()

    kept = {r[0] for r in watch.execute("SELECT id FROM articles")}
    with_sources = {r[0] for r in watch.execute("SELECT DISTINCT article_id FROM article_sources")}
    buried = {r[0] for r in watch.execute("SELECT key FROM tombstones")}
    assert watch.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert watch.execute("PRAGMA foreign_key_check").fetchall() == []
    assert 0 < len(kept) < len(ids)
    assert kept == with_sources  # every article still there is whole
    assert ids - kept <= buried  # every one gone left its tombstone
    watch.close()

    finished = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "prune", "--config", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "given back" in finished.stdout
    app = build_app(load_config(path), clock=clock)
    assert app.db.query("SELECT COUNT(*) FROM articles")[0][0] == 0
    search_index.check(app.db.connection())
