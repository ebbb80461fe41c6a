"""The workbench through a real HTTP client against the page alone (`news-monitor web`), on
SQLite and PostgreSQL: saving reloads the page's config, history and judgements are stored,
a config that would not load is never written, tokens and CSRF guard every edit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from web_world import NOW, Item, store_items, world_config

from monitor.config.load import Config
from monitor.service.refine import distinguishing_terms, refined, rule_query
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database

READER, EDITOR = "reader-secret-1", "editor-secret-2"
ITEMS = [
    Item(id="dam", title="Rogun dam reaches its second stage", summary="The Rogun dam grew."),
    Item(
        id="fc",
        title="Rogun football club wins",
        summary="FC Rogun won the football cup.",
        age=timedelta(hours=2),
    ),
]


@dataclass
class Site:
    url: str
    config: Config

    def get(self, path: str, token: str = EDITOR) -> requests.Response:
        return requests.get(self.url + path, headers=_bearer(token), timeout=20)

    def post(self, path: str, data: dict, token: str = EDITOR) -> requests.Response:
        return requests.post(
            self.url + path, data=data, headers=_bearer(token), timeout=20, allow_redirects=False
        )

    def form(self, path: str) -> dict[str, str]:
        """The hidden fields (CSRF token, file version) of the form at `path`."""
        page = self.get(path).text
        return dict(
            re.findall(r'<input type="hidden" name="(csrf_token|version)" value="([^"]*)"', page)
        )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    config = world_config(
        tmp_path,
        web=f'web: {{listen: "127.0.0.1:0", token: "{READER}", editor_token: "{EDITOR}"}}',
        database=database_url,
    )
    store_items(config, ITEMS)
    server = WebServer(
        make_app(config, open_database(config.database), clock=lambda: NOW),
        "127.0.0.1",
        0,
        token=READER,
    ).start()
    yield Site(url=server.url.rstrip("/"), config=config)
    server.stop()


def test_a_saved_rule_is_served_at_once_and_recorded(site: Site) -> None:
    hidden = site.form("/rules/new")
    answer = site.post(
        "/rules/new",
        hidden | {"name": "Dam", "query": "Rogun NEAR/3 dam", "digest": "daily", "action": "save"},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        "/rules/Dam/edit?saved=1"
    )
    assert (
        "  - name: Dam\n    query: 'Rogun NEAR/3 dam'\n    digest: daily\n"
        in Path(site.config.path).read_text()
    )
    assert "/rules/Dam/edit" in site.get("/rules").text  # the page alone read the file again
    history = site.get("/history").text
    assert (
        "rule Dam" in history
        and "editor" in history
        and "+    query: &#39;Rogun NEAR/3 dam&#39;" in history
    )


def test_a_config_that_would_not_load_is_never_written(site: Site) -> None:
    before = Path(site.config.path).read_bytes()
    answer = site.post(
        "/rules/Rogun/edit",
        site.form("/rules/Rogun/edit")
        | {"name": "Rogun", "any": "Rogun", "digest": "dayly", "action": "save"},
    )
    assert answer.status_code == 422
    assert "unknown digest &#39;dayly&#39;" in answer.text
    assert Path(site.config.path).read_bytes() == before


def test_judgements_are_kept_per_rule_with_its_precision(site: Site) -> None:
    hidden = site.form("/rules/Rogun/edit")
    csrf = {"csrf_token": hidden["csrf_token"]}
    answer = site.post("/stories/fc/judge", csrf | {"rule": "Rogun", "relevant": "0"})
    assert answer.headers["Location"].endswith("/rules/Rogun/refine")
    site.post("/stories/dam/judge", csrf | {"rule": "Rogun", "relevant": "1"})
    refine = site.get("/rules/Rogun/refine").text
    assert "<code>NOT football</code>" in refine
    assert "Judged stories: 2, precision 50%" in refine


def test_the_reader_gets_403_and_no_csrf_changes_nothing(site: Site) -> None:
    before = Path(site.config.path).read_bytes()
    for path in (
        "/rules/new",
        "/rules/Rogun/edit",
        "/rules/Rogun/delete",
        "/feeds/new",
        "/history",
    ):
        assert site.get(path, READER).status_code == 403, path
    hidden = site.form("/rules/Rogun/delete")
    assert site.post("/rules/Rogun/delete", hidden, READER).status_code == 403
    assert site.post("/rules/Rogun/delete", {"version": hidden["version"]}).status_code == 403
    assert (
        site.post(
            "/feeds/pause", {"url": "https://wire.example.org/feed.xml", "paused": "1"}
        ).status_code
        == 403
    )
    assert Path(site.config.path).read_bytes() == before
    assert site.post("/rules/Rogun/delete", hidden).status_code == 303
    assert "name: Rogun" not in Path(site.config.path).read_text()


def test_without_an_editor_token_nothing_can_be_edited(tmp_path: Path) -> None:
    config = world_config(tmp_path, web=f'web: {{listen: "127.0.0.1:0", token: "{READER}"}}')
    client = make_app(config, open_database(config.database), clock=lambda: NOW).test_client()
    for token in (READER, EDITOR):
        assert client.get("/rules/new", headers=_bearer(token)).status_code in (401, 403)
    assert client.get("/rules", headers=_bearer(READER)).status_code == 200


REFINE_CASES = [
    pytest.param(
        ["FC Rogun won the football cup", "Rogun football club signs a coach"],
        ["The Rogun dam reached its second stage", "Rogun turbines run"],
        ["football"],
        id="the word every rejected story shares",
    ),
    pytest.param(
        ["Rogun football cup", "Rogun tennis open: tennis fans"],
        ["The Rogun dam"],
        ["tennis", "football"],
        id="one word each when they share none",
    ),
    pytest.param(
        ["Rogun dam story"],
        ["Rogun dam story"],
        [],
        id="nothing when the rejected story looks like the kept ones",
    ),
]


@pytest.mark.parametrize(("rejected", "kept", "terms"), REFINE_CASES)
def test_distinguishing_terms(rejected: list[str], kept: list[str], terms: list[str]) -> None:
    assert distinguishing_terms(rejected, kept, exclude={"rogun"}) == terms


def test_a_refinement_is_the_rule_as_one_query_with_not_terms() -> None:
    assert refined({"query": "Rogun OR dam"}, ["football"]) == "(Rogun OR dam) NOT football"
    assert refined({"any": ["Rogun", "Рогун"]}, ["football", "cup"]) == (
        "(Rogun OR Рогун) NOT football NOT cup"
    )
    assert rule_query({"query": "a", "all": ["b"], "none": ["c", '"d e"']}) == (
        '(a) b NOT (c OR "d e")'
    )


def test_a_paused_feed_is_listed_but_never_polled(tmp_path: Path, feeds) -> None:  # noqa: ANN001
    from conftest import rss, write_config

    from monitor.config.load import load_config
    from monitor.service.app import build_app, run_once

    live = feeds.set("/live.xml", rss([{"title": "a", "guid": "a"}]))
    quiet = feeds.set("/paused.xml", rss([{"title": "b", "guid": "b"}]))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "m.db"}
        feeds:
          - url: {live}
          - url: {quiet}
            paused: true
        """,
    )
    config = load_config(path)
    assert [f.paused for f in config.feeds] == [False, True]
    run_once(build_app(config))
    assert feeds.requests["/live.xml"] == 1 and feeds.requests["/paused.xml"] == 0


def test_a_search_becomes_a_new_rule_with_its_backtest(site: Site) -> None:
    found = site.get("/search?q=Rogun+NOT+football&since=30d").text
    assert 'href="/rules/new?query=Rogun+NOT+football"' in found
    form = site.get("/rules/new?query=Rogun+NOT+football").text
    assert ">Rogun NOT football</textarea>" in form
    assert "Last 30 days: 1 match" in form and "<mark>Rogun</mark> dam reaches its second" in form
    assert "New rule from this query" not in site.get("/search?q=Rogun", READER).text


def test_entities_are_listed_with_their_forms_and_edited_like_rules(tmp_path: Path) -> None:
    from conftest import write_config
    from web_world import DESK, WIRE

    from monitor.config.load import load_config

    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "m.db"}
        feeds:
          - url: {WIRE}
          - url: {DESK}
        entities:
          Rogun: [Rogun, Рогун]   # the dam
        rules:
          - name: Rogun
            query: '@Rogun'
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", channels: [console]}}
        channels:
          console: {{type: console}}
        web: {{token: "{READER}", editor_token: "{EDITOR}"}}
        """,
    )
    config = load_config(path)
    store_items(
        config,
        [Item(id="ges", title="Строительство Рогунской ГЭС", summary="Рогунская ГЭС растёт.")],
    )
    client = make_app(config, open_database(config.database), clock=lambda: NOW).test_client()
    listed = client.get("/entities", headers=_bearer(READER)).get_data(as_text=True)
    assert "@Rogun" in listed and "<code>Рогун</code>" in listed and "stems" in listed
    page = client.get("/entities/Rogun/edit", headers=_bearer(EDITOR)).get_data(as_text=True)
    assert "The forms it will match" in page and "Last 30 days: 1 match" in page
    assert "<mark>Рогунской</mark>" in page
    hidden = dict(re.findall(r'name="(csrf_token|version)" value="([^"]*)"', page))
    saved = client.post(
        "/entities/Rogun/edit",
        headers=_bearer(EDITOR),
        data=hidden | {"name": "Rogun", "forms": "Rogun, Рогун, Roghun", "action": "save"},
    )
    assert saved.status_code == 303
    assert "  Rogun: [Rogun, Рогун, Roghun] # the dam\n" in path.read_text()
    broken = client.post(
        "/entities/new",
        headers=_bearer(EDITOR),
        data={"csrf_token": hidden["csrf_token"], "name": "SCO", "forms": "{SCO", "action": "save"},
    )
    assert broken.status_code == 422 and "column 1" in broken.get_data(as_text=True)
    assert client.get("/entities/new", headers=_bearer(READER)).status_code == 403


def test_feeds_says_which_feed_is_paused(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from conftest import write_config

    from monitor.cli.main import main

    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "m.db"}
        feeds:
          - url: https://a.example.org/rss
            name: Alpha
          - url: https://b.example.org/rss
            name: Beta
            paused: true
        """,
    )
    result = CliRunner().invoke(main, ["feeds", "--config", str(path)])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line[:1] in "AB"}
    assert " paused " in rows["Beta"] and " paused " not in rows["Alpha"]


def test_a_rules_other_keys_are_kept_and_count_in_its_backtest(site: Site) -> None:
    path = Path(site.config.path)
    path.write_text(
        path.read_text().replace(
            "    any: [Rogun, Рогун]\n", "    any: [Rogun, Рогун]\n    mentions: 3   # thrice\n"
        )
    )
    page = site.get("/rules/Rogun/edit").text
    assert "<code>mentions: 3</code>" in page
    assert "Last 30 days: 0 matches" in page  # no story says Rogun three times
    live = site.get("/rules/preview?original=Rogun&name=Rogun&any=Rogun").text
    assert "Last 30 days: 0 matches" in live  # the live preview keeps them too
    hidden = site.form("/rules/Rogun/edit")
    site.post(
        "/rules/Rogun/edit",
        hidden
        | {"name": "Rogun", "any": "Rogun, Рогун, Roghun", "digest": "daily", "action": "save"},
    )
    assert "    any: [Rogun, Рогун, Roghun]\n    mentions: 3   # thrice\n" in path.read_text()


def test_a_post_without_a_button_name_saves_and_preview_never_does(site: Site) -> None:
    before = Path(site.config.path).read_text()
    hidden = site.form("/rules/new")
    fields = hidden | {"name": "Dam", "query": "dam", "digest": "daily"}
    assert site.post("/rules/new", fields | {"action": "preview"}).status_code == 200
    assert Path(site.config.path).read_text() == before
    assert site.post("/rules/new", fields).status_code == 303
    assert "  - name: Dam\n" in Path(site.config.path).read_text()
