"""The watch-list benchmark at a small size: its figures are there and describe the run
(speed is not asserted): matches found on real text, about one rule checked per match."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO


def test_the_watchlist_bench_reports_its_figures(tmp_path) -> None:
    out = tmp_path / "watchlist.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.watchlist", "--sizes", "2000", "--seconds", "0.2",
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [row] = json.loads(out.read_text())["rows"]
    assert row["rules"] == 2000 and row["matches_per_article"] > 0
    assert row["articles_per_s"] > 0 and row["floor_articles_per_s"] > 0
    assert 1 <= row["candidates_per_match"] < 3
