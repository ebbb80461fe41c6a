"""One article, two feeds: a full-text desk feed and a wire that cross-posts the same link with
tracking parameters. The Rogun rule, which only the page's last paragraph satisfies, must fire
exactly once, in the poll that stored the page text, whatever the order or overlap of the polls;
the webhook names the desk (the feed on the article's site) as the source and links cleanly."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json
from test_fulltext import PARAGRAPHS, article_page

from monitor.config.load import load_config
from monitor.pipeline.refresh import refresh_feed
from monitor.service.app import App, build_app, send_instant_digests
from monitor.store.store import Store

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TITLE = "Leaders gather in Astana for the annual summit"


@pytest.fixture
def hook():
    receiver = WebhookReceiver(SECRET)
    yield receiver
    receiver.close()


class World:
    """The desk feed and its article page on `localhost`, the wire on `127.0.0.1` (another
    site), one database, a webhook receiver for the instant digest."""

    def __init__(self, tmp_path: Path, feeds: FeedServer, clock: Clock, hook: WebhookReceiver):
        self.feeds, self.clock, self.hook = feeds, clock, hook
        self.page = feeds.set("/world/summit.html", article_page(TITLE, PARAGRAPHS), "text/html")
        self.desk_url = feeds.url("/desk.xml")
        self.wire_url = feeds.url("/wire.xml").replace("localhost", "127.0.0.1")
        path = write_config(
            tmp_path,
            f"""
            database: {tmp_path / "monitor.db"}
            allow_private_networks: true
            feeds:
              - {{url: "{self.wire_url}", name: Wire}}
              - {{url: "{self.desk_url}", name: Desk, full_text: true}}
            rules:
              - name: Rogun
                any: [Rogun]
                digest: instant
            digests:
              instant: {{schedule: instant, channels: [hook]}}
            channels:
              hook: {{type: webhook, url: "{hook.url}", secret: "{SECRET}"}}
            """,
        )
        self.app: App = build_app(load_config(path), clock=clock)
        self.desk = next(f for f in self.app.config.feeds if f.name == "Desk")
        self.wire = next(f for f in self.app.config.feeds if f.name == "Wire")

    def carry(self, *, backlog_done: bool) -> None:
        """Both feeds list the summit story (the wire's link with tracking and a fragment);
        with ``backlog_done`` each feed first had a poll of an older item."""
        if backlog_done:
            for path, feed in (("/desk.xml", self.desk), ("/wire.xml", self.wire)):
                self.feeds.set(path, rss([self.item(f"https://old.example.org{path}", "old")]))
                refresh_feed(feed, self.app.ctx)
            self.clock.advance(minutes=20)
        self.feeds.set("/desk.xml", rss([self.item(self.page, "desk-1")]))
        self.feeds.set("/wire.xml", rss([self.item(self.page + "?utm_source=wire#top", "w-9")]))

    def item(self, link: str, guid: str) -> dict:
        return {
            "title": TITLE,
            "link": link,
            "guid": guid,
            "description": PARAGRAPHS[0],
            "pubDate": self.clock.now - timedelta(minutes=10),
        }

    def rogun_alerts(self) -> list[dict]:
        send_instant_digests(self.app)
        return [
            entry
            for delivery in self.hook.deliveries
            for rule in webhook_json(delivery)["rules"]
            if rule["name"] == "Rogun"
            for entry in rule["articles"]
        ]


@pytest.fixture
def world(tmp_path, feeds: FeedServer, clock: Clock, hook: WebhookReceiver) -> World:
    return World(tmp_path, feeds, clock, hook)


@pytest.mark.parametrize("order", ["wire first", "desk first"])
def test_the_full_text_match_fires_once_in_the_poll_that_stored_the_text(
    world: World, order: str
) -> None:
    world.carry(backlog_done=True)
    first, second = (world.wire, world.desk) if order == "wire first" else (world.desk, world.wire)
    outcomes = {f.name: refresh_feed(f, world.app.ctx) for f in (first, second)}
    assert outcomes["Desk"].matches == 1
    assert outcomes["Wire"].matches == 0
    refresh_feed(world.desk, world.app.ctx)  # nothing new: nothing fires again
    [alert] = world.rogun_alerts()
    assert alert["source"] == "Desk"
    assert alert["also_reported_by"] == ["Wire"]
    assert alert["url"] == world.page  # no utm_source, no #top


def test_a_wire_backlog_then_the_desk_text_fires_in_the_desk_poll(world: World) -> None:
    world.feeds.set("/desk.xml", rss([world.item("https://old.example.org/d", "old")]))
    refresh_feed(world.desk, world.app.ctx)  # the desk's backlog is an older item
    world.clock.advance(minutes=20)
    world.carry(backlog_done=False)
    assert refresh_feed(world.wire, world.app.ctx).matches == 0  # the wire's backlog
    assert refresh_feed(world.desk, world.app.ctx).matches == 1
    assert len(world.rogun_alerts()) == 1


def test_text_stored_in_a_first_poll_is_backlog_and_never_fires(world: World) -> None:
    world.carry(backlog_done=False)
    assert refresh_feed(world.desk, world.app.ctx).matches == 0  # backlog: stored, not alerted
    world.clock.advance(minutes=20)
    assert refresh_feed(world.wire, world.app.ctx).matches == 0
    assert world.rogun_alerts() == []


class TurnStore(Store):
    """A real store whose saves wait until both polls have read what the store knew (so each
    took the article as new) and then go in the order the test gives."""

    def __init__(self, store: Store, both_read: threading.Barrier, turn: threading.Event):
        super().__init__(store.db)
        self.both_read, self.turn = both_read, turn
        self.done = threading.Event()

    def save_articles(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        self.both_read.wait(timeout=10)
        assert self.turn.wait(timeout=10)
        try:
            return super().save_articles(*args, **kwargs)
        finally:
            self.done.set()


@pytest.mark.parametrize("winner", ["wire", "desk"])
def test_both_feeds_polled_at_the_same_moment_fire_once(world: World, winner: str) -> None:
    world.carry(backlog_done=True)
    both_read = threading.Barrier(2)
    stores = {name: TurnStore(world.app.store, both_read, threading.Event()) for name in "wd"}
    first, second = (stores["w"], stores["d"]) if winner == "wire" else (stores["d"], stores["w"])
    first.turn.set()
    outcomes = {}

    def poll(feed, store: TurnStore) -> None:  # noqa: ANN001
        outcomes[feed.name] = refresh_feed(feed, replace(world.app.ctx, store=store))

    threads = [
        threading.Thread(target=poll, args=(world.wire, stores["w"])),
        threading.Thread(target=poll, args=(world.desk, stores["d"])),
    ]
    for t in threads:
        t.start()
    assert first.done.wait(timeout=20)
    second.turn.set()
    for t in threads:
        t.join(timeout=20)
    assert outcomes["Desk"].matches == 1 and outcomes["Wire"].matches == 0
    text = world.app.db.query("SELECT text FROM articles WHERE url LIKE '%summit.html'")[0][0]
    assert "Rogun dam would continue" in text
    [alert] = world.rogun_alerts()
    assert alert["source"] == "Desk" and alert["url"] == world.page
