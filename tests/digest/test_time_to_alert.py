"""Time to alert (DESIGN §17): each entry says when it was published and first seen, in the
webhook's JSON and in `digest preview --json`; /metrics holds both delays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import WEBHOOK_SECRET, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json

from monitor import metrics
from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.service.app import build_app, poll_feeds, send_instant_digests

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def story(n: int, when: datetime, text: str = "Rogun dam news.") -> dict:
    return {
        "title": f"Story {n}",
        "link": f"https://example.org/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": when,
    }


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_published_and_detected_at_reach_the_receiver_and_the_delays_are_measured(
    tmp_path: Path, feeds: FeedServer, hook: WebhookReceiver
) -> None:
    clock = Clock(T0)
    url = feeds.set("/desk.xml", rss([story(1, T0 - timedelta(days=2))]))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}", name: Desk}}]
        rules: [{{name: Rogun, any: [Rogun], digest: instant}}]
        digests: {{instant: {{schedule: instant, channels: [hook]}}}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
        """,
    )
    app = build_app(load_config(path), clock=clock)
    detected = (
        sample("news_monitor_detection_delay_seconds_count"),
        sample("news_monitor_detection_delay_seconds_sum"),
    )
    labels = {"channel": "hook"}
    delivered = (
        sample("news_monitor_delivery_delay_seconds_count", labels),
        sample("news_monitor_delivery_delay_seconds_sum", labels),
    )
    poll_feeds(app, app.config.feeds)  # the backlog: stored, not alerted, not a detection delay

    clock.advance(minutes=15)
    published = clock.now - timedelta(seconds=90)
    feeds.set(
        "/desk.xml",
        rss(
            [
                story(1, T0 - timedelta(days=2)),
                story(2, published),
                story(3, clock.now.replace(hour=0, minute=0, second=0), "A bare date."),
            ]
        ),
    )
    poll_feeds(app, app.config.feeds)
    assert sample("news_monitor_detection_delay_seconds_count") - detected[0] == 1
    assert sample("news_monitor_detection_delay_seconds_sum") - detected[1] == 90

    preview = CliRunner().invoke(
        main, ["digest", "preview", "instant", "--json", "--config", str(path)]
    )
    assert preview.exit_code == 0, preview.output
    [previewed] = json.loads(preview.output)["rules"][0]["articles"]
    assert previewed["published"] == "2026-11-02T09:13:30Z"
    assert previewed["detected_at"] == "2026-11-02T09:15:00Z"

    clock.advance(seconds=20)
    send_instant_digests(app)
    [delivery] = hook.deliveries
    [article] = webhook_json(delivery)["rules"][0]["articles"]
    assert (article["published"], article["detected_at"]) == (
        previewed["published"],
        previewed["detected_at"],
    )
    assert sample("news_monitor_delivery_delay_seconds_count", labels) - delivered[0] == 1
    assert sample("news_monitor_delivery_delay_seconds_sum", labels) - delivered[1] == 20
    assert b"news_monitor_detection_delay_seconds_bucket" in metrics.exposition()
