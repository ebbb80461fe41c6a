"""`make bench` (scale part): the same commands over a small and a large archive.

Each size is a database holding the served world's live articles (a cold poll of every feed)
on top of an archive of older articles written through the store's own write path (no
polling): 10% of them 31-90 days old, 90% older than the 90 days `retention.articles` keeps.
Over each, the bench times a warm and a changed poll cycle, `search` for a rare and a common
term, `rules test SCO --since 30d`, `feeds`, `digest preview`, and then the prune that removes
those 90%; it prints each figure, its ratio large/small (the target is at most 1.5) and the
database bytes per article.

    python -m bench.scale [--small 10000] [--large 1000000] [--feeds 1000] [--items 5]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import write_config
from bench.server import serving
from bench.world import World, recent_epoch
from monitor.config.load import load_config
from monitor.service.app import build_app, prune_archive, run_once
from monitor.store.store import MatchRow, Store, StoredArticle

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "scale_results.json"
TARGET_RATIO = 1.5
WINDOW = 50_000  # archive articles stored between two search-index updates
RARE = "zarafshan"  # in one archive article in a thousand
COMMON = "summit"  # in three in ten
MATCHED_SHARE = 0.01  # archive articles that matched a rule (delivered long ago)
_WORDS = (  # noqa: SIM905 (a word list reads better as prose)
    "government minister talks border trade energy security water reservoir river delegation "
    "agreement pipeline railway corridor investment loan bank export grain cotton prices "
    "election parliament president court sanctions troops exercise region capital officials"
).split()


def archive_age(rng: random.Random) -> float:
    """Days: 90% of the archive is older than the 90 days retention keeps, the rest 31-90."""
    return rng.uniform(91, 300) if rng.random() < 0.9 else rng.uniform(31, 90)


def _phrases(count: int, words: int) -> tuple[str, ...]:
    """Random runs of the word list, from which archive texts are put together: ten choices
    per article rather than 120 (drawing every word took a quarter of the fill's time)."""
    rng = random.Random(0)
    return tuple(" ".join(rng.choices(_WORDS, k=words)) for _ in range(count))


PHRASES = _phrases(4096, 12)
PHRASES_PER_TEXT = 10


def archive_article(n: int, feed: str, seen: datetime, rng: random.Random) -> StoredArticle:
    phrases = rng.choices(PHRASES, k=PHRASES_PER_TEXT)
    if rng.random() < 0.3:
        phrases.insert(rng.randrange(PHRASES_PER_TEXT + 1), COMMON)
    if n % 1000 == 7:
        phrases.insert(rng.randrange(len(phrases) + 1), RARE)
    text = " ".join(phrases)
    return StoredArticle(
        id=f"archive-{n:08d}",
        url=f"https://archive.example.org/{n}",
        link=f"https://archive.example.org/{n}",
        guid=f"archive-{n}",
        feed=feed,
        title=rng.choice(PHRASES)[:60].capitalize(),
        summary=text[:300],
        text=text,
        author=None,
        language="en",
        published=seen,
        first_seen=seen,
    )


def fill_archive(store: Store, count: int, feeds: list[str], now: datetime) -> float:
    """Write ``count`` archive articles, oldest first as a real archive grew, spread over the
    feeds (each window of time stored feed by feed, as polls store it); a share of them
    matched and delivered. Each window is one transaction (``Database.bulk``): the store's
    own save_articles and save_matches, committed once rather than twice per feed (a commit
    per feed's batch was a third of the fill's time). Returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(count)
    ages = sorted((archive_age(rng) for _ in range(count)), reverse=True)
    for start in range(0, count, WINDOW):
        by_feed: dict[str, list[StoredArticle]] = {}
        for n in range(start, min(count, start + WINDOW)):
            seen = (now - timedelta(days=ages[n])).replace(microsecond=0)
            feed = feeds[rng.randrange(len(feeds))]
            by_feed.setdefault(feed, []).append(archive_article(n, feed, seen, rng))
        with store.db.bulk():
            for feed, items in by_feed.items():
                store.save_articles(feed, items, [], {}, items[-1].first_seen)
                store.save_matches([_match(a) for a in items if rng.random() < MATCHED_SHARE])
        store.index_new_articles()
        _say(f"  archive {min(count, start + WINDOW):,} / {count:,}")
    with store.db.write() as conn:  # delivered long ago: not in any digest now
        conn.execute("UPDATE matches SET run_id = 'archive' WHERE article_id LIKE 'archive-%'")
    return time.perf_counter() - started


def _match(a: StoredArticle) -> MatchRow:
    return MatchRow(
        article_id=a.id,
        rule="SCO",
        digest="instant",
        cluster_id=a.id,
        terms=("SCO",),
        hits=(),
        matched_at=a.first_seen,
    )


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# A command in a process of its own, as a user runs it, timed from the moment the CLI is
# imported to its exit: no interpreter start-up in the figure, and nothing of the bench's own
# process (its caches, the heap of a million-article fill, a warm page cache of its own).
_TIMED_COMMAND = """
import sys, time
from monitor.cli.main import main
started = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code or 0
else:
    code = 0
sys.stderr.write(f"\\nexit {code} seconds {time.perf_counter() - started:.6f}\\n")
"""


def command(config: Path, *args: str) -> Callable[[], float]:
    """The seconds `news-monitor ARGS --config CONFIG` takes, in a fresh process."""

    def run() -> float:
        done = subprocess.run(
            [sys.executable, "-c", _TIMED_COMMAND, *args, "--config", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        last = done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []
        if len(last) != 4 or last[:2] != ["exit", "0"]:
            raise RuntimeError(f"{' '.join(args)} failed: {(done.stdout + done.stderr)[-500:]}")
        return float(last[3])

    return run


def measure(archive: int, options: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every figure over one database: ``archive`` old articles plus the live world."""
    now = datetime.now(UTC)
    world = World(feeds=options.feeds, items=options.items, epoch=recent_epoch(now, options.items))
    out: dict[str, Any] = {"archive_articles": archive}
    with serving(world) as server:
        config = write_config(workdir, server.urls())
        app = build_app(load_config(config))
        _say(f"{archive:,}: filling the archive")
        out["fill_s"] = fill_archive(app.store, archive, server.urls(), now)
        _say(f"{archive:,}: cold poll of {options.feeds} feeds")
        out["cold_s"], _ = timed(lambda: run_once(app))
        total = app.db.query("SELECT COUNT(*) FROM articles")[0][0]
        app.db.checkpoint()
        size = Path(app.db.path).stat().st_size
        out["articles"] = total
        out["db_bytes"] = size
        out["db_bytes_per_article"] = round(size / total)
        figures: dict[str, float] = {}
        figures["warm_cycle"], _ = timed(lambda: run_once(app))
        server.change()
        figures["changed_cycle"], _ = timed(lambda: run_once(app))
        _say(
            f"{archive:,}: warm {figures['warm_cycle']:.2f} s, changed {figures['changed_cycle']:.2f} s"
        )
        for name, args in (
            ("search_rare", ("search", RARE)),
            ("search_common", ("search", COMMON)),
            ("rules_test_30d", ("rules", "test", "SCO", "--since", "30d")),
            ("feeds", ("feeds",)),
            ("digest_preview", ("digest", "preview", "instant")),
        ):
            figures[name] = min(command(config, *args)() for _ in range(3))
            _say(f"{archive:,}: {name} {figures[name]:.3f} s")
        _say(f"{archive:,}: pruning")
        seconds, report = timed(lambda: prune_archive(app))
        pruned = report.rows.get("articles", 0) + report.rows.get("matched", 0)
        out["prune"] = {
            "seconds": round(seconds, 2),
            "articles": pruned,
            "articles_per_s": round(pruned / seconds) if seconds else None,
            "bytes_before": report.bytes_before,
            "bytes_after": report.bytes_after,
            "longest_batch_ms": round(report.longest_batch_ms, 1),
            "batches": report.batches,
            "articles_left": app.db.query("SELECT COUNT(*) FROM articles")[0][0],
        }
        out["figures"] = {k: round(v, 4) for k, v in figures.items()}
        app.db.close()
    return out


def table(small: dict[str, Any], large: dict[str, Any]) -> str:
    rows = [
        f"{'figure':18} {small['archive_articles']:>12,} {large['archive_articles']:>12,}  ratio"
    ]
    for name, value in small["figures"].items():
        big = large["figures"][name]
        ratio = big / value if value else float("inf")
        flag = "" if ratio <= TARGET_RATIO else "  ABOVE TARGET"
        rows.append(f"{name:18} {value:>11.3f}s {big:>11.3f}s  {ratio:.2f}{flag}")
    ps, pl = small["prune"], large["prune"]
    rows.append(
        f"{'prune':18} {ps['seconds']:>11.1f}s {pl['seconds']:>11.1f}s  "
        f"({ps['articles']:,} vs {pl['articles']:,} articles; "
        f"{ps['articles_per_s']:,}/s vs {pl['articles_per_s']:,}/s; "
        f"longest batch {ps['longest_batch_ms']} / {pl['longest_batch_ms']} ms)"
    )
    rows.append(
        f"{'file after prune':18} {ps['bytes_before'] / 1e6:.0f} -> {ps['bytes_after'] / 1e6:.0f} MB"
        f"   {pl['bytes_before'] / 1e6:.0f} -> {pl['bytes_after'] / 1e6:.0f} MB"
    )
    rows.append(
        f"{'bytes per article':18} {small['db_bytes_per_article']:>12,} "
        f"{large['db_bytes_per_article']:>12,}"
    )
    return "\n".join(rows)


def _say(message: str) -> None:
    sys.stderr.write(f"bench.scale: {message}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--small", type=int, default=10_000, help="archive articles, small")
    parser.add_argument("--large", type=int, default=1_000_000, help="archive articles, large")
    parser.add_argument("--feeds", type=int, default=1000, help="feeds served and polled")
    parser.add_argument("--items", type=int, default=5, help="items per feed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep each size's database in DIR/small, DIR/large"
    )
    options = parser.parse_args(argv)
    results = {}
    for label, archive in (("small", options.small), ("large", options.large)):
        if options.keep:
            (options.keep / label).mkdir(parents=True, exist_ok=True)
            results[label] = measure(archive, options, options.keep / label)
            continue
        with tempfile.TemporaryDirectory(prefix=f"news-monitor-scale-{label}-") as workdir:
            results[label] = measure(archive, options, Path(workdir))
    options.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(table(results["small"], results["large"]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
