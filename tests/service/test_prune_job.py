"""The service prunes once a day on its own, with the config's retention and its clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import poll_feeds
from monitor.service.scheduler import Service


def test_the_daily_prune_job_deletes_what_is_past_retention(
    tmp_path: Path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/feed.xml", rss([{"title": "Old story", "link": "https://example.org/1"}]))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}"}}]
        retention: {{articles: 30d}}
        """,
    )
    service = Service(load_config(path), clock=clock)
    poll_feeds(service.app, service.app.config.feeds)
    service.schedule_jobs()
    job = service.scheduler.get_job("prune")
    assert job.trigger.interval == timedelta(days=1)

    clock.advance(days=29)
    job.func()
    assert service.app.db.query("SELECT COUNT(*) FROM articles")[0][0] == 1
    clock.advance(days=2)
    job.func()
    assert service.app.db.query("SELECT COUNT(*) FROM articles")[0][0] == 0
