"""The measured scenarios, each run in a process of its own so that its state and peak memory are
its own: the feedparser floor, a bare conditional-GET pass, a poll cycle, rule matching, and the
syndication rounds (bench/syndication.py).

    python -m bench.scenarios SPEC.json      (prints one JSON result line)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from bench.syndication import Syndication

TIMEOUT_S = 60


def floor(spec: dict[str, Any]) -> dict[str, Any]:
    """requests + feedparser.parse(bytes) over every feed, the same number of threads."""
    import feedparser

    sessions = threading.local()

    def one(url: str) -> int:
        session = getattr(sessions, "session", None) or requests.Session()
        sessions.session = session
        response = session.get(url, timeout=TIMEOUT_S)
        return len(feedparser.parse(response.content).entries)

    started = time.perf_counter()
    entries = _threaded(one, spec["urls"], spec["workers"])
    return {"wall_s": time.perf_counter() - started, "feeds": len(entries), "items": sum(entries)}


def bare_get(spec: dict[str, Any]) -> dict[str, Any]:
    """Conditional GETs with the current ETags and nothing else: the least a warm poll can do."""
    sessions = threading.local()
    etags: dict[str, str] = spec["etags"]

    def one(url: str) -> int:
        session = getattr(sessions, "session", None) or requests.Session()
        sessions.session = session
        response = session.get(url, headers={"If-None-Match": etags[url]}, timeout=TIMEOUT_S)
        return response.status_code

    started = time.perf_counter()
    statuses = _threaded(one, spec["urls"], spec["workers"])
    return {
        "wall_s": time.perf_counter() - started,
        "feeds": len(statuses),
        "statuses": dict(Counter(statuses)),
    }


def poll(spec: dict[str, Any]) -> dict[str, Any]:
    """`run --once` in-process: build the app from the config, poll every feed, send digests."""
    from monitor.config.load import load_config
    from monitor.service import app as monitor_app

    config = load_config(spec["config"])
    started = time.perf_counter()
    app = monitor_app.build_app(config)
    if spec.get("in_process_parse"):
        from monitor.sources.feed.parse import parse_feed

        app.ctx.parse = parse_feed
    built = time.perf_counter()
    if spec["workers"] == monitor_app.WORKERS:
        outcomes = monitor_app.run_once(app)
    else:  # run_once with another pool size: the same two steps
        outcomes = monitor_app.poll_feeds(app, config.feeds, workers=spec["workers"])
        monitor_app.send_instant_digests(app)
    finished = time.perf_counter()
    articles = app.db.query("SELECT COUNT(*) FROM articles")[0][0]
    return {
        "wall_s": finished - started,
        "setup_s": built - started,
        "feeds": len(outcomes),
        "items": sum(o.entries for o in outcomes),
        "new_articles": sum(o.new_articles for o in outcomes),
        "matches": sum(o.matches for o in outcomes),
        "outcomes": dict(Counter(o.outcome for o in outcomes)),
        "errors": sorted({o.error for o in outcomes if o.error})[:5],
        "articles_stored": articles,
    }


def rules(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.rules_bench import run

    started = time.perf_counter()
    result = run(spec["rules"], spec["articles"])
    return {"wall_s": time.perf_counter() - started, **result}


def rss2email(spec: dict[str, Any]) -> dict[str, Any]:
    """`r2e run --no-send` over the same feeds, cold: the popular tool a user compares with.

    rss2email is a bench-only extra (`pip install -e '.[bench]'`); without it the run is skipped.
    """
    import shutil
    import subprocess

    from monitor.config.opml import write_opml

    r2e = shutil.which("r2e", path=str(Path(sys.executable).parent)) or shutil.which("r2e")
    if r2e is None:
        return {"wall_s": 0.0, "skipped": "rss2email is not installed"}
    place = Path(spec["workdir"])
    base = [r2e, "-c", str(place / "r2e.cfg"), "-d", str(place / "r2e.json")]
    opml = place / "feeds.opml"
    opml.write_bytes(write_opml((url, f"feed{i}", ()) for i, url in enumerate(spec["urls"])))
    for step in (["new", "bench@example.invalid"], ["opmlimport", str(opml)]):
        subprocess.run(base + step, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run([*base, "run", "--no-send"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "feeds": len(spec["urls"]), "exit": done.returncode}


def command(spec: dict[str, Any]) -> dict[str, Any]:
    """`news-monitor run --once` as a user runs it, start-up included (the in-process poll
    runs leave start-up out): the warm figure a cron job sees."""
    import subprocess

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "--once", "--config", spec["config"]],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"run --once failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"wall_s": wall, "feeds": len(spec["urls"])}


def syndication(spec: dict[str, Any]) -> dict[str, Any]:
    """Poll every round with `run --once`'s steps in one process, time each round, run the
    feedparser floor over the first and the last round's feeds, and score the stored clusters."""
    from bench.syndication import pair_scores, truth
    from monitor.config.load import load_config
    from monitor.service import app as monitor_app

    world = _syndication_world(spec)
    config = load_config(spec["config"])
    app = monitor_app.build_app(config)
    seconds, new, floors = [], [], {}
    for rnd in range(world.rounds):
        requests.get(
            spec["round_url"].rsplit("/", 1)[0] + f"/{rnd}", timeout=120
        ).raise_for_status()
        started = time.perf_counter()
        outcomes = monitor_app.run_once(app)
        seconds.append(time.perf_counter() - started)
        new.append(sum(o.new_articles for o in outcomes))
        errors = sorted({o.error for o in outcomes if o.error})
        if errors:
            raise RuntimeError(f"round {rnd}: {errors[:3]}")
        if rnd in (1, world.rounds - 1):
            floors[rnd] = floor({"urls": spec["urls"], "workers": spec["workers"]})["wall_s"]
    rows = app.db.query(
        "SELECT s.guid, a.cluster_id, a.id FROM article_sources s JOIN articles a"
        " ON a.id = s.article_id"
    )
    predicted = {guid: cluster or article for guid, cluster, article in rows}
    scores = pair_scores(predicted, truth(world, world.rounds))
    early, late = _early_late(seconds)
    return {
        "wall_s": sum(seconds),
        "feeds": world.feeds,
        "rounds": world.rounds,
        "round_s": [round(s, 3) for s in seconds],
        "new_articles": new,
        "early_round_s": early,
        "late_round_s": late,
        "last_round_s": seconds[-1],
        "floor_first_s": floors.get(1, 0.0),
        "floor_last_s": floors.get(world.rounds - 1, 0.0),
        "articles_stored": app.db.query("SELECT COUNT(*) FROM articles")[0][0],
        "items": len(truth(world, world.rounds)),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
    }


def _early_late(seconds: list[float]) -> tuple[float, float]:
    """Mean of rounds 1-3 and of the last three: round 0 fills empty feeds, and a feed's window
    is full from round ``window - 1`` on, so round 1 on is steady work."""
    early = seconds[1:4] or seconds
    late = seconds[-3:]
    return sum(early) / len(early), sum(late) / len(late)


def _syndication_world(spec: dict[str, Any]) -> Syndication:
    from bench.syndication import Syndication

    return Syndication(
        feeds=spec["feeds"],
        rounds=spec["rounds"],
        epoch=datetime.fromisoformat(spec["epoch"]),
    )


SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "floor": floor,
    "bare_get": bare_get,
    "poll": poll,
    "rules": rules,
    "syndication": syndication,
    "rss2email": rss2email,
    "command": command,
}


def run_scenario(spec: dict[str, Any]) -> dict[str, Any]:
    """One scenario, with its peak memory (this process plus any it started)."""
    result = SCENARIOS[spec["scenario"]](spec)
    result["peak_rss_mb"] = round(peak_rss_kib() / 1024, 1)
    return result


def peak_rss_kib() -> int:
    """Peak resident memory of the run (KiB, Linux): this process, its largest finished child,
    and every live descendant (parse workers). Peaks are summed, so this is an upper bound.

    The process's own peak is read from VmHWM, not ru_maxrss: ru_maxrss survives exec and so
    would count the parent this process was forked from.
    """
    finished = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    live = sum(_peak_rss_of(pid) for pid in _descendants(os.getpid()))
    return _peak_rss_of(os.getpid()) + finished + live


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _peak_rss_of(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )


def _threaded(one: Callable[[str], Any], urls: list[str], workers: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, urls))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        outcome = run_scenario(json.load(spec_file))
    sys.stdout.write(json.dumps(outcome) + "\n")
