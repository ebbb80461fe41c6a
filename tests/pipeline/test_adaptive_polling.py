"""`interval: auto` end to end: feeds on loopback, a real SQLite file, an injected clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import build_app, due_feeds, poll_feeds
from monitor.store.records import FeedHealth

CONFIG = """
database: {db}
defaults:
  interval: auto
  min_interval: 2m
  max_interval: 6h
feeds:
  - url: {busy}
    name: Busy
  - url: {quiet}
    name: Quiet
  - url: {fixed}
    name: Fixed
    interval: 15m
"""


def items(clock: Clock, published: list[timedelta], prefix: str) -> bytes:
    return rss(
        [
            {
                "title": f"{prefix} {n}",
                "link": f"https://example.org/{prefix}/{n}",
                "guid": f"{prefix}-{n}",
                "pubDate": clock.now - age,
            }
            for n, age in enumerate(published)
        ]
    )


def test_a_busy_feed_is_polled_often_and_a_quiet_one_rarely(
    tmp_path: Path, feeds: FeedServer, clock: Clock
) -> None:
    start = clock.now
    # the quiet feed's items are months old; the busy one publishes every three minutes
    quiet = feeds.set("/quiet.xml", items(clock, [timedelta(days=d) for d in (40, 80, 120)], "q"))
    fixed = feeds.set("/fixed.xml", items(clock, [timedelta(days=40)], "f"))
    busy_published: list = []

    def publish_busy() -> str:
        body = rss(
            [
                {
                    "title": f"b {n}",
                    "link": f"https://example.org/b/{n}",
                    "guid": f"b-{n}",
                    "pubDate": when,
                }
                for n, when in enumerate(busy_published[-20:])
            ]
        )
        return feeds.set("/busy.xml", body)

    busy_published.append(clock.now)
    busy = publish_busy()
    config = write_config(
        tmp_path, CONFIG.format(db=tmp_path / "m.db", busy=busy, quiet=quiet, fixed=fixed)
    )
    app = build_app(load_config(config), clock=clock)
    for minute in range(180):
        if minute % 3 == 0 and minute:
            busy_published.append(clock.now)
            publish_busy()
        poll_feeds(app, due_feeds(app))
        clock.advance(minutes=1)

    asked = feeds.requests
    assert asked["/busy.xml"] >= 3 * asked["/quiet.xml"]
    assert asked["/busy.xml"] >= 40  # about every 2-4 minutes once its rate is known
    assert asked["/fixed.xml"] >= 11  # a fixed interval is kept as written
    rows = {r.url: r for r in app.store.feed_health()}
    # after its last poll the quiet feed waits max_interval; the busy one a few minutes
    assert gap(rows[quiet]) >= timedelta(hours=6)
    assert gap(rows[busy]) <= timedelta(minutes=4)
    assert clock.now - start == timedelta(hours=3)


def gap(row: FeedHealth) -> timedelta:
    assert row.next_check_at is not None and row.last_polled_at is not None
    return row.next_check_at - row.last_polled_at


def test_backoff_and_retry_after_still_apply_to_an_adaptive_feed(
    tmp_path: Path, feeds: FeedServer, clock: Clock
) -> None:
    failing = feeds.fail("/limited.xml", 503, {"Retry-After": "7200"})
    config = write_config(
        tmp_path,
        f"database: {tmp_path / 'm.db'}\ndefaults: {{interval: auto}}\n"
        f"feeds:\n  - url: {failing}\n",
    )
    app = build_app(load_config(config), clock=clock)
    poll_feeds(app, due_feeds(app))
    row = app.store.feed_health()[0]
    assert row.next_check_at is not None and row.next_check_at >= clock.now + timedelta(hours=2)
