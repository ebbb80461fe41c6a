"""Prometheus /metrics as a dashboard reads it after real polls, matches and deliveries."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config
from prometheus_client.parser import text_string_to_metric_families

from monitor.config.load import load_config
from monitor.service.app import run_once
from monitor.service.health import serve_health
from monitor.service.scheduler import Service


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, keyed by (name, labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def service(tmp_path: Path, feeds: FeedServer, clock: Clock) -> Iterator[Service]:
    feeds.set(
        "/asia.xml",
        rss([{"title": "Dam talks", "link": "https://example.org/1", "description": "Water."}]),
    )
    feeds.fail("/broken.xml", 500)
    config = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {feeds.url("/asia.xml")}
          - url: {feeds.url("/broken.xml")}
        rules:
          - name: Rogun
            any: [Rogun]
            digest: instant
        digests:
          instant: {{schedule: instant, channels: [archive, hook]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
          hook: {{type: webhook, url: "http://127.0.0.1:{closed_port()}/hook"}}
        """,
    )
    service = Service(load_config(config), clock=clock)
    yield service
    service.shutdown()


def test_metrics_count_polls_articles_matches_deliveries_and_backlog(
    service: Service, feeds: FeedServer, clock: Clock
) -> None:
    server = serve_health(service, 0)
    port = server.server_address[1]
    try:
        before = scrape(port)
        run_once(service.app)  # first poll: the backlog is stored, never alerted
        clock.advance(minutes=20)
        feeds.set(
            "/asia.xml",
            rss(
                [
                    {
                        "title": "Dam talks",
                        "link": "https://example.org/1",
                        "description": "Water.",
                    },
                    {
                        "title": "Rogun dam",
                        "link": "https://example.org/2",
                        "description": "Rogun fills.",
                    },
                ]
            ),
        )
        run_once(service.app)
        after = scrape(port)
    finally:
        server.shutdown()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("news_monitor_polls_total", outcome="ok") == 2
    assert delta("news_monitor_polls_total", outcome="error") == 2
    assert delta("news_monitor_articles_stored_total") == 2
    assert delta("news_monitor_matches_total", rule="Rogun") == 1
    assert delta("news_monitor_deliveries_total", channel="archive", status="sent") == 1
    assert delta("news_monitor_deliveries_total", channel="hook", status="retry") == 1
    assert delta("news_monitor_poll_duration_seconds_count") == 4
    assert value(after, "news_monitor_outbox_backlog") == 1  # the webhook's delivery waits to retry


def test_metrics_and_healthz_share_one_port_and_unknown_paths_are_404(service: Service) -> None:
    server = serve_health(service, 0)
    port = server.server_address[1]
    try:
        assert "news_monitor_outbox_backlog" in {name for name, _ in scrape(port)}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing", timeout=10)
        assert missing.value.code == 404
    finally:
        server.shutdown()
