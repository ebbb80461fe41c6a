"""Source health on real polls: a failing feed gets one notice and one more when it recovers, a
silent feed one notice, judged by its own usual gap; payloads as a signed-webhook receiver sees
them, and a scheduled digest's "Sources" section."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import WEBHOOK_SECRET, Clock, rss, write_config
from servers import WebhookReceiver, webhook_json
from werkzeug.wrappers import Response

from alerts.records import FeedNote
from alerts.render import render_html, render_text
from monitor.config.load import HealthConfig, load_config
from monitor.digest.health import FeedFacts, Observed, changes, observe, source_notes, usual_gap
from monitor.digest.release import open_due_run
from monitor.service.app import App, build_app, run_once, send_scheduled_digest

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Feed:
    """A feed on 127.0.0.1 whose body and status the test sets."""

    def __init__(self, httpserver, path: str, items: list[dict]) -> None:  # noqa: ANN001
        self.status, self.body = 200, rss(items)
        httpserver.expect_request(path).respond_with_handler(
            lambda request: Response(
                self.body if self.status == 200 else b"down",
                status=self.status,
                headers={"Content-Type": "application/rss+xml"},
            )
        )
        self.url = httpserver.url_for(path)


def items(last: datetime, every: timedelta, n: int, prefix: str) -> list[dict]:
    return [
        {
            "title": f"{prefix} {i}",
            "link": f"https://news.example.org/{prefix}/{i}",
            "guid": f"{prefix}{i}",
            "description": "Routine news.",
            "pubDate": last - every * i,
        }
        for i in range(n)
    ]


def health_app(tmp_path: Path, hook: WebhookReceiver, clock: Clock, feeds: str) -> App:
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
{feeds}
        rules:
          - {{name: Rogun, any: [Rogun], digest: ops}}
        digests:
          ops: {{schedule: instant, channels: [hook]}}
          morning: {{schedule: "0 8 * * *", channels: [hook]}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
        health: {{digest: ops, failing_for: 1h, silent_after: 5}}
        """,
    )
    return build_app(load_config(path), clock=clock)


def notices(hook: WebhookReceiver) -> list[dict]:
    return [b for b in map(webhook_json, hook.deliveries) if b["type"] == "health"]


def test_a_failing_feed_gets_one_notice_and_one_more_when_it_recovers(
    tmp_path, httpserver, hook
) -> None:
    clock = Clock(T0)
    feed = Feed(httpserver, "/desk.xml", items(T0, timedelta(hours=2), 3, "desk"))
    # credentials in the URL (the operator's choice) must never reach a notice
    url = feed.url.replace("http://", "http://reader:hunter2@")
    app = health_app(tmp_path, hook, clock, f'          - {{url: "{url}", name: Desk}}')
    run_once(app)
    feed.status = 503
    clock.advance(minutes=10)
    run_once(app)  # failing since now, but not for an hour yet
    clock.advance(minutes=40)
    run_once(app)
    assert notices(hook) == []

    clock.advance(minutes=25)  # 65 minutes of failures
    run_once(app)
    run_once(app)
    clock.advance(hours=3)
    app = build_app(app.config, clock=clock)  # a restart: still one notice
    run_once(app)
    [failing] = notices(hook)
    assert set(failing) == {"type", "id", "digest", "created_at", "feeds"}
    assert failing["digest"] == "ops"
    [note] = failing["feeds"]
    assert set(note) == {"name", "url", "state", "since", "error"}
    assert note["name"] == "Desk" and note["state"] == "failing"
    assert note["since"] == "2026-11-02T09:10:00Z"
    assert "503" in note["error"]
    assert "hunter2" not in str(failing) and "reader" not in str(failing)
    assert note["url"] == feed.url

    feed.status = 200
    clock.advance(minutes=5)
    run_once(app)
    run_once(app)
    assert [n["feeds"][0]["state"] for n in notices(hook)] == ["failing", "recovered"]
    recovered = notices(hook)[1]["feeds"][0]
    assert recovered["since"] == "2026-11-02T13:20:00Z" and recovered["error"] is None
    assert len({d["id"] for d in hook.deliveries}) == len(hook.deliveries)


def test_a_short_failure_says_nothing(tmp_path, httpserver, hook) -> None:
    clock = Clock(T0)
    feed = Feed(httpserver, "/desk.xml", items(T0, timedelta(hours=2), 3, "desk"))
    app = health_app(tmp_path, hook, clock, f'          - {{url: "{feed.url}", name: Desk}}')
    run_once(app)
    feed.status = 500
    clock.advance(minutes=30)
    run_once(app)
    feed.status = 200
    clock.advance(minutes=50)
    run_once(app)
    clock.advance(minutes=50)
    run_once(app)
    assert notices(hook) == []


def test_silence_is_judged_by_each_feeds_own_usual_gap(tmp_path, httpserver, hook) -> None:
    clock = Clock(T0)
    # one feed posts every 6 h (silent after 5 x 6 h = 30 h), the other daily (after 5 days)
    busy = Feed(
        httpserver, "/busy.xml", items(T0 - timedelta(hours=1), timedelta(hours=6), 10, "b")
    )
    daily = Feed(
        httpserver, "/daily.xml", items(T0 - timedelta(hours=1), timedelta(days=1), 10, "d")
    )
    app = health_app(
        tmp_path,
        hook,
        clock,
        f'          - {{url: "{busy.url}", name: Busy}}\n'
        f'          - {{url: "{daily.url}", name: Daily}}',
    )
    run_once(app)  # the backlog: the feeds' history
    clock.advance(hours=29)
    run_once(app)
    assert notices(hook) == []
    clock.advance(hours=2)
    run_once(app)
    clock.advance(hours=2)
    run_once(app)
    [notice] = notices(hook)
    assert [(n["name"], n["state"], n["since"]) for n in notice["feeds"]] == [
        ("Busy", "silent", "2026-11-02T09:00:00Z")
    ]

    [listed] = source_notes(app.db, app.config, clock.now)  # what a scheduled digest lists
    assert (listed.name, listed.state) == ("Busy", "silent")


def test_a_scheduled_digest_ends_with_the_sources_failing_or_silent(
    tmp_path, httpserver, hook
) -> None:
    clock = Clock(T0)
    feed = Feed(httpserver, "/desk.xml", items(T0, timedelta(hours=2), 3, "desk"))
    app = health_app(tmp_path, hook, clock, f'          - {{url: "{feed.url}", name: Desk}}')
    run_once(app)
    feed.status = 500
    clock.advance(minutes=5)
    run_once(app)
    morning = replace(app.config.digests["morning"], send_empty=True)
    notes = source_notes(app.db, app.config, clock.now)
    opened = open_due_run(app.db, app.config, morning, clock.now, scheduled=True, feeds=notes)
    assert opened.opened is not None
    line = "Desk is failing since 2026-11-02 09:05 UTC: HTTP 500"
    assert f"== Sources ==\n* {line}" in render_text(opened.opened)
    assert f"<li>{line}</li>" in render_html(opened.opened)
    # delivered through the outbox (here by the next cron run's send), the JSON lists it too
    send_scheduled_digest(app, "morning")
    [sent] = [webhook_json(d) for d in hook.deliveries if webhook_json(d)["digest"] == "morning"]
    assert sent["sources"][0]["state"] == "failing"


FACTS = FeedFacts(url="u", name="Desk")


@pytest.mark.parametrize(
    ("gaps_h", "expected_h"),
    [((6, 6, 6, 6), 6), ((1, 6, 6, 48, 6), 6), ((6, 6, 6), None), ((), None)],
)
def test_usual_gap_is_the_median_and_needs_history(gaps_h, expected_h) -> None:
    times = [T0]
    for gap in gaps_h:
        times.append(times[-1] + timedelta(hours=gap))
    assert usual_gap(times) == (timedelta(hours=expected_h) if expected_h else None)


def test_silence_never_comes_sooner_than_a_day() -> None:
    times = tuple(T0 + timedelta(minutes=10 * i) for i in range(10))
    facts = FeedFacts(url="u", name="Desk", item_times=times, last_new=times[-1])
    health = HealthConfig(digest="ops", silent_after=5)
    assert observe(facts, health, times[-1] + timedelta(hours=23)).state == "ok"
    assert observe(facts, health, times[-1] + timedelta(hours=24)).state == "silent"


@pytest.mark.parametrize(
    ("state", "before", "notes", "after"),
    [
        ("failing", "ok", ["failing"], "failing"),
        ("failing", "failing", [], None),
        ("starting", "failing", [], None),  # failing again after a retry: still the same outage
        ("ok", "failing", ["recovered"], "ok"),
        ("silent", "failing", ["recovered"], "ok"),  # silence is the next check's notice
        ("silent", "ok", ["silent"], "silent"),
        ("silent", "silent", [], None),
        ("ok", "silent", [], "ok"),
        ("starting", "ok", [], None),
    ],
)
def test_changes_say_each_state_once(state, before, notes, after) -> None:
    note = (
        FeedNote(name="Desk", url="u", state=state, since=T0)
        if state in ("failing", "silent")
        else None
    )
    observed = [Observed(url="u", state=state, note=note)]
    found, states = changes(observed, {"u": before}, {"u": FACTS}, T0)
    assert [n.state for n in found] == notes
    assert states.get("u") == after
