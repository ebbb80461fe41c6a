"""`make bench`, several workers (DESIGN §15, issue #18): 1, 2 and 3 `news-monitor run` processes
on one throwaway PostgreSQL polling one served world, then one worker killed with SIGKILL in the
middle of a cycle; prints throughput, its scaling and the takeover, writes
bench/workers_results.json.

    python -m bench.workers [--feeds 2000] [--items 20] [--workers 1,2,3] [--kill-workers 3]
                            [--lease 20] [--small]

Each run starts from an empty database and polls two cycles: a cold one (every feed's backlog,
stored without alerts), timed from the first stored poll until every feed's is, then the world
changes (a fifth of every feed's items new) and every feed is made due at once, as when its
interval has passed: the changed cycle, whose matches go to an instant digest on a signed
webhook. The kill run takes one worker down with SIGKILL once a third of the changed cycle is
stored, and measures how long until every feed it had claimed is stored by the others. The
killed process is reaped only after that: until then its pid still answers, so the others see
what a dead worker on another machine looks like and wait for its leases to run out (on one
machine a gone pid frees them at once). Each run checks that every feed was fetched once per
cycle, every article stored once, and every delivery received once by a receiver on 127.0.0.1
that verifies signatures and counts ids.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import WATCH_RULES
from bench.server import WorldServer, serving
from bench.world import FeedDocument, World, changed, recent_epoch, story_keys
from testsupport.postgres import SKIP_REASON, Cluster, find_bin_dir
from testsupport.webhooks import WebhookReceiver

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "workers_results.json"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOSTS = 8
SAMPLE_S = 0.1  # how often the database is read while the workers run
DEADLINE_S = 1800  # a run that has not finished by then has hung
CYCLES = ("cold", "changed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    feeds: int = 2000
    items: int = 20
    workers: tuple[int, ...] = (1, 2, 3)
    kill_workers: int = 3
    lease_s: int = 20  # NEWS_MONITOR_LEASE_SECONDS of the workers: longer than any poll here


class WorkersError(Exception):
    """A worker failed or a run did not finish; the message carries the end of its log."""


class CountingServer(WorldServer):
    """The served world, counting the GETs of each feed: a feed fetched twice in one interval is
    what several workers must never do."""

    def __init__(self, world: World, *, hosts: int = HOSTS) -> None:
        super().__init__(world, hosts=hosts)
        self.gets: Counter[str] = Counter()

    def document(self, path: str) -> FeedDocument | None:
        with self._lock:
            self.gets[path] += 1
        return super().document(path)

    def take_gets(self) -> Counter[str]:
        with self._lock:
            counted, self.gets = self.gets, Counter()
        return counted


def run_bench(options: Options, workdir: Path, cluster: Cluster) -> dict[str, Any]:
    world = World(
        feeds=options.feeds,
        items=options.items,
        epoch=recent_epoch(datetime.now(UTC), options.items),
    )
    expected = {
        "cold": len(story_keys(world)),
        "changed": len(story_keys(changed(world)) - story_keys(world)),
    }
    _say(f"rendering {options.feeds} feeds of {options.items} items ({expected['cold']} articles)")
    runs = [(n, False) for n in options.workers] + [(options.kill_workers, True)]
    results = []
    for workers, kill in runs:
        # Each run starts from the same world on an empty database: the server is rendered anew.
        with serving(world, hosts=HOSTS, kind=CountingServer) as server, _receiver() as hook:
            what = "one killed with SIGKILL mid-cycle" if kill else "a cold and a changed cycle"
            _say(f"{workers} worker(s): {what}")
            place = workdir / f"{'kill' if kill else 'scale'}-{workers}"
            place.mkdir()
            config = write_config(place, cluster.new_database(), server.urls(), hook.url)
            results.append(_run(config, workers, options, server, hook, expected, kill=kill))
    scaling, kill_run = results[:-1], results[-1]
    return {
        "machine": {"cpus": os.cpu_count()},
        "world": {"feeds": options.feeds, "items": options.items, "articles": expected},
        "lease_s": options.lease_s,
        "scaling": scaling,
        "ratios": {cycle: _ratios(scaling, cycle) for cycle in CYCLES},
        "kill": kill_run,
    }


def _run(
    config: Path,
    workers: int,
    options: Options,
    server: CountingServer,
    hook: WebhookReceiver,
    expected: dict[str, int],
    *,
    kill: bool,
) -> dict[str, Any]:
    """A cold cycle (every feed's backlog, no alerts), then the world changes and every feed is
    due again: a changed cycle, whose new matches go to the webhook; one worker is killed in
    the middle of that one if told."""
    started = time.monotonic()
    run: dict[str, Any] = {"workers": workers}
    with _workers(config, workers, options, config.parent) as procs:
        db = _Watch(_database_url(config), started, config.parent)
        first = db.until(lambda: db.polled() > 0, procs)
        run["startup_s"] = round(first - started, 2)
        run["cold"] = _cycle(db, procs, options, server, first, expected["cold"])
        _say(f"  cold: {_rates(run['cold'])}")
        server.change()
        begun = db.make_due()
        run["changed"] = _cycle(db, procs, options, server, begun, expected["changed"], kill=kill)
        _say(f"  changed: {_rates(run['changed'])}")
    received = Counter(d["id"] for d in hook.deliveries)
    sent = {r[0] for r in db.rows("SELECT id FROM deliveries WHERE status = 'sent'")}
    return run | {
        "articles": db.count("SELECT count(*) FROM articles"),
        "articles_expected": expected["cold"] + expected["changed"],
        "deliveries_sent": len(sent),
        "deliveries_received": len(received),
        "deliveries_lost": len(sent - set(received)),
        "deliveries_received_twice": sorted(i for i, n in received.items() if n > 1),
        "deliveries_pending": db.count("SELECT count(*) FROM deliveries WHERE status <> 'sent'"),
    }


def _cycle(
    db: _Watch,
    procs: list[subprocess.Popen],
    options: Options,
    server: CountingServer,
    begun: float,
    expected: int,
    *,
    kill: bool = False,
) -> dict[str, Any]:
    """Wait for every feed's poll of this cycle to be stored; what it took and what it fetched."""
    taken: dict[str, Any] = {}
    live = procs
    if kill:
        db.until(lambda: db.polled() >= options.feeds // 3, procs)
        taken = _kill_one(procs[0], db, options)
        live = procs[1:]  # the killed one is not asked for its state: that would reap it
    done = db.until(lambda: db.polled() >= options.feeds, live)
    if kill:
        taken |= _takeover(db, taken, live)
        procs[0].wait()  # reaped: its outbox claims lapse now, as on a restarted host
    db.until(lambda: db.pending_deliveries() == 0, live)
    window = done - begun
    articles = db.new_articles()
    gets = server.take_gets()
    again = set(taken.pop("claimed_urls", []))
    urls = server.urls()
    return {
        "wall_s": round(window, 2),
        "feeds_per_s": round(options.feeds / window, 1),
        "articles_per_s": round(articles / window, 1),
        "articles": articles,
        "articles_expected": expected,
        "feeds_fetched_once": sum(1 for u in urls if gets[_path(u)] == 1),
        "feeds_fetched_twice_not_killed": sorted(
            u for u in urls if gets[_path(u)] > 1 and u not in again
        ),
        "feeds_not_fetched": sum(1 for u in urls if gets[_path(u)] == 0),
        **taken,
    }


def _kill_one(victim: subprocess.Popen, db: _Watch, options: Options) -> dict[str, Any]:
    """SIGKILL a worker and note what it held: its feed leases and its outbox claims."""
    victim.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    holder = f"{socket.gethostname()}:{victim.pid}"
    claimed = [r[0] for r in db.rows("SELECT url FROM feeds WHERE leased_by = %s", (holder,))]
    sending = [r[0] for r in db.rows("SELECT id FROM deliveries WHERE claimed_by = %s", (holder,))]
    until = db.rows("SELECT max(leased_until) FROM feeds WHERE leased_by = %s", (holder,))[0][0]
    left = (datetime.fromisoformat(until) - datetime.now(UTC)).total_seconds() if until else 0.0
    polled = db.polled()
    _say(f"  killed a worker holding {len(claimed)} feeds at {polled}/{options.feeds} stored")
    return {
        "killed_at_polled": polled,
        "claimed_by_killed": len(claimed),
        "claimed_urls": claimed,
        "sending_by_killed": sending,
        "lease_left_s": round(left, 1),  # until the last of its leases runs out
        "_killed": killed,
    }


def _takeover(db: _Watch, taken: dict[str, Any], live: list[subprocess.Popen]) -> dict[str, Any]:
    """How long after the kill every feed the killed worker held was stored by another."""
    claimed = taken["claimed_urls"]
    again = db.until(lambda: db.polled_of(claimed) >= len(claimed), live)
    killed = taken.pop("_killed")
    _say(f"  its {len(claimed)} feeds polled again {again - killed:.1f} s after the kill")
    return {"takeover_s": round(again - killed, 2)}


class _Watch:
    """Reads the shared database while the workers run. A feed counts as polled in this cycle
    once its next check moved past the moment the cycle began."""

    def __init__(self, url: str, started: float, logs: Path) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.started = started
        self.logs = logs
        self.since = ""  # the first cycle: every feed with a next check at all
        self.articles = 0  # stored by the cycles before

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def count(self, sql: str, params: tuple = ()) -> int:
        return int(self.rows(sql, params)[0][0])

    def polled(self) -> int:
        return self.count("SELECT count(*) FROM feeds WHERE next_check_at > %s", (self.since,))

    def polled_of(self, urls: list[str]) -> int:
        sql = "SELECT count(*) FROM feeds WHERE next_check_at > %s AND url = ANY(%s)"
        return self.count(sql, (self.since, urls))

    def new_articles(self) -> int:
        """Articles stored since the last call (the end of the cycle before)."""
        total = self.count("SELECT count(*) FROM articles")
        new, self.articles = total - self.articles, total
        return new

    def make_due(self) -> float:
        """Every feed due now, as when its interval has passed (the bench does not wait an
        hour); the workers are idle between cycles, so no poll is under way."""
        self.since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
        self.conn.execute("UPDATE feeds SET next_check_at = %s", (self.since,))
        return time.monotonic()

    def pending_deliveries(self) -> int:
        return self.count("SELECT count(*) FROM deliveries WHERE status = 'pending'")

    def until(self, done: Callable[[], bool], procs: list[subprocess.Popen]) -> float:
        """Wait until ``done()`` (the database may not have its tables yet); when it became so."""
        while time.monotonic() - self.started < DEADLINE_S:
            self._check_alive(procs)
            try:
                if done():
                    return time.monotonic()
            except psycopg.errors.UndefinedTable:
                pass  # the first worker is still migrating the new database
            time.sleep(SAMPLE_S)
        raise WorkersError(f"not done after {DEADLINE_S} s")

    def _check_alive(self, procs: list[subprocess.Popen]) -> None:
        for proc in procs:
            if proc.poll() is not None:
                log = (self.logs / f"worker-{proc.pid}.log").read_text(errors="replace")
                raise WorkersError(f"a worker exited with {proc.returncode}:\n{log[-3000:]}")


@contextmanager
def _workers(
    config: Path, count: int, options: Options, logs: Path
) -> Iterator[list[subprocess.Popen]]:
    """``count`` `news-monitor run` processes on one config, stopped with SIGTERM after."""
    env = os.environ | {
        "NEWS_MONITOR_LEASE_SECONDS": str(options.lease_s),
        "NEWS_MONITOR_TICK_SECONDS": "1",  # a lease that ran out is claimed within a second
        "NEWS_MONITOR_OUTBOX_SECONDS": "1",
    }
    command = [str(Path(sys.executable).with_name("news-monitor")), "run", "--config", str(config)]
    procs = []
    for _ in range(count):
        log = logs / "starting.log"
        with log.open("wb") as out:
            procs.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env))
        log.rename(logs / f"worker-{procs[-1].pid}.log")
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def write_config(place: Path, database: str, urls: list[str], hook: str) -> Path:
    """Every feed, the watch rules of bench.run, an instant digest to a signed webhook."""
    feeds = "".join(f"  - url: {url}\n    name: Bench feed {i}\n" for i, url in enumerate(urls))
    path = place / "monitor.yaml"
    path.write_text(
        f"database: {database}\n"
        "allow_private_networks: true\n"
        'user_agent: "news-monitor-bench/1.0"\n'
        "defaults: {interval: 1h, timeout: 60s, max_age: 7d}\n"
        f"feeds:\n{feeds}"
        f"{WATCH_RULES}"
        "digests:\n"
        "  instant: {schedule: instant, channels: [hook]}\n"
        "channels:\n"
        f"  hook: {{type: webhook, url: '{hook}', secret: '{SECRET}'}}\n",
        encoding="utf-8",
    )
    return path


def _database_url(config: Path) -> str:
    first = config.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("database: ")


def _ratios(scaling: list[dict[str, Any]], cycle: str) -> dict[str, float]:
    """Feeds per second of n workers against one worker's, in one cycle."""
    rates = {run["workers"]: run[cycle]["feeds_per_s"] for run in scaling}
    one = rates.get(1)
    return {f"{n}/1": round(rate / one, 2) for n, rate in rates.items() if one and n > 1}


def format_report(results: dict[str, Any]) -> str:
    cpus, world = results["machine"]["cpus"], results["world"]
    lines = [
        f"workers on one PostgreSQL: {world['feeds']} feeds x {world['items']} items, "
        f"{world['articles']['cold']} articles cold, {world['articles']['changed']} new when "
        f"changed; {cpus} CPUs",
        "cycle    workers  wall s  feeds/s  articles/s  scaling  fetched once  stored/expected",
    ]
    for cycle in CYCLES:
        for run in results["scaling"]:
            figures = run[cycle]
            scaling = results["ratios"][cycle].get(f"{run['workers']}/1", 1.0)
            lines.append(
                f"{cycle:<8} {run['workers']:>7}  {figures['wall_s']:>6.1f}  "
                f"{figures['feeds_per_s']:>7.1f}  {figures['articles_per_s']:>10.0f}  "
                f"{scaling:>6.2f}x  {figures['feeds_fetched_once']:>12}  "
                f"{figures['articles']:>7}/{figures['articles_expected']}"
            )
    lines.append(
        f"the workers share {cpus} CPUs, and one worker's poll threads already keep more than one "
        f"busy: more workers than CPUs cannot add throughput here, only on more machines"
    )
    for run in results["scaling"]:
        lines.append(
            f"{run['workers']} worker(s): webhook deliveries sent {run['deliveries_sent']}, "
            f"received {run['deliveries_received']}, lost {run['deliveries_lost']}, received "
            f"twice {len(run['deliveries_received_twice'])}; articles {run['articles']}/"
            f"{run['articles_expected']}"
        )
    kill = results["kill"]
    figures = kill["changed"]
    lines.append(
        f"SIGKILL of 1 of {kill['workers']} workers at {figures['killed_at_polled']} feeds "
        f"stored: its {figures['claimed_by_killed']} claimed feeds polled again "
        f"{figures['takeover_s']:.1f} s later (lease {results['lease_s']} s, the last of its "
        f"leases ran out {figures['lease_left_s']:.1f} s after the kill); fetched twice "
        f"otherwise {len(figures['feeds_fetched_twice_not_killed'])}; articles "
        f"{kill['articles']}/{kill['articles_expected']}; deliveries sent "
        f"{kill['deliveries_sent']}, lost {kill['deliveries_lost']}, received twice "
        f"{len(kill['deliveries_received_twice'])}"
    )
    return "\n".join(lines)


@contextmanager
def _receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(SECRET)
    try:
        yield hook
    finally:
        hook.close()


def _rates(figures: dict[str, Any]) -> str:
    return (
        f"{figures['wall_s']:.1f} s, {figures['feeds_per_s']:.1f} feeds/s, "
        f"{figures['articles_per_s']:.0f} articles/s"
    )


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _say(message: str) -> None:
    sys.stderr.write(f"bench.workers: {message}\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None) -> tuple[Options, Path]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workers", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--feeds", type=int, help="feeds in the world (default 2000)")
    parser.add_argument("--items", type=int, help="items per feed (default 20)")
    parser.add_argument("--workers", help="worker counts of the scaling runs (default 1,2,3)")
    parser.add_argument("--kill-workers", type=int, help="workers of the kill run (default 3)")
    parser.add_argument("--lease", type=int, help="lease seconds of the workers (default 20)")
    parser.add_argument(
        "--small", action="store_true", help="60 feeds, 1 and 2 workers, kill 1 of 2"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    args = parser.parse_args(argv)
    small = Options(feeds=60, items=10, workers=(1, 2), kill_workers=2, lease_s=6)
    base = small if args.small else Options()
    options = Options(
        feeds=args.feeds or base.feeds,
        items=args.items or base.items,
        workers=tuple(int(n) for n in args.workers.split(",")) if args.workers else base.workers,
        kill_workers=args.kill_workers or base.kill_workers,
        lease_s=args.lease or base.lease_s,
    )
    return options, args.out


def main(argv: list[str] | None = None) -> int:
    options, out = parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _say(SKIP_REASON)
        return 2
    cluster = Cluster(bin_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="news-monitor-workers-") as workdir:
            results = run_bench(options, Path(workdir), cluster)
    except WorkersError as exc:
        _say(str(exc))
        return 2
    finally:
        cluster.stop()
    results["options"] = asdict(options)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(format_report(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
