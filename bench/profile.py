"""Where a poll run spends its CPU: py-spy samples (only those holding the GIL, so waiting
threads do not count) attributed to the pipeline stage nearest the top of each stack."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

SAMPLE_RATE = 200  # per second
# Stage -> (file suffix, function); the innermost matching frame of a stack takes the sample.
STAGES = {
    "fetch": ("monitor/sources/fetch.py", "fetch"),
    "parse": ("monitor/sources/feed/parse.py", "parse_feed"),
    "parse/xml+fields": ("monitor/sources/feed/fast.py", "parse_fast"),
    "parse/feedparser": ("monitor/sources/feed/reference.py", "parse_with_feedparser"),
    "html_to_text": ("monitor/extract/text.py", "html_to_text"),
    "body_hash": ("monitor/stories/identity.py", "body_hash"),
    "feed_state": ("monitor/store/feeds.py", "feed_state"),
    "dedupe_queries": ("monitor/store/articles.py", "known"),
    "identify/canonical url": ("monitor/stories/identity.py", "identify"),
    "fingerprint": ("monitor/stories/neardup.py", "fingerprint"),
    "story_snapshot": ("monitor/store/stories.py", "decide"),
    "folding": ("monitor/stories/folding.py", "fold"),
    "sqlite_writes": ("monitor/store/articles.py", "save_articles"),
    "record_poll": ("monitor/store/feeds.py", "record_poll"),
    "matching": ("monitor/pipeline/matching.py", "match_articles"),
    "build_app": ("monitor/service/app.py", "build_app"),
    "digests": ("monitor/service/app.py", "send_instant_digests"),
    "neardup_similarity": ("monitor/stories/neardup.py", "similarity"),
    "parse_in_worker_wait": ("monitor/pipeline/isolate.py", "__call__"),
}
_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>.+?):\d+\)$")


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profiled_command(command: list[str], raw_output: Path) -> list[str]:
    spy = py_spy()
    if spy is None:
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    return [spy, "record", "--gil", "--subprocesses", "--rate", str(SAMPLE_RATE)] + [
        "--format",
        "raw",
        "--output",
        str(raw_output),
        "--",
        *command,
    ]


def stage_seconds(raw_stacks: str) -> dict[str, float]:
    """CPU seconds per stage from py-spy's raw output ("frame;frame;... count" per line).

    Samples from processes the run started (parse workers) are named "workers/<stage>".
    """
    samples: Counter[str] = Counter()
    for line in raw_stacks.splitlines():
        stack, _, count = line.rpartition(" ")
        if not (stack and count.isdigit()):
            continue
        frames = stack.split(";")
        processes = [f for f in frames if f.startswith("process ")]
        prefix = "workers/" if len(processes) > 1 else ""
        samples[prefix + _stage_of(frames)] += int(count)
    return {stage: round(n / SAMPLE_RATE, 2) for stage, n in samples.most_common()}


def _stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        found = _FRAME.match(frame)
        if not found:
            continue
        for stage, (suffix, function) in STAGES.items():
            # py-spy names methods by their qualified name (Class.method)
            name = found["function"].rsplit(".", 1)[-1]
            if name == function and found["file"].endswith(suffix):
                return stage
    return "other"
