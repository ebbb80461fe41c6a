"""Spike alerts against a 7-day baseline built by real polls on an injected clock: the alert is
an entry of its own (count, usual count, top stories), at most once per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import WEBHOOK_SECRET, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json

from alerts.records import digest_from_json
from alerts.render import render_text
from monitor.config.load import load_config
from monitor.digest.spikes import is_spike, usual_count
from monitor.service.app import build_app, run_once

NOW = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)


class Wire:
    def __init__(self, tmp_path, feeds: FeedServer, hook: WebhookReceiver, clock: Clock) -> None:  # noqa: ANN001
        self.feeds, self.clock, self.items = feeds, clock, []
        url = feeds.set("/wire.xml", rss([self.item("Old news.")]))
        path = write_config(
            tmp_path,
            f"""
            database: {tmp_path / "monitor.db"}
            feeds: [{{url: "{url}", name: Wire}}]
            rules:
              - name: Rogun
                any: [Rogun]
                digest: instant
                spike: {{window: 1h, factor: 3, min: 5}}
            digests:
              instant: {{schedule: instant, channels: [hook]}}
            channels:
              hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
            """,
        )
        self.app = build_app(load_config(path), clock=clock)
        run_once(self.app)

    def item(self, text: str) -> dict:
        n = len(self.items)
        item = {
            "title": f"Story {n}",
            "link": f"https://news.example.org/{n}",
            "guid": f"g{n}",
            "description": text,
            "pubDate": self.clock.now - timedelta(minutes=1),
        }
        self.items.append(item)
        return item

    def publish(self, *texts: str) -> None:
        for text in texts:
            self.item(text)
        self.feeds.set("/wire.xml", rss(self.items[-40:]))
        run_once(self.app)


def baseline(wire: Wire, per_day: int) -> None:
    """`per_day` matches in the same hour of each of the last 7 days."""
    for day in range(7, 0, -1):
        wire.clock.now = NOW - timedelta(days=day, minutes=20)
        wire.publish(*[f"Rogun, day {day}, story {i}." for i in range(per_day)])


def spikes(hook: WebhookReceiver) -> list[dict]:
    return [s for d in hook.deliveries for s in webhook_json(d).get("spikes", [])]


def test_a_spike_against_the_7_day_baseline_is_an_entry_of_its_own_once_per_window(
    tmp_path, feeds, hook
) -> None:
    clock = Clock(NOW - timedelta(days=8))
    wire = Wire(tmp_path, feeds, hook, clock)
    baseline(wire, per_day=1)
    assert spikes(hook) == []

    clock.now = NOW - timedelta(minutes=40)
    wire.publish("Rogun one.", "Rogun two.", "Rogun three.", "Rogun four.")
    assert spikes(hook) == []  # 4 < min 5
    clock.now = NOW
    wire.publish("Rogun dam breach, the fifth story in an hour.")
    [spike] = spikes(hook)
    assert spike["rule"] == "Rogun" and spike["window"] == "1h"
    assert spike["count"] == 5 and spike["usual"] == 1
    assert spike["started_at"] == "2026-11-09T11:00:00Z"
    assert len(spike["articles"]) == 5
    assert {a["title"] for a in spike["articles"]} >= {"Story 12"}

    # in words too: the text digest of the run that carried it
    [payload] = wire.app.db.query(
        "SELECT payload FROM digest_runs ORDER BY created_at DESC LIMIT 1"
    )
    text = render_text(digest_from_json(payload[0]))
    assert "== Spike: Rogun: 5 matches in 1h, usually 1 (since 2026-11-09 11:00 UTC) ==" in text

    clock.advance(minutes=30)  # still the same window: no second alert
    wire.publish("Rogun six.", "Rogun seven.")
    assert len(spikes(hook)) == 1
    clock.advance(minutes=31)
    wire.publish("Rogun eight.", "Rogun nine.", "Rogun ten.", "Rogun eleven.")
    assert len(spikes(hook)) == 2


def test_a_busy_usual_needs_a_bigger_spike(tmp_path, feeds, hook) -> None:
    clock = Clock(NOW - timedelta(days=8))
    wire = Wire(tmp_path, feeds, hook, clock)
    baseline(wire, per_day=2)  # usual 2: factor 3 wants 6
    clock.now = NOW
    wire.publish(*[f"Rogun {i}." for i in range(5)])
    assert spikes(hook) == []
    clock.advance(minutes=1)
    wire.publish("Rogun, the sixth.")
    assert [s["count"] for s in spikes(hook)] == [6]


@pytest.mark.parametrize(
    ("daily", "usual"), [([0, 0, 0, 0, 0, 0, 0], 0), ([1, 9, 1, 2, 1, 0, 1], 1), ([2, 4], 3)]
)
def test_usual_is_the_median(daily, usual) -> None:
    assert usual_count(daily) == usual


@pytest.mark.parametrize(
    ("count", "usual", "spike"), [(5, 0, True), (4, 0, False), (5, 2, False), (6, 2, True)]
)
def test_is_spike(count, usual, spike) -> None:
    assert is_spike(count, usual, factor=3, minimum=5) is spike
