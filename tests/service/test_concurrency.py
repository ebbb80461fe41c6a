"""SQLite under concurrency: many pollers in two apps (as two processes would) writing to one
database file while digests are selected and sent, without a single "database is locked"."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import rss, write_config
from servers import QuietHandler, serve

from monitor.config.load import load_config
from monitor.service.app import App, build_app, poll_feeds, send_digest


class ChangingFeeds:
    """Every request to a feed adds new items to it, so every poll has rows to write."""

    def __init__(self, count: int, per_request: int = 5) -> None:
        self.served: dict[str, int] = {f"/f{n}.xml": 0 for n in range(count)}
        self.lock = threading.Lock()
        feeds = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                with feeds.lock:
                    feeds.served[self.path] += per_request
                    total = feeds.served[self.path]
                body = rss([feeds.item(self.path, n) for n in range(total)])
                self.reply(200, body)

        self.server, self.base = serve(Handler)

    @staticmethod
    def item(path: str, n: int) -> dict:
        link = f"https://busy.example.org{path[:-4]}/{n}"
        return {
            "title": f"{path} story {n}",
            "link": link,
            "guid": link,
            "description": f"Rogun dam report number {n} from {path}.",
            "pubDate": datetime.now(UTC) - timedelta(minutes=5),
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def busy_config(tmp: Path, feeds: ChangingFeeds) -> Path:
    urls = "".join(f"  - url: {feeds.base}{path}\n" for path in feeds.served)
    return write_config(
        tmp,
        f"database: {tmp / 'monitor.db'}\n"
        "defaults:\n  interval: 1s\n  timeout: 20s\n"
        f"feeds:\n{urls}"
        "rules:\n  - name: Rogun\n    any: [Rogun]\n    digest: instant\n"
        "  - name: Dam\n    any: [dam]\n    digest: daily\n"
        "digests:\n  instant: {schedule: instant, channels: [archive]}\n"
        "  daily: {schedule: '0 8 * * *', channels: [archive]}\n"
        f"channels:\n  archive: {{type: file, path: {tmp / 'digests'}}}\n",
    )


def hammer(tmp: Path, *, feeds_count: int, rounds: int) -> tuple[ChangingFeeds, list[str]]:
    """Two apps poll every feed `rounds` times on 8 threads each while a third sends digests."""
    feeds = ChangingFeeds(feeds_count)
    errors: list[str] = []
    config = load_config(busy_config(tmp, feeds))
    apps = [build_app(config), build_app(config), build_app(config)]
    done = threading.Event()

    def poller(app: App) -> None:
        try:
            for _ in range(rounds):
                outcomes = poll_feeds(app, config.feeds, workers=8)
                errors.extend(o.error for o in outcomes if o.error)
        except Exception as exc:  # the test reports it rather than losing it in a thread
            errors.append(f"{type(exc).__name__}: {exc}")

    def digester(app: App) -> None:
        try:
            while not done.is_set():
                for name in ("instant", "daily"):
                    reports = send_digest(app, name)
                    errors.extend(r.error for r in reports if r.error)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    try:
        pollers = [threading.Thread(target=poller, args=(a,)) for a in apps[:2]]
        digests = threading.Thread(target=digester, args=(apps[2],))
        for thread in [*pollers, digests]:
            thread.start()
        for thread in pollers:
            thread.join()
        done.set()
        digests.join()
        send_digest(apps[2], "instant")
        send_digest(apps[2], "daily")
    finally:
        feeds.close()
    return feeds, errors


def check(
    tmp: Path, feeds: ChangingFeeds, errors: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [e for e in errors + logged if "locked" in e.lower()] == []
    assert errors == []
    db = sqlite3.connect(tmp / "monitor.db")
    try:
        stored = dict(db.execute("SELECT feed, COUNT(*) FROM articles GROUP BY feed").fetchall())
        unselected = db.execute("SELECT COUNT(*) FROM matches WHERE run_id IS NULL").fetchone()[0]
        unsent = db.execute("SELECT COUNT(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    # The last answer of each feed listed every item it ever served: each one must be stored.
    assert stored == {feeds.base + path: total for path, total in feeds.served.items()}
    assert (unselected, unsent, integrity) == (0, 0, "ok")


def test_parallel_pollers_and_digests_never_hit_a_locked_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    feeds, errors = hammer(tmp_path, feeds_count=24, rounds=4)
    check(tmp_path, feeds, errors, caplog)


@pytest.mark.slow
def test_parallel_pollers_for_minutes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    feeds, errors = hammer(tmp_path, feeds_count=60, rounds=40)
    check(tmp_path, feeds, errors, caplog)
