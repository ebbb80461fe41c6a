"""The workers benchmark at its small size: real `news-monitor run` processes on a throwaway
PostgreSQL, one of them killed with SIGKILL in the middle of a cycle.

Speed is not asserted; what the figures describe is: every feed fetched once per cycle in all,
the killed worker's feeds taken over by the other, every article stored once, every webhook
delivery received once.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO))  # bench/ is part of the repository, not of the installed package

from bench.workers import main  # noqa: E402
from testsupport.postgres import SKIP_REASON, find_bin_dir  # noqa: E402

pytestmark = pytest.mark.skipif(find_bin_dir() is None, reason=SKIP_REASON)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("workers") / "workers_results.json"
    assert main(["--small", "--out", str(out)]) == 0
    return json.loads(out.read_text())


def test_each_feed_is_fetched_once_per_cycle_however_many_workers(results: dict) -> None:
    feeds = results["world"]["feeds"]
    assert [run["workers"] for run in results["scaling"]] == [1, 2]
    for run in results["scaling"]:
        for cycle in ("cold", "changed"):
            assert run[cycle]["feeds_fetched_once"] == feeds, (run["workers"], cycle)
            assert run[cycle]["feeds_per_s"] > 0
    assert set(results["ratios"]["cold"]) == {"2/1"}


def test_every_article_is_stored_once_and_every_delivery_received_once(results: dict) -> None:
    expected = results["world"]["articles"]
    for run in [*results["scaling"], results["kill"]]:
        assert run["cold"]["articles"] == expected["cold"]
        assert run["changed"]["articles"] == expected["changed"]
        assert run["articles"] == run["articles_expected"] == sum(expected.values())
        assert run["deliveries_sent"] > 0  # the changed cycle's new matches went out
        assert run["deliveries_received"] == run["deliveries_sent"]
        assert run["deliveries_lost"] == 0 and run["deliveries_pending"] == 0


def test_a_killed_workers_feeds_are_polled_by_the_other_and_no_other_feed_twice(
    results: dict,
) -> None:
    kill = results["kill"]
    changed = kill["changed"]
    assert kill["workers"] == 2
    assert changed["claimed_by_killed"] > 0  # killed in the middle of the cycle, holding feeds
    assert 0 < changed["killed_at_polled"] < results["world"]["feeds"]
    assert changed["takeover_s"] > 0
    assert changed["feeds_not_fetched"] == 0
    assert changed["feeds_fetched_twice_not_killed"] == []
    # A resend with the same id is allowed only for what the killed worker was sending.
    assert set(kill["deliveries_received_twice"]) <= set(changed["sending_by_killed"])
