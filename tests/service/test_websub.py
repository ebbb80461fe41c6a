"""WebSub (DESIGN §17) against a real hub on loopback: the service subscribes to the hub its
feed names, its web page answers the verification, a push reaches the signed webhook once
(and the poll that later sees the same item alerts nothing), a forged push is dropped, a
verification never asked for is refused, a lease is renewed before it ends (injected clock),
a feed removed from the config is unsubscribed, and a restart subscribes again."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from conftest import WEBHOOK_SECRET, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, free_port, webhook_json

from monitor import metrics
from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.service.app import poll_feeds, send_instant_digests
from monitor.service.scheduler import Service
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.service.web.websub import websub_routes
from monitor.sources.websub import callback_id
from testsupport.websub_hub import WebSubHub

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = 3600


def wait_for(condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def story(n: int, when: datetime, text: str) -> dict:
    return {
        "title": f"Story {n}",
        "link": f"https://example.org/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": when,
    }


def with_hub(document: bytes, hub: str, topic: str) -> bytes:
    """The feed naming its hub and its own URL in its head, as WordPress feeds do."""
    return document.replace(
        b'<rss version="2.0">', b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
    ).replace(
        b"<channel>",
        f'<channel><atom:link rel="hub" href="{hub}"/>'
        f'<atom:link rel="self" href="{topic}"/>'.encode(),
    )


@dataclass
class World:
    hub: WebSubHub
    feeds: FeedServer
    hook: WebhookReceiver
    clock: Clock
    service: Service
    web: WebServer
    topic: str
    tmp_path: Path

    @property
    def store(self):  # noqa: ANN201
        return self.service.app.store

    @property
    def callback(self) -> str:
        return f"http://127.0.0.1:{self.web.port}/websub/{callback_id(self.topic)}"

    def serve(self, *items: dict) -> bytes:
        body = with_hub(rss(list(items)), self.hub.url, self.topic)
        self.feeds.set("/desk.xml", body)
        return body

    def poll(self) -> None:
        poll_feeds(self.service.app, self.service.app.config.feeds)
        send_instant_digests(self.service.app)

    def subscribed(self, requests: int = 1) -> None:
        """Tend the subscriptions and wait for the hub's verification to be answered."""
        self.service.tend_subscriptions()
        wait_for(lambda: len(self.hub.log.verifications) >= requests)


def config_text(tmp_path: Path, port: int, topic: str, hook: WebhookReceiver) -> str:
    return f"""
        database: {tmp_path / "monitor.db"}
        public_url: http://127.0.0.1:{port}
        web: {{listen: "127.0.0.1:{port}"}}
        allow_private_networks: true
        feeds: [{{url: "{topic}", name: Desk, interval: 5m}}]
        rules: [{{name: Rogun, any: [Rogun], digest: instant}}]
        digests: {{instant: {{schedule: instant, channels: [hook]}}}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
        """


def start(config_path: Path, clock: Clock, port: int) -> tuple[Service, WebServer]:
    service = Service(load_config(config_path), clock=clock)
    app = make_app(
        service.app.config,
        service.app.db,
        clock=clock,
        service=service,
        websub=websub_routes(service.subscriber),
    )
    return service, WebServer(app, "127.0.0.1", port, token=None).start()


@pytest.fixture
def world(tmp_path: Path, feeds: FeedServer, hook: WebhookReceiver) -> Iterator[World]:
    hub = WebSubHub(lease_seconds=LEASE)
    clock = Clock(T0)
    topic = feeds.url("/desk.xml")
    port = free_port()
    path = write_config(tmp_path, config_text(tmp_path, port, topic, hook))
    service, web = start(path, clock, port)
    w = World(hub, feeds, hook, clock, service, web, topic, tmp_path)
    w.serve(story(1, T0 - timedelta(days=1), "Old Rogun news."))
    w.poll()  # the first poll: the backlog, and the hub the feed names
    yield w
    web.stop()
    service.shutdown()
    hub.close()


def pushes(result: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value("news_monitor_websub_pushes_total", {"result": result})
        or 0.0
    )


def test_subscribes_and_a_pushed_item_is_alerted_once_across_push_and_poll(world: World) -> None:
    assert world.store.subscription(world.topic).state == "discovered"
    world.subscribed()
    assert world.hub.log.verifications == [("subscribe", world.topic, 200)]
    [asked] = world.hub.log.requests
    assert asked["hub.callback"] == world.callback and asked["hub.secret"]
    subscription = world.store.subscription(world.topic)
    assert subscription.state == "active"
    assert subscription.lease_until == T0 + timedelta(seconds=LEASE)
    shown = f"push active via {world.hub.url}, lease until 2026-11-02 10:00 UTC"
    listed = CliRunner().invoke(main, ["feeds", "--config", str(world.tmp_path / "monitor.yaml")])
    assert shown in listed.output
    assert shown in requests.get(f"http://127.0.0.1:{world.web.port}/feeds", timeout=10).text

    world.clock.advance(minutes=1)
    body = world.serve(
        story(1, T0 - timedelta(days=1), "Old Rogun news."),
        story(2, world.clock.now - timedelta(seconds=30), "Rogun dam: a new tunnel."),
    )
    assert world.hub.publish(world.topic, body) == [202]
    wait_for(lambda: world.hook.deliveries)
    [article] = webhook_json(world.hook.deliveries[0])["rules"][0]["articles"]
    assert article["title"] == "Story 2"
    assert article["detected_at"] == "2026-11-02T09:01:00Z"

    world.clock.advance(minutes=10)
    world.poll()  # the feed lists the pushed item too: stored and alerted once
    assert len(world.hook.deliveries) == 1
    row = next(r for r in world.store.feed_health() if r.url == world.topic)
    assert row.next_check_at is not None and row.last_polled_at is not None
    assert row.next_check_at - row.last_polled_at >= timedelta(hours=6)  # push_poll while the hub pushes


def test_a_forged_push_is_dropped_and_counted(world: World) -> None:
    world.subscribed()
    forged = with_hub(
        rss([story(3, world.clock.now, "Rogun: a forged story.")]), world.hub.url, world.topic
    )
    before = pushes("bad_signature"), pushes("accepted")
    assert world.hub.forge(world.callback, world.topic, forged) == 202
    assert (pushes("bad_signature"), pushes("accepted")) == (before[0] + 1, before[1])
    assert world.store.known(world.topic, ["g3"], []).seen_guids == frozenset()
    world.poll()
    assert world.hook.deliveries == []
    # a POST to a callback that is no subscription of ours tells the hub to stop
    assert world.hub.forge(world.callback + "0", world.topic, forged) == 410


def test_a_verification_never_asked_for_is_refused(world: World) -> None:
    assert world.hub.verify_unasked(world.callback, world.topic) == 404  # discovered, not asked
    world.subscribed()
    assert world.hub.verify_unasked(world.callback, "https://evil.example/feed") == 404
    assert world.hub.verify_unasked(world.callback, world.topic, mode="unsubscribe") == 404
    unknown = world.callback.rsplit("/", 1)[0] + "/0123456789abcdef0123"
    assert world.hub.verify_unasked(unknown, world.topic) == 404
    assert world.store.subscription(world.topic).state == "active"  # still ours


def test_the_lease_is_renewed_before_it_ends(world: World) -> None:
    world.subscribed()
    world.clock.advance(seconds=LEASE * 0.5)
    world.service.tend_subscriptions()
    assert len(world.hub.log.requests) == 1  # not yet
    world.clock.advance(seconds=LEASE * 0.35)  # 85% of the lease: before it ends
    world.subscribed(requests=2)
    assert [r["hub.mode"] for r in world.hub.log.requests] == ["subscribe", "subscribe"]
    renewed = world.store.subscription(world.topic)
    assert renewed.state == "active"
    assert renewed.lease_until == world.clock.now + timedelta(seconds=LEASE)


def test_a_feed_removed_from_the_config_is_unsubscribed(world: World) -> None:
    world.subscribed()
    text = config_text(world.tmp_path, world.web.port, world.topic, world.hook)
    path = write_config(world.tmp_path, text.replace("feeds: [", "feeds: [] #"))
    assert world.service.reload()
    world.subscribed(requests=2)
    assert world.hub.log.requests[-1]["hub.mode"] == "unsubscribe"
    assert world.hub.log.verifications[-1] == ("unsubscribe", world.topic, 200)
    assert world.store.subscription(world.topic) is None
    assert world.hub.subscribers(world.topic) == []
    assert path.exists()


def test_a_restart_subscribes_again(world: World) -> None:
    world.subscribed()
    world.web.stop()
    world.service.shutdown()
    world.clock.advance(minutes=30)
    path = world.tmp_path / "monitor.yaml"
    world.service, world.web = start(path, world.clock, world.web.port)
    world.service.resume_subscriptions()
    world.subscribed(requests=2)
    assert [r["hub.mode"] for r in world.hub.log.requests] == ["subscribe", "subscribe"]
    assert world.store.subscription(world.topic).lease_until == world.clock.now + timedelta(
        seconds=LEASE
    )
