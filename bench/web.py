"""`make bench`, the web page: fill an archive of 100,000 articles through the store (matched by
the real matcher, cross-posts, near duplicates folded, digest runs in the outbox), serve the page
on loopback and time every page with a real HTTP client. The target is 200 ms a page.

    python -m bench.web [--articles 100000] [--repeat 5] [--out bench/web-results.json]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.world import ENGLISH, SEED, WATCH_TERMS
from monitor.config.load import Config, load_config
from monitor.digest.select import open_digest_run
from monitor.pipeline.matching import match_rows
from monitor.rules import Matcher
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database
from monitor.store.store import SourceUpdate, Store, StoredArticle
from testsupport.feeds import mark_polled

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "web-results.json"
TARGET_MS = 200
FEEDS = 200
BATCH = 500  # articles stored per save_articles call (one feed's poll)
SPAN = timedelta(days=60)  # first_seen spread over this much of the past
CROSS_POST_EVERY = 5  # one article in five is also carried by a second feed
FOLD_EVERY = 10  # one in ten is a near duplicate folded into an earlier story
RUNS = 12  # digest runs opened along the way: the outbox has rows to list


def bench_config(workdir: Path) -> Config:
    feeds = "".join(
        f"  - url: https://site{i}.example.org/feed.xml\n    name: Bench feed {i}\n"
        for i in range(FEEDS)
    )
    path = workdir / "monitor.yaml"
    path.write_text(
        f"database: {workdir / 'monitor.db'}\n"
        "timezone: Asia/Dushanbe\n"
        f"feeds:\n{feeds}"
        "rules:\n"
        "  - name: SCO\n"
        "    query: '{SCO} OR \"Shanghai Cooperation Organi*ation\"'\n"
        "    digest: daily\n"
        "  - name: Rogun\n"
        "    any: [Rogun, Рогун*]\n"
        "    digest: daily\n"
        "  - name: NATO\n"
        "    query: '(NATO OR \"North Atlantic Treaty\") NOT title:football'\n"
        "    digest: daily\n"
        "  - name: Energy\n"
        "    query: 'electricity NEAR/5 shortage'\n"
        "    digest: daily\n"
        "digests:\n"
        "  daily: {schedule: '0 8 * * *', channels: [console]}\n"
        "channels:\n"
        "  console: {type: console}\n",
        encoding="utf-8",
    )
    return load_config(path)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(ENGLISH) for _ in range(rng.randint(10, 22))]
    if rng.random() < 0.04:
        words.insert(rng.randrange(len(words)), rng.choice(WATCH_TERMS))
    return " ".join(words).capitalize() + "."


def fill(config: Config, articles: int, now: datetime) -> dict[str, Any]:
    """Store `articles` articles through Store.save_articles, oldest first, matching each."""
    rng = random.Random(SEED)
    store = Store(open_database(config.database))
    matcher = Matcher([r.rule for r in config.rules])
    started = time.perf_counter()
    matched = 0
    run_every = max(1, articles // RUNS)
    stored_ids: list[str] = []
    for start in range(0, articles, BATCH):
        feed = config.feeds[(start // BATCH) % len(config.feeds)]
        other = config.feeds[(start // BATCH + 7) % len(config.feeds)]
        seen = now - SPAN + SPAN * (start / articles)
        batch = []
        for n in range(start, min(start + BATCH, articles)):
            article_id = f"a{n:07}"
            cluster = article_id
            if n % FOLD_EVERY == 3 and stored_ids:
                cluster = rng.choice(stored_ids[-2000:])
            batch.append(
                StoredArticle(
                    id=article_id,
                    url=f"https://site{n % FEEDS}.example.org/news/{n}",
                    link=f"https://site{n % FEEDS}.example.org/news/{n}",
                    guid=f"guid-{n}",
                    feed=feed.url,
                    title=" ".join(rng.choice(ENGLISH) for _ in range(8)).capitalize(),
                    summary=" ".join(_sentence(rng) for _ in range(3)),
                    text=" ".join(_sentence(rng) for _ in range(rng.choice((0, 0, 12)))),
                    author=None,
                    language="en",
                    published=seen,
                    first_seen=seen,
                    cluster_id=cluster,
                )
            )
        store.save_articles(feed.url, batch, [], {}, seen)
        again = [
            SourceUpdate(article_id=a.id, guid=a.guid + "-x", url=a.link)
            for i, a in enumerate(batch)
            if i % CROSS_POST_EVERY == 0
        ]
        store.save_articles(other.url, [], again, {}, seen + timedelta(minutes=3))
        rows = [row for a in batch for row in match_rows(matcher, config.rules, a, feed, seen)]
        matched += len(store.save_matches(rows))
        stored_ids += [a.id for a in batch]
        if (start // BATCH) % max(1, run_every // BATCH) == 0:
            open_digest_run(store.db, config, config.digests["daily"], seen)
    mark_polled(store, config, now)
    fill_s = time.perf_counter() - started
    index_started = time.perf_counter()
    store.index_new_articles()
    return {
        "articles": articles,
        "matches": matched,
        "fill_s": round(fill_s, 1),
        "index_s": round(time.perf_counter() - index_started, 1),
        "db_mb": round(
            sum(p.stat().st_size for p in Path(config.database).parent.glob("monitor.db*")) / 1e6, 1
        ),
    }


def pages(config: Config, articles: int) -> list[str]:
    """Every page, with the filters and depths an analyst reaches."""
    feed = config.feeds[3].url
    return [
        "/",
        "/?rule=Rogun",
        f"/?feed={requests.utils.quote(feed, safe='')}",
        "/?since=60d&page=20",
        "/search?q=Rogun",
        "/search?q=Rogun&since=60d",
        "/search?q=%22North+Atlantic+Treaty%22+AND+electricity&since=60d",
        "/search?q=NOT+Rogun&since=30d",
        "/rules",
        "/rules/try?q=SCO&text=The+SCO+summit+met+in+Astana",
        f"/stories/a{articles - 7:07}",  # a recent one, maybe folded into a story
        f"/stories/a{articles // 2 + 3:07}",  # a near duplicate from the middle of the archive
        "/feeds",
        "/feeds?page=4",
        "/deliveries",
        "/healthz",
        "/metrics",
    ]


def deep_page(base: str, path: str, depth: int) -> str:
    """The path of a search's page `depth`, reached through its "Older" links."""
    for _ in range(depth - 1):
        found = re.search(r'rel="next" href="([^"]+)"', requests.get(base + path, timeout=60).text)
        if found is None:
            break
        path = path.split("?")[0] + html.unescape(found[1])
    return path


def time_pages(base: str, paths: list[str], repeat: int) -> list[dict[str, Any]]:
    session = requests.Session()
    paths = [*paths, deep_page(base, "/search?q=Rogun&since=60d", 10)]
    out = []
    for path in paths:
        first = session.get(base + path, timeout=60)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = session.get(base + path, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        out.append(
            {
                "page": path,
                "status": first.status_code,
                "bytes": len(first.content),
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "ok": max(times) < TARGET_MS,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="news-monitor-web-bench-") as workdir:
        config = bench_config(Path(workdir))
        sys.stderr.write(f"bench.web: storing {args.articles} articles through the store\n")
        archive = fill(config, args.articles, now)
        sys.stderr.write(f"bench.web: {archive}\n")
        server = WebServer(
            make_app(config, open_database(config.database), clock=lambda: now),
            "127.0.0.1",
            0,
            token=None,
        ).start()
        try:
            timed = time_pages(server.url.rstrip("/"), pages(config, args.articles), args.repeat)
        finally:
            server.stop()
    results = {
        "created_at": now.isoformat(),
        "archive": archive,
        "target_ms": TARGET_MS,
        "pages": timed,
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"web page at {archive['articles']:,} articles ({archive['matches']:,} matches), target {TARGET_MS} ms"
    )
    print(f"{'PAGE':58} {'MEDIAN':>8} {'MAX':>8} {'KB':>6}")
    for row in timed:
        flag = "" if row["ok"] else "  over target"
        print(
            f"{row['page'][:58]:58} {row['median_ms']:>6} ms {row['max_ms']:>6} ms {row['bytes'] // 1024:>6}{flag}"
        )
    return 0 if all(row["ok"] for row in timed) else 1


if __name__ == "__main__":
    sys.exit(main())
