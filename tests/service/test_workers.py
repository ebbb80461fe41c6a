"""Several workers on one database (DESIGN §15), on SQLite and on PostgreSQL: each due feed is
polled by one worker once per interval, a dead worker's feeds are taken over when its leases
run out, and a cron digest's time opens one run however many workers fire."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import Config, load_config
from monitor.service.app import claim_due_feeds, run_once
from monitor.service.scheduler import CLAIM_AHEAD, LEASE_SECONDS, Service

FEEDS = CLAIM_AHEAD + 6  # more than one worker claims at once: the second gets the rest


def config(tmp_path: Path, database: str, urls: list[str], send_empty: bool = False) -> Config:
    feeds = "\n".join(f"  - url: {url}" for url in urls)
    return load_config(
        write_config(
            tmp_path,
            f"""
database: {database}
allow_private_networks: true
feeds:
{feeds}
rules:
  - name: SCO
    any: [SCO]
    digest: daily
digests:
  daily: {{schedule: "0 8 * * *", channels: [archive], send_empty: {str(send_empty).lower()}}}
channels:
  archive: {{type: file, path: {tmp_path / "digests"}}}
""",
        )
    )


def serve(feeds: FeedServer, clock: Clock, count: int = FEEDS) -> list[str]:
    return [
        feeds.set(
            f"/{n}.xml",
            rss([{"title": f"SCO {n}", "link": f"https://example.org/{n}", "pubDate": clock.now}]),
        )
        for n in range(count)
    ]


def settle(*services: Service) -> None:
    deadline = time.monotonic() + 30
    while any(s.app._in_flight for s in services) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(s.app._in_flight for s in services)


def test_two_workers_poll_each_feed_once_per_interval(
    tmp_path: Path, database_url: str, feeds: FeedServer, clock: Clock
) -> None:
    cfg = config(tmp_path, database_url, serve(feeds, clock))
    one = Service(cfg, clock=clock, worker="one")
    two = Service(cfg, clock=clock, worker="two")
    try:
        for interval in (1, 2):
            # one claims a pool's worth, the other (or one, as its polls end) the rest
            assert one.tick() == CLAIM_AHEAD
            two.tick()
            settle(one, two)
            assert [one.tick(), two.tick()] == [0, 0]  # polled: not due again this interval
            assert set(feeds.requests.values()) == {interval}  # each feed once, in all
            clock.advance(minutes=20)
    finally:
        one.shutdown()
        two.shutdown()


def test_a_dead_workers_feeds_are_polled_once_its_leases_run_out(
    tmp_path: Path, database_url: str, feeds: FeedServer, clock: Clock
) -> None:
    cfg = config(tmp_path, database_url, serve(feeds, clock, count=4))
    survivor = Service(cfg, clock=clock, worker="survivor")
    try:
        # A worker claims every feed and dies before polling any (SIGKILL: no clean release).
        dead = claim_due_feeds(
            survivor.app, owner="killed", lease=timedelta(seconds=LEASE_SECONDS), limit=10
        )
        assert len(dead) == 4
        assert survivor.tick() == 0  # the leases still run
        clock.advance(seconds=LEASE_SECONDS - 1)
        assert survivor.tick() == 0
        clock.advance(seconds=2)
        assert survivor.tick() == 4  # run out: taken over
        settle(survivor)
        assert set(feeds.requests.values()) == {1}
    finally:
        survivor.shutdown()


def test_a_worker_stopping_cleanly_gives_its_claims_back_at_once(
    tmp_path: Path, database_url: str, feeds: FeedServer, clock: Clock
) -> None:
    cfg = config(tmp_path, database_url, serve(feeds, clock, count=3))
    leaving, staying = Service(cfg, clock=clock, worker="leaving"), Service(cfg, clock=clock)
    try:
        assert (
            len(claim_due_feeds(leaving.app, owner="leaving", lease=timedelta(hours=1), limit=3))
            == 3
        )
        leaving.shutdown()  # its pool never saw them: shutdown releases the leases
        assert staying.tick() == 3
        settle(staying)
    finally:
        staying.shutdown()


def test_run_once_polls_every_feed_through_the_claims_and_leaves_a_held_one_to_its_worker(
    tmp_path: Path, database_url: str, feeds: FeedServer, clock: Clock
) -> None:
    urls = serve(feeds, clock, count=3)
    cfg = config(tmp_path, database_url, urls)
    daemon = Service(cfg, clock=clock, worker="daemon")
    try:
        [held] = claim_due_feeds(
            daemon.app, owner="daemon", lease=timedelta(seconds=LEASE_SECONDS), limit=1
        )
        outcomes = run_once(daemon.app)  # as `run --once` beside a running worker
        assert sorted(o.url for o in outcomes) == sorted(u for u in urls if u != held.url)
        clock.advance(minutes=1)  # nothing is due yet: run --once polls every feed anyway
        assert len(run_once(daemon.app)) == 2
        leases = daemon.app.db.query("SELECT url, leased_by FROM feeds WHERE leased_by IS NOT NULL")
        assert [tuple(r) for r in leases] == [(held.url, "daemon")]  # none of its own left
        assert feeds.requests[urlsplit(held.url).path] == 0  # its worker polls it
    finally:
        daemon.shutdown()


def test_a_cron_time_opens_one_run_whichever_workers_fire(
    tmp_path: Path, database_url: str, feeds: FeedServer, clock: Clock
) -> None:
    cfg = config(tmp_path, database_url, serve(feeds, clock, count=1), send_empty=True)
    workers = [Service(cfg, clock=clock, worker=f"w{n}") for n in range(3)]
    try:
        clock.now = clock.now.replace(hour=8, minute=0, second=2)
        for worker in workers:
            worker.send_cron_digest("daily")
            clock.advance(seconds=1)  # each worker's clock fires a little later
        runs = workers[0].app.db.query("SELECT scheduled_for FROM digest_runs")
        assert [r[0] for r in runs] == ["2026-11-02T08:00:00+00:00"]
        sent = workers[0].app.db.query("SELECT status FROM deliveries")
        assert [r[0] for r in sent] == ["sent"]  # and sent once
        assert len({p.stem.rsplit("-", 1)[-1] for p in (tmp_path / "digests").iterdir()}) == 1
        clock.advance(days=1)
        workers[1].send_cron_digest("daily")  # the next day's time is a run of its own
        assert len(workers[0].app.db.query("SELECT id FROM digest_runs")) == 2
    finally:
        for worker in workers:
            worker.shutdown()
