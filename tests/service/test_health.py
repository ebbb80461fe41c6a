"""/healthz: 200 with feed and outbox figures while the scheduler ticks, 503 once it stalls."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import poll_feeds
from monitor.service.health import feed_counts, serve_health
from monitor.service.scheduler import Service
from monitor.store.records import FeedHealth


def get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def running(tmp_path: Path, feeds: FeedServer, clock: Clock) -> Iterator[tuple[Service, int]]:
    feeds.set("/ok.xml", rss([{"title": "A", "link": "https://example.org/a", "description": "x"}]))
    feeds.fail("/broken.xml", 503)
    config = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {feeds.url("/ok.xml")}
          - url: {feeds.url("/broken.xml")}
        """,
    )
    service = Service(load_config(config), clock=clock)
    # Poll before the service starts: neither feed is due at its first tick, so counts hold still.
    poll_feeds(service.app, service.app.config.feeds)
    started = threading.Event()
    thread = threading.Thread(target=service.run, kwargs={"on_started": started.set}, daemon=True)
    thread.start()
    assert started.wait(20)
    server = serve_health(service, 0)
    yield service, server.server_address[1]
    server.shutdown()
    service.stop()
    thread.join(30)


def test_healthy_service_reports_feeds_backlog_and_last_tick(
    running: tuple[Service, int], clock: Clock
) -> None:
    service, port = running
    status, body = get_health(port)
    assert status == 200
    assert body["status"] == "ok"
    assert body["feeds"]["ok"] == 1
    assert body["feeds"]["failing"] == 1
    assert body["outbox_backlog"] == 0
    assert body["last_tick"] == clock.now.isoformat()


def test_a_stalled_scheduler_turns_unhealthy_with_the_same_body(
    running: tuple[Service, int], clock: Clock
) -> None:
    service, port = running
    service.scheduler.pause()  # the tick job stops running, as it would if the scheduler hung
    clock.advance(minutes=10)
    status, body = get_health(port)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["feeds"]["failing"] == 1 and "outbox_backlog" in body


def test_a_stopped_service_is_unhealthy(running: tuple[Service, int]) -> None:
    service, port = running
    service.scheduler.shutdown(wait=True)
    status, body = get_health(port)
    assert status == 503 and body["status"] == "unhealthy"


def test_feed_counts_only_count_configured_feeds() -> None:
    polled = datetime(2026, 11, 2, 9, tzinfo=UTC)

    def state(url: str, outcome: str) -> FeedHealth:
        return replace(
            FeedHealth.unpolled(url),
            last_polled_at=polled,
            last_outcome=outcome,
            gone=outcome == "gone",
        )

    states = [state("a", "ok"), state("b", "error"), state("c", "gone"), state("removed", "error")]
    assert feed_counts(["a", "b", "c", "new"], states) == {"ok": 1, "failing": 2, "never_polled": 1}
