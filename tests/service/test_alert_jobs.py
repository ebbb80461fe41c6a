"""The alert policy in the running service: its jobs are scheduled, a match polled by the pool
during quiet hours waits through a reload and goes out from the release job after the end;
a failing feed's notice comes from the health job."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import WEBHOOK_SECRET, Clock, FeedServer, rss, write_config
from servers import WebhookReceiver, webhook_json

from monitor.config.load import load_config
from monitor.service.scheduler import Service


def settle(service: Service, timeout: float = 20.0) -> None:
    """Wait for the polls the tick handed to the pool (and their instant digests)."""
    deadline = time.monotonic() + timeout
    while service.app._in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)


def story(n: int, when: datetime, text: str) -> dict:
    return {
        "title": f"Story {n}",
        "link": f"https://example.org/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": when,
    }


def config(tmp_path: Path, url: str, hook: WebhookReceiver) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}", name: Desk, interval: 5m}}]
        rules: [{{name: Rogun, any: [Rogun], digest: instant}}]
        digests:
          instant: {{schedule: instant, channels: [hook], quiet_hours: "22:00-07:00",
                     timezone: Europe/Berlin}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
        health: {{digest: instant, failing_for: 10m}}
        """,
    )


def test_the_service_holds_through_quiet_hours_and_a_reload_then_releases(
    tmp_path, feeds: FeedServer, hook
) -> None:
    clock = Clock(datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 21:00 in Berlin
    url = feeds.set("/desk.xml", rss([story(0, clock.now, "Old news.")]))
    service = Service(load_config(config(tmp_path, url, hook)), clock=clock)
    service.schedule_jobs()
    assert {"release", "health"} <= {job.id for job in service.scheduler.get_jobs()}
    service.tick()  # the backlog
    settle(service)

    clock.now = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    feeds.set("/desk.xml", rss([story(0, clock.now, "Old news."), story(1, clock.now, "Rogun.")]))
    service.tick()
    settle(service)
    service.release_held()
    assert service.reload()
    clock.now = datetime(2026, 11, 3, 5, 59, tzinfo=UTC)  # 06:59 in Berlin
    service.release_held()
    assert hook.deliveries == []

    clock.now = datetime(2026, 11, 3, 6, 0, 20, tzinfo=UTC)
    service.release_held()
    service.release_held()
    assert [webhook_json(d)["rules"][0]["articles"][0]["title"] for d in hook.deliveries] == [
        "Story 1"
    ]
    service.shutdown()


def test_the_health_job_sends_the_failing_notice(tmp_path, feeds: FeedServer, hook) -> None:
    clock = Clock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    url = feeds.fail("/desk.xml", 503)
    service = Service(load_config(config(tmp_path, url, hook)), clock=clock)
    service.tick()
    settle(service)
    clock.advance(minutes=11)
    service.tick()
    settle(service)
    service.check_health()
    service.check_health()
    [notice] = [webhook_json(d) for d in hook.deliveries]
    assert notice["type"] == "health"
    assert notice["feeds"][0]["state"] == "failing"
    assert notice["feeds"][0]["since"] == "2026-11-02T12:00:00Z"
    service.shutdown()
