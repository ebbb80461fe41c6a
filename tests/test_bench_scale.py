"""The scale bench end to end at a toy size: every figure is there and describes what really
happened (the archive written, the old nine tenths of it pruned, the live articles kept)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import REPO

sys.path.insert(0, str(REPO))  # bench/ is part of the repository, not of the installed package

from bench.scale import main  # noqa: E402


def test_a_toy_run_measures_every_figure_at_both_sizes(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    args = ["--small", "60", "--large", "600", "--feeds", "4", "--items", "5", "--out", str(out)]
    assert main(args) == 0

    results = json.loads(out.read_text())
    for label, archive in (("small", 60), ("large", 600)):
        run = results[label]
        live = run["articles"] - archive
        assert live > 0 and run["db_bytes_per_article"] > 0
        assert set(run["figures"]) == {
            "warm_cycle",
            "changed_cycle",
            "search_rare",
            "search_common",
            "rules_test_30d",
            "feeds",
            "digest_preview",
        }
        assert all(seconds > 0 for seconds in run["figures"].values())
        prune = run["prune"]
        assert 0.75 * archive < prune["articles"] < archive  # the part older than 90 days
        # every live article (and those the changed cycle added) outlives the prune
        assert prune["articles_left"] > run["articles"] - prune["articles"]
