"""Time to alert (DESIGN §17): a world of feeds on loopback publishing at different rates, some
through a WebSub hub of our own, some busy without one, most quiet; the real service (its
scheduler, pool, web page for the callbacks, outbox) delivering instant digests to a
signature-checking webhook receiver. It reports publish -> delivery p50/p95 for pushed, busy
and quiet feeds and the feed requests made, for `interval: auto` with push beside a fixed
15-minute poll of the same world, in the same run.

Time is compressed by an injected clock running SCALE times faster than the wall: every time
the service reads (next polls, leases, first seen, the digests) and every time measured here
is on that clock, while the scheduler ticks each wall second. What takes wall time (a fetch,
a parse in a worker process, a push's HTTP round trips, the tick itself) is stretched SCALE
times on the clock: the figures are upper bounds on what an uncompressed run would show.

    python -m bench.latency [--minutes 60] [--scale 20]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The scheduler's tick, read when it is imported: one wall second.
os.environ.setdefault("NEWS_MONITOR_TICK_SECONDS", "1")

from pytest_httpserver import HTTPServer  # noqa: E402

from monitor.config.load import load_config  # noqa: E402
from monitor.service.scheduler import Service  # noqa: E402
from monitor.service.web.app import make_app  # noqa: E402
from monitor.service.web.server import WebServer  # noqa: E402
from monitor.service.web.websub import websub_routes  # noqa: E402
from testsupport.feeds import FeedServer, rss  # noqa: E402
from testsupport.webhooks import WebhookReceiver  # noqa: E402
from testsupport.websub_hub import WebSubHub  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PUSHED, BUSY, QUIET, QUIET_PUBLISHING = 3, 3, 14, 3
GAP_MINUTES = (2.0, 6.0)  # a pushed or busy feed's next item comes this many minutes later


class SpeedClock:
    """The service's clock: ``scale`` times the wall's pace from a fixed start."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._wall = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._wall) * self.scale)

    def sleep_until(self, moment: datetime) -> None:
        wait = (moment - self()).total_seconds() / self.scale
        if wait > 0:
            time.sleep(wait)


@dataclass
class Feed:
    kind: str  # pushed, busy, quiet
    path: str
    items: list[dict] = field(default_factory=list)
    schedule: list[datetime] = field(default_factory=list)  # when each new item is published


def plan(minutes: int, start: datetime, rng: random.Random) -> list[Feed]:
    """Every feed, its items before the run (a backlog at its own pace) and its publishing
    times during it. The same plan, replayed, is each world's."""
    end = start + timedelta(minutes=minutes)
    feeds = []
    for kind, count in (("pushed", PUSHED), ("busy", BUSY), ("quiet", QUIET)):
        for n in range(count):
            feed = Feed(kind, f"/{kind}-{n}.xml")
            if kind == "quiet":
                feed.items = [_item(feed, k, start - timedelta(days=9 * (k + 1))) for k in range(3)]
                if n < QUIET_PUBLISHING:
                    feed.schedule = [start + timedelta(minutes=rng.uniform(5, minutes - 15))]
            else:
                when = start
                for k in range(10):
                    when -= timedelta(minutes=rng.uniform(*GAP_MINUTES))
                    feed.items.insert(0, _item(feed, -k - 1, when))
                when = start + timedelta(minutes=rng.uniform(0, GAP_MINUTES[1]))
                while when < end - timedelta(minutes=5):
                    feed.schedule.append(when)
                    when += timedelta(minutes=rng.uniform(*GAP_MINUTES))
            feeds.append(feed)
    return feeds


def _item(feed: Feed, n: int, when: datetime) -> dict:
    title = f"Rogun {feed.path.strip('/').removesuffix('.xml')} #{n}"
    return {"title": title, "link": f"https://example.org{feed.path}/{n}", "guid": title,
            "description": "Rogun dam news.", "pubDate": when}  # fmt: skip


def document(feed: Feed, items: list[dict], hub: WebSubHub | None, url: str) -> bytes:
    body = rss(items[-20:])
    if hub is None or feed.kind != "pushed":
        return body
    return body.replace(
        b'<rss version="2.0">', b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
    ).replace(
        b"<channel>",
        f'<channel><atom:link rel="hub" href="{hub.url}"/><atom:link rel="self" href="{url}"/>'.encode(),
    )


def config_text(workdir: Path, urls: list[str], hook: str, port: int, adaptive: bool) -> str:
    feeds = "".join(f"  - {{url: '{u}', name: '{u.rsplit('/', 1)[-1]}'}}\n" for u in urls)
    polling = (
        f"public_url: http://127.0.0.1:{port}\nweb: {{listen: '127.0.0.1:{port}'}}\n"
        "defaults: {interval: auto, min_interval: 1m, max_interval: 6h, push_poll: 6h}\n"
        if adaptive
        else "defaults: {interval: 15m}\n"
    )
    return (
        f"database: {workdir / 'monitor.db'}\nallow_private_networks: true\n{polling}"
        f"feeds:\n{feeds}"
        "rules: [{name: Rogun, any: [Rogun], digest: instant}]\n"
        "digests: {instant: {schedule: instant, channels: [hook]}}\n"
        f"channels: {{hook: {{type: webhook, url: '{hook}', secret: '{SECRET}'}}}}\n"
    )


def run_world(minutes: int, scale: float, adaptive: bool, seed: int) -> dict[str, Any]:
    """One world, start to end; the latency of every item published during it, by kind."""
    clock = SpeedClock(scale)
    feeds = plan(minutes, clock.start, random.Random(seed))
    http = HTTPServer(host="127.0.0.1", port=0)
    http.start()
    server = FeedServer(http)
    hub = WebSubHub(lease_seconds=86400) if adaptive else None
    receiver = WebhookReceiver(SECRET)
    urls = {f.path: server.url(f.path) for f in feeds}
    for feed in feeds:
        server.set(feed.path, document(feed, feed.items, hub, urls[feed.path]))
    received: dict[str, datetime] = {}
    stop = threading.Event()

    def watch() -> None:  # when each delivered title arrived, on the service's clock
        seen = 0
        while not stop.is_set():
            while seen < len(receiver.deliveries):
                payload = receiver.deliveries[seen]["payload"]
                for rule in payload.get("rules", []):
                    for article in rule["articles"]:
                        received.setdefault(article["title"], clock())
                seen += 1
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = _free_port()
        path = workdir / "monitor.yaml"
        text = config_text(workdir, list(urls.values()), receiver.url, port, adaptive)
        path.write_text(text, encoding="utf-8")
        service = Service(load_config(path), clock=clock)
        web = None
        if adaptive:
            app = make_app(service.app.config, service.app.db, clock=clock, service=service,
                           websub=websub_routes(service.subscriber))  # fmt: skip
            web = WebServer(app, "127.0.0.1", port, token=None).start()
        runner = threading.Thread(target=service.run, daemon=True)
        runner.start()
        published: dict[str, tuple[str, datetime]] = {}
        events = sorted(
            ((when, feed) for feed in feeds for when in feed.schedule), key=lambda e: e[0]
        )
        baseline = dict(server.requests)
        for when, feed in events:
            clock.sleep_until(when)
            item = _item(feed, len(feed.items), clock())
            feed.items.append(item)
            body = document(feed, feed.items, hub, urls[feed.path])
            server.set(feed.path, body)
            published[item["title"]] = (feed.kind, item["pubDate"])
            if hub is not None and feed.kind == "pushed":
                threading.Thread(
                    target=hub.publish, args=(urls[feed.path], body), daemon=True
                ).start()
        clock.sleep_until(clock.start + timedelta(minutes=minutes))
        service.stop()
        runner.join(60)
        if web is not None:
            web.stop()
    stop.set()
    requests = {k: server.requests.get(k, 0) - baseline.get(k, 0) for k in server.requests}
    http.stop()
    receiver.close()
    if hub is not None:
        hub.close()
    return _summary(feeds, published, received, requests, adaptive)


def _summary(
    feeds: list[Feed],
    published: dict[str, tuple[str, datetime]],
    received: dict[str, datetime],
    requests: dict[str, int],
    adaptive: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {"world": "auto + push" if adaptive else "fixed 15m"}
    for kind in ("pushed", "busy", "quiet"):
        delays = sorted(
            (received[title] - when).total_seconds()
            for title, (k, when) in published.items()
            if k == kind and title in received
        )
        sent = sum(1 for k, _ in published.values() if k == kind)
        out[kind] = {
            "items": sent,
            "delivered": len(delays),
            "p50_s": round(statistics.median(delays), 1) if delays else None,
            "p95_s": round(_p95(delays), 1) if delays else None,
            "requests": sum(requests.get(f.path, 0) for f in feeds if f.kind == kind),
            "feeds": sum(1 for f in feeds if f.kind == kind),
        }
    out["requests"] = sum(requests.values())
    return out


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60, help="length of each world (clock)")
    parser.add_argument("--scale", type=float, default=20.0, help="clock speed over the wall")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)  # the service's and the servers' lines stay out
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results = [
        run_world(args.minutes, args.scale, adaptive, args.seed) for adaptive in (True, False)
    ]
    for r in results:
        print(
            f"{r['world']:11}  requests {r['requests']:5}  "
            + "  ".join(
                f"{k}: p50 {r[k]['p50_s']}s p95 {r[k]['p95_s']}s "
                f"({r[k]['delivered']}/{r[k]['items']}, {r[k]['requests']} req)"
                for k in ("pushed", "busy", "quiet")
            ),
            file=sys.stderr,
        )
    record = {"minutes": args.minutes, "scale": args.scale, "worlds": results}
    if args.out:
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
