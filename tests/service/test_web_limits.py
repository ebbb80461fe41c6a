"""What one query may cost: bounded words, wildcards, phrases and text with a clear error, a
time budget on the archive search, and /healthz answering while costly requests run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
import requests
from web_world import NOW, Item, store_items, world_config

from monitor.cli.main import main as main_cli
from monitor.rules import build_rule
from monitor.rules.limits import MAX_TRY_CHARS
from monitor.service.explore import search_page
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database
from monitor.store.browse import Browse

ITEMS = [
    Item(id=f"r{n:02}", title=f"Rogun report {n:02}", summary="Rogun.", age=timedelta(minutes=n))
    for n in range(12)
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    config = world_config(tmp_path)
    store_items(config, ITEMS)
    server = WebServer(
        make_app(config, open_database(config.database), clock=lambda: NOW),
        "127.0.0.1",
        0,
        token=None,
    ).start()
    yield server.url.rstrip("/")
    server.stop()


def get(url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def test_a_query_past_the_bounds_is_refused_with_its_column(site: str) -> None:
    many = " OR ".join(f"w{i}" for i in range(2000))
    page = get(site + "/search", q=many)
    assert page.status_code == 200
    assert "Query error at column" in page.text and "at most 1,000 words" in page.text
    phrase = '"' + " ".join(["a"] * 2000) + '"'
    tried = get(site + "/rules/try", q=phrase, text="a " * 1000)
    assert "at most 32 words" in tried.text
    wild = " ".join(f"x{i}*" for i in range(60))
    assert "at most 50 words with wildcards" in get(site + "/search", q=wild).text


def test_too_much_text_to_try_is_refused_on_the_page_and_in_the_cli(site: str) -> None:
    text = "Rogun " * (MAX_TRY_CHARS // 6 + 10)
    tried = get(site + "/rules/try", q="Rogun", text=text)
    assert tried.status_code == 200
    assert f"a rule is tried on at most {MAX_TRY_CHARS:,}" in tried.text
    assert "<mark" not in tried.text


def test_the_cli_refuses_too_much_text(tmp_path: Path) -> None:
    from click.testing import CliRunner

    config = world_config(tmp_path)
    text = "Rogun " * (MAX_TRY_CHARS // 6 + 10)
    result = CliRunner().invoke(
        main_cli, ["rules", "test", "Rogun", "--text", text, "--config", str(config.path)]
    )
    assert result.exit_code == 1
    assert "--text: the text has" in result.output


def test_the_archive_search_stops_at_its_time_budget_and_says_so(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    store_items(config, ITEMS)
    store = Browse(open_database(config.database))
    ticks = count()  # a clock that moves one second each time it is read
    rule = build_rule(name="q", query="Rogun")

    def page(budget: float):  # noqa: ANN202
        return search_page(
            config, store, rule, since=timedelta(days=1), now=NOW, after=None, limit=50,
            timer=lambda: float(next(ticks)), budget=budget,
        )  # fmt: skip

    stopped = page(4.5)
    assert stopped.stopped and stopped.next is None
    assert [h.article_id for h in stopped.hits] == [item.id for item in ITEMS[:4]]
    whole = page(1000)
    assert not whole.stopped and [h.article_id for h in whole.hits] == [i.id for i in ITEMS]


def test_a_stopped_search_says_so_on_the_page(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    config = world_config(tmp_path)
    store_items(config, ITEMS)
    monkeypatch.setattr("monitor.service.explore.SEARCH_SECONDS", -1.0)  # spent before it starts
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    answer = app.test_client().get("/search?q=Rogun").get_data(as_text=True)
    assert "The search stopped after" in answer and "Nothing in the archive matches" not in answer


def test_healthz_answers_while_costly_requests_run(site: str) -> None:
    # The wildcard below held the interpreter for 18 s as a regular expression, and /healthz
    # with it; six at once also fill every thread the server has.
    costly = {"q": "a*a*a*a*a*a*a*a*a*a*a*a*a*b", "text": " ".join(["a" * 44] * 2000)}
    answers: list[int] = []

    def ask() -> None:
        answers.append(get(site + "/rules/try", **costly).status_code)

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for asker in askers:
        asker.start()
    health = requests.get(site + "/healthz", timeout=10)
    assert health.status_code == 200
    for asker in askers:
        asker.join()
    assert set(answers) <= {200, 503} and 200 in answers


def test_past_the_costly_slots_a_search_is_told_to_come_back_and_healthz_is_not(
    tmp_path: Path,
) -> None:
    config = world_config(tmp_path)
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    gate = app.extensions["news_monitor_gate"]
    client = app.test_client()
    held = 0
    while gate.slots.acquire(blocking=False):
        held += 1
    try:
        busy = client.get("/search?q=Rogun")
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200
        assert client.get("/search").status_code == 200  # the empty form costs nothing
    finally:
        for _ in range(held):
            gate.slots.release()
    assert client.get("/search?q=Rogun").status_code == 200
