"""Crash safety: the real service killed with SIGKILL at random points of its polls and digest
sends, restarted each time. The database stays intact, every match is delivered in the end,
and an entry delivered twice is only ever a resend under its first delivery id."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import rss, write_config
from servers import QuietHandler, serve
from test_hostile import news_monitor

FEEDS = 6
SERVICE_ENV = {"NEWS_MONITOR_TICK_SECONDS": "1", "NEWS_MONITOR_OUTBOX_SECONDS": "1"}


class GrowingFeeds:
    """Feeds on 127.0.0.1 whose items the test adds to between restarts."""

    def __init__(self, count: int) -> None:
        self.items: dict[str, list[dict]] = {f"/feed-{n}.xml": [] for n in range(count)}
        self.lock = threading.Lock()
        feeds = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                with feeds.lock:
                    items = list(feeds.items.get(self.path, []))
                body = rss(items, title=self.path)
                self.reply(200, body)

        self.server, self.base = serve(Handler)

    def add(self, path: str, serial: int, *, matching: bool) -> str:
        link = f"https://crash.example.org{path[:-4]}/story-{serial}"
        text = "Works on the Rogun dam resumed." if matching else "Nothing to see."
        item = {
            "title": f"Story {serial}",
            "link": link,
            "guid": link,
            "description": text,
            "pubDate": datetime.now(UTC),
        }
        with self.lock:
            self.items[path].append(item)
        return link

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HookReceiver:
    """Keeps every accepted POST as (webhook-id, article URLs), answering after a short pause
    so that kills land between a send and its mark as often as anywhere else."""

    def __init__(self, rng: random.Random) -> None:
        self.received: list[tuple[str, list[str]]] = []
        self.generation = 0  # which run of the service is live; the test counts them
        self.per_run: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                generation = receiver.generation
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                payload = json.loads(body)
                urls = [a["url"] for rule in payload["rules"] for a in rule["articles"]]
                time.sleep(rng.uniform(0, 0.3))
                with receiver.lock:
                    receiver.received.append((self.headers["webhook-id"], urls))
                    receiver.per_run.append((generation, self.headers["webhook-id"]))
                self.send_response(204)
                self.end_headers()

        self.server, base = serve(Handler)

        self.url = f"{base}/hook"

    def delivered(self) -> dict[str, set[str]]:
        """Article URL -> the delivery ids that carried it."""
        out: dict[str, set[str]] = defaultdict(set)
        with self.lock:
            for delivery_id, urls in self.received:
                for url in urls:
                    out[url].add(delivery_id)
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def crash_config(tmp: Path, feeds: GrowingFeeds, hook: HookReceiver) -> Path:
    urls = "".join(f"  - url: {feeds.base}{path}\n" for path in feeds.items)
    return write_config(
        tmp,
        f"database: {tmp / 'monitor.db'}\n"
        "defaults:\n  interval: 1s\n  timeout: 5s\n"
        f"feeds:\n{urls}"
        "rules:\n  - name: Rogun\n    any: [Rogun]\n    digest: instant\n"
        "digests:\n  instant: {schedule: instant, channels: [hook], max_items: 10000}\n"
        f"channels:\n  hook: {{type: webhook, url: '{hook.url}'}}\n",
    )


def start_service(config: Path, log: Path, *, once: bool = False) -> subprocess.Popen:
    args = [*news_monitor(), "run", "--config", str(config)] + (["--once"] if once else [])
    with open(log, "ab") as err:
        return subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **SERVICE_ENV}
        )


def integrity(db_path: Path) -> str:
    db = sqlite3.connect(db_path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def outbox_drained(db_path: Path) -> bool:
    """Every match selected into a digest and every delivery marked sent (the service runs on)."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        unsent = db.execute("SELECT COUNT(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
        unselected = db.execute("SELECT COUNT(*) FROM matches WHERE run_id IS NULL").fetchone()[0]
    finally:
        db.close()
    return unsent == 0 and unselected == 0


def kill_and_restart(tmp: Path, kills: int, seed: int) -> dict:
    """The soak itself; returns what the checks need."""
    rng = random.Random(seed)
    feeds = GrowingFeeds(FEEDS)
    hook = HookReceiver(rng)
    config = crash_config(tmp, feeds, hook)
    log = tmp / "service.log"
    expected: set[str] = set()
    serial = 0
    try:
        for path in feeds.items:  # the backlog, stored on the first poll without alerting
            serial += 1
            feeds.add(path, serial, matching=True)
        assert start_service(config, log, once=True).wait(120) == 0
        survived = 0
        for _ in range(kills):
            for _ in range(rng.randint(1, 3)):
                serial += 1
                matching = rng.random() < 0.7
                link = feeds.add(rng.choice(list(feeds.items)), serial, matching=matching)
                if matching:
                    expected.add(link)
            service = start_service(config, log)
            time.sleep(rng.uniform(0.3, 3.0))
            service.send_signal(signal.SIGKILL)
            service.wait(30)
            hook.generation += 1
            assert integrity(tmp / "monitor.db") == "ok", f"corrupt after kill {survived + 1}"
            survived += 1
        service = start_service(config, log)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not (
                expected <= set(hook.delivered()) and outbox_drained(tmp / "monitor.db")
            ):
                time.sleep(0.2)
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(60)
        status = dict(
            sqlite3.connect(tmp / "monitor.db")
            .execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            .fetchall()
        )
        return {
            "status": status,
            "survived": survived,
            "expected": expected,
            "delivered": hook.delivered(),
            "posts": len(hook.received),
            "ids": len({d for d, _ in hook.received}),
            "per_run": list(hook.per_run),
            "db": tmp / "monitor.db",
            "log": log.read_text(errors="replace"),
        }
    finally:
        feeds.close()
        hook.close()


def check_soak(result: dict) -> None:
    assert integrity(result["db"]) == "ok"
    missing = result["expected"] - set(result["delivered"])
    assert not missing, f"{len(missing)} matches never delivered"
    twice = {url: ids for url, ids in result["delivered"].items() if len(ids) > 1}
    assert twice == {}, "an entry went out under two delivery ids"
    repeats_in_one_run = len(result["per_run"]) - len(set(result["per_run"]))
    assert repeats_in_one_run == 0, "a delivery was sent twice without a crash in between"
    assert outbox_drained(result["db"]), f"left behind: deliveries {result['status']}"
    assert "Traceback" not in result["log"]
    print(
        f"survived {result['survived']} SIGKILLs; {len(result['expected'])} matches delivered "
        f"in {result['ids']} deliveries, "
        f"{result['posts'] - result['ids']} resends under the same id"
    )


def test_sigkill_during_polls_and_sends_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    check_soak(kill_and_restart(tmp_path, kills=10, seed=6))


@pytest.mark.slow
def test_sigkill_soak_200_kills(tmp_path: Path) -> None:
    check_soak(kill_and_restart(tmp_path, kills=200, seed=int(time.time())))
