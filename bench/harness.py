"""What the benchmark's drivers share: the monitor's config for a world, and running one
scenario (bench/scenarios.py) in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.profile import profiled_command, stage_seconds
from bench.world import paragraph_words

REPO = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    """A scenario process failed; the message carries the end of its stderr."""


def run_scenario(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """One scenario in a fresh Python process: its own state, its own peak memory.

    With a profile path in the spec the process runs under py-spy, and the result gains the
    CPU seconds of each pipeline stage.
    """
    name = spec.get("label", spec["scenario"])
    spec_file = workdir / f"spec-{name}.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    command = [sys.executable, "-m", "bench.scenarios", str(spec_file)]
    if spec.get("profile"):
        command = profiled_command(command, Path(spec["profile"]))
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if spec.get("profile"):
        result["cpu_s_by_stage"] = stage_seconds(Path(spec["profile"]).read_text())
    return result


# The watch rules of every bench config, each to the instant digest.
WATCH_RULES = (
    "rules:\n"
    "  - name: SCO\n"
    "    query: '{SCO} OR \"Shanghai Cooperation Organi*ation\" OR ШОС'\n"
    "    digest: instant\n"
    "  - name: Rogun\n"
    "    any: [Rogun, Рогун*]\n"
    "    digest: instant\n"
    "  - name: NATO\n"
    "    query: '(NATO OR \"North Atlantic Treaty\" OR НАТО) NOT title:football'\n"
    "    mentions: 2\n"
    "    digest: instant\n"
)


CYCLE_RULES = 1000  # a watch list the size of a busy desk's


def watch_list(rules: int) -> str:
    """The three watch rules, then more (up to ``rules`` in all) over rare words of the cycle
    world's real paragraphs: a third match the items one word is in, the rest ask for two
    words together (an AND, a NEAR) and match seldom, as most of a real watch list does."""
    words = paragraph_words()
    extra = []
    for i in range(max(0, rules - 3)):
        a, b, c = (words[(i * k * 7919 + k) % len(words)] for k in (1, 2, 3))
        shape = i % 3
        if shape == 0:
            line = f"    query: '{a} {b}'\n"
        elif shape == 1:
            line = f"    query: '\"{a} {b}\" OR {c}*'\n"
        else:
            line = f"    query: '({a} OR {b}) NEAR/5 {c}'\n"
        extra.append(f"  - name: watch-{i}\n{line}    digest: instant\n")
    return WATCH_RULES + "".join(extra)


def write_config(workdir: Path, urls: list[str], rules: int = 3) -> Path:
    """The monitor's config for the world: every feed, ``rules`` watch rules, a file channel."""
    feeds = "".join(f"  - url: {url}\n    name: Bench feed {i}\n" for i, url in enumerate(urls))
    path = workdir / "monitor.yaml"
    path.write_text(
        f"database: {workdir / 'monitor.db'}\n"
        'user_agent: "news-monitor-bench/1.0"\n'
        "defaults: {interval: 15m, timeout: 60s, max_age: 7d}\n"
        f"feeds:\n{feeds}"
        f"{watch_list(rules)}"
        "digests:\n"
        "  instant: {schedule: instant, channels: [archive]}\n"
        "channels:\n"
        f"  archive: {{type: file, path: {workdir / 'digests'}}}\n",
        encoding="utf-8",
    )
    return path


def say(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()
