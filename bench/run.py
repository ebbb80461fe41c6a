"""`make bench`: serve a synthetic world on loopback and measure, in one run, the feedparser
floor, a bare conditional-GET pass, cold / warm / changed poll cycles and rule matching; print
the table with the ratios against their targets and write bench/results.json.

    python -m bench.run [--feeds 1000] [--items 50] [--workers 8] [--quick] [--profile DIR]
                        [--syndication-feeds 150] [--rounds 16]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import syndication
from bench.harness import REPO, BenchError, run_scenario, say, write_config
from bench.report import assess, format_table
from bench.server import WorldServer, serving
from bench.world import World, changed, recent_epoch, story_keys
from monitor.service.app import WORKERS

RESULTS = REPO / "bench" / "results.json"
HOSTS = 8
RULES = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    feeds: int = 1000
    items: int = 50
    workers: int = WORKERS
    hosts: int = HOSTS
    rules: int = RULES
    rule_articles: int = 5000
    profile: str | None = None  # directory for the cold and changed runs' py-spy stacks
    in_process_parse: bool = False  # parse in the polling process instead of build_app's choice
    syndication_feeds: int = 150  # outlets of the syndication world (bench/syndication.py)
    rounds: int = 16  # its poll rounds
    cycle_only: bool = False  # the poll cycle's figures alone (no matching, no syndication)


def run_bench(options: Options, workdir: Path) -> dict[str, Any]:
    """Every scenario in order against one served world; returns the results record."""
    world = World(
        feeds=options.feeds, items=options.items, epoch=recent_epoch(_now(), options.items)
    )
    runs: dict[str, dict[str, Any]] = {}
    say(f"rendering {options.feeds} feeds of {options.items} items")
    with serving(world, hosts=options.hosts) as server:
        urls = server.urls()
        common = {"urls": urls, "workers": options.workers}
        runs["floor"] = _measured(server, workdir, "floor", common)
        etags = {"etags": server.validators()}
        runs["bare_get"] = _measured(server, workdir, "bare_get", common | etags)
        config = write_config(workdir, urls, options.rules)
        poll = common | {"config": str(config), "in_process_parse": options.in_process_parse}
        cold = poll | {"label": "cold", "profile": _profile(options, "cold")}
        runs["cold"] = _measured(server, workdir, "poll", cold)
        runs["warm"] = _measured(server, workdir, "poll", poll | {"label": "warm"})
        command = common | {"config": str(config), "label": "warm command"}
        runs["warm_command"] = _measured(server, workdir, "command", command)
        runs["rss2email"] = _measured(
            server, workdir, "rss2email", common | {"workdir": str(workdir)}
        )
        say("changing a fifth of every feed's items")
        server.change()
        changed_run = poll | {"label": "changed", "profile": _profile(options, "changed")}
        runs["changed"] = _measured(server, workdir, "poll", changed_run)
    if not options.cycle_only:
        matching = {"rules": options.rules, "articles": options.rule_articles}
        runs["rules"] = _measured(None, workdir, "rules", matching)
        runs["syndication"] = _syndication(options, workdir)
    expected = {
        "cold_new_articles": len(story_keys(world)),
        "changed_new_articles": len(story_keys(changed(world)) - story_keys(world)),
    }
    return {
        "created_at": _now().isoformat(timespec="seconds"),
        "options": asdict(options) | {"profile": bool(options.profile)},
        "world": {"feeds": world.feeds, "items": world.items, **expected},
        "runs": runs,
        "targets": assess(runs),
    }


def _measured(
    server: WorldServer | None, workdir: Path, scenario: str, spec: dict[str, Any]
) -> dict[str, Any]:
    label = spec.get("label", scenario)
    say(f"{label} ...")
    if server:
        server.take_statuses()
    result = run_scenario(spec | {"scenario": scenario}, workdir)
    if server:
        result["served"] = {str(k): v for k, v in sorted(server.take_statuses().items())}
    if result.get("items") is not None and result["wall_s"] > 0:
        result["items_per_s"] = round(result["items"] / result["wall_s"], 1)
    result["wall_s"] = round(result["wall_s"], 3)
    say(f"{label}: {result['wall_s']} s, {result['peak_rss_mb']} MB")
    return result


def _syndication(options: Options, workdir: Path) -> dict[str, Any]:
    """Outlets re-publishing each other's stories, polled round after round (its own world)."""
    world = syndication.Syndication(
        feeds=options.syndication_feeds,
        rounds=options.rounds,
        epoch=syndication.recent_epoch(_now(), options.rounds),
    )
    say(f"syndication: {world.feeds} outlets, {world.rounds} rounds")
    place = workdir / "syndication"
    place.mkdir()
    with syndication.serving(world, hosts=options.hosts) as server:
        config = write_config(place, server.urls())
        spec = syndication.spec_for(world, server, config, options.workers)
        return _measured(None, place, "syndication", spec)


def _profile(options: Options, name: str) -> str | None:
    if not options.profile:
        return None
    Path(options.profile).mkdir(parents=True, exist_ok=True)
    return str(Path(options.profile).resolve() / f"{name}.stacks.txt")


def _now() -> datetime:
    return datetime.now(UTC)


def parse_args(argv: list[str] | None) -> tuple[Options, Path]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, help="feeds in the world (default 1000)")
    parser.add_argument("--items", type=int, default=50, help="items per feed (default 50)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="poll threads, floor too")
    parser.add_argument("--quick", action="store_true", help="a small smoke run (20 feeds)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the cold and changed runs")
    parser.add_argument(
        "--in-process-parse",
        action="store_true",
        help="parse in the polling process (before/after)",
    )
    parser.add_argument(
        "--syndication-feeds", type=int, help="outlets of the syndication world (default 150)"
    )
    parser.add_argument("--rounds", type=int, help="its poll rounds (default 16)")
    parser.add_argument(
        "--cycle-only",
        action="store_true",
        help="cold, warm and changed cycles, their floor and rss2email only",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results.json goes")
    args = parser.parse_args(argv)
    feeds = args.feeds or (20 if args.quick else 1000)
    options = Options(
        feeds=feeds,
        items=args.items,
        workers=args.workers,
        rule_articles=300 if args.quick else 5000,
        profile=args.profile,
        in_process_parse=args.in_process_parse,
        syndication_feeds=args.syndication_feeds or (12 if args.quick else 150),
        rounds=args.rounds or (4 if args.quick else 16),
        cycle_only=args.cycle_only,
    )
    return options, args.out


def main(argv: list[str] | None = None) -> int:
    options, out = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="news-monitor-bench-") as workdir:
        try:
            results = run_bench(options, Path(workdir))
        except BenchError as exc:
            say(str(exc))
            return 2
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(format_table(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
