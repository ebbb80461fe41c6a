"""The service: ticks hand due feeds to the pool, cron digests fire in their timezone, signals
finish in-flight work (SIGTERM) and reload the config (SIGHUP) without losing the old one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO, Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.scheduler import Service


def config_text(tmp_path: Path, url: str) -> str:
    return f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {url}
        rules:
          - name: SCO
            any: [SCO]
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", timezone: Asia/Dushanbe, channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        """


def item(n: int, when: datetime, text: str = "News.") -> dict:
    return {
        "title": f"Story {n}",
        "link": f"https://example.org/{n}",
        "description": text,
        "pubDate": when,
    }


def wait_for(condition, timeout: float = 20.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_tick_hands_only_due_feeds_and_never_one_feed_twice(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock.now)]))
    service = Service(load_config(write_config(tmp_path, config_text(tmp_path, url))), clock=clock)
    assert service.tick() == 1
    assert service.tick() == 0  # in flight, or polled: either way not handed twice
    assert wait_for(lambda: not service.app._in_flight)
    assert service.tick() == 0  # polled: the next check is ~15 min away
    clock.advance(minutes=17)
    assert service.tick() == 1
    assert wait_for(lambda: not service.app._in_flight)
    service.shutdown()
    assert feeds.requests["/a.xml"] == 2


def test_a_cron_digest_fires_at_its_time_in_its_timezone(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock.now)]))
    service = Service(load_config(write_config(tmp_path, config_text(tmp_path, url))), clock=clock)
    trigger = service.cron_triggers()["daily"]
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(
        2026, 11, 3, 3, 0, tzinfo=UTC
    )  # 08:00 in Dushanbe (UTC+5)

    from monitor.service.app import poll_feeds

    poll_feeds(service.app, service.app.config.feeds)  # backlog
    clock.advance(minutes=20)
    feeds.set("/a.xml", rss([item(1, clock.now), item(2, clock.now, "The SCO summit opens.")]))
    poll_feeds(service.app, service.app.config.feeds)
    clock.now = fire
    service.send_cron_digest("daily")
    files = list((tmp_path / "digests").glob("*.txt"))
    assert len(files) == 1 and "Story 2" in files[0].read_text()


def test_sigterm_finishes_and_sighup_keeps_the_old_config_when_the_new_one_is_bad(
    tmp_path, feeds: FeedServer
) -> None:
    now = datetime.now(UTC)
    url = feeds.set("/a.xml", rss([item(1, now)]))
    path = write_config(tmp_path, config_text(tmp_path, url))
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "run", "--config", str(path)],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:

        def polled() -> bool:
            try:
                with sqlite3.connect(tmp_path / "monitor.db") as db:
                    return bool(db.execute("SELECT last_outcome FROM feeds").fetchone())
            except sqlite3.Error:
                return False

        assert wait_for(polled), "the service never polled its feed"
        path.write_text(path.read_text().replace("digest: daily", "digest: dayly"))
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert proc.poll() is None, "a bad config on reload must not stop the service"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    log = proc.stderr.read()
    assert "reload refused" in log and "unknown digest 'dayly'" in log
    assert "stopped" in log


def test_a_good_config_on_sighup_is_taken(tmp_path, feeds: FeedServer, clock: Clock) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock.now)]))
    path = write_config(tmp_path, config_text(tmp_path, url))
    service = Service(load_config(path), clock=clock)
    other = feeds.set("/b.xml", rss([item(5, clock.now)]))
    path.write_text(
        path.read_text().replace(f"  - url: {url}\n", f"  - url: {url}\n  - url: {other}\n")
    )
    assert service.reload() is True
    assert [f.url for f in service.app.config.feeds] == [url, other]
    path.write_text("feeds: [oops")
    assert service.reload() is False
    assert len(service.app.config.feeds) == 2
