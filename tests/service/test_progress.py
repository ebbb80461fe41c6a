"""Long interactive work (a first `run --once` over many feeds, a backtest) shows a progress bar
on a terminal, and none in a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import REPO, Clock, FeedServer, now_utc, rss, write_config


def config(tmp_path: Path, feeds: FeedServer, clock: Clock) -> Path:
    urls = [
        feeds.set(
            f"/f{n}.xml",
            rss([{"title": f"T{n}", "link": f"https://e.org/{n}", "pubDate": clock.now}]),
        )
        for n in range(5)
    ]
    listing = "".join(f"  - url: {u}\n" for u in urls)
    return write_config(tmp_path, f"database: {tmp_path / 'm.db'}\nfeeds:\n{listing}")


def run_on_terminal(args: list[str]) -> str:
    main, child = pty.openpty()
    proc = subprocess.Popen(
        args, cwd=REPO, stdin=child, stdout=child, stderr=child, env=os.environ.copy()
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_only(tmp_path, feeds: FeedServer, clock: Clock) -> None:
    path = config(tmp_path, feeds, clock)
    args = [sys.executable, "-m", "monitor.cli", "run", "--once", "--config", str(path)]
    on_terminal = run_on_terminal(args)
    assert "polling feeds" in on_terminal and "100%" in on_terminal
    (tmp_path / "m.db").unlink()
    piped = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0
    assert "polling feeds" not in piped.stderr + piped.stdout


def test_backtest_progress_bar_on_a_terminal_only(tmp_path, feeds: FeedServer) -> None:
    # published now: a backtest dates articles by publication (this one runs on the real clock)
    path = config(tmp_path, feeds, Clock(now_utc()))
    path.write_text(
        path.read_text()
        + "rules:\n  - {name: T, query: T1, digest: d}\ndigests:\n  d: {schedule: instant, channels: [c]}\nchannels:\n  c: {type: console}\n"
    )
    run = [sys.executable, "-m", "monitor.cli"]
    assert (
        subprocess.run(
            [*run, "run", "--once", "--config", str(path)],
            cwd=REPO,
            capture_output=True,
            timeout=60,
        ).returncode
        == 0
    )
    args = [*run, "rules", "test", "T1 OR T2", "--since", "30d", "--config", str(path)]
    on_terminal = run_on_terminal(args)
    assert "backtesting" in on_terminal and "100%" in on_terminal and "T1" in on_terminal
    piped = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and "backtesting" not in piped.stderr + piped.stdout
    assert "2 article(s)" in piped.stdout
