"""The workbench in a real browser (DESIGN §18): Playwright driving Debian's Chromium against
a real service (its feeds served on 127.0.0.1, its config file on disk), as an analyst uses it.

The rule editor's screenshot in the README is the one this module takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import run_once
from monitor.service.scheduler import Service
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from testsupport.browser import require_chromium

SCREENSHOT = REPO / "docs" / "web-rule-editor.png"
READER, EDITOR = "reader token for the desk", "editor token for the desk"

require_chromium()  # skips this module, saying what to install, without a browser

NOW = datetime.now(UTC).replace(microsecond=0)
BACKLOG = [
    ("kambarata-1", 2, "Kyrgyzstan signs financing for the Kambarata-1 dam",
     "The Kambarata-1 hydropower dam on the Naryn river will be built with World Bank money, "
     "officials in Bishkek said."),
    ("kambarata-2", 5, "Tajikistan and Kyrgyzstan agree on water for the Kambarata dam",
     "Energy ministers met in Khujand and agreed how the Kambarata dam reservoir will be filled."),
    ("rogun-1", 1, "Rogun dam reaches its second stage",
     "Engineers said the Rogun dam had reached its second stage and two turbines were running."),
    ("weather", 1, "Rain in Dushanbe", "Heavy rain is expected in Dushanbe on Friday."),
]  # fmt: skip


def items(entries: list[tuple[str, float, str, str]]) -> list[dict]:
    return [
        {
            "title": title,
            "link": f"https://news.example.org/{slug}",
            "guid": slug,
            "description": text,
            "pubDate": NOW - timedelta(days=age),
        }
        for slug, age, title, text in entries
    ]


@dataclass
class World:
    url: str  # the page
    config: Path
    service: Service
    feeds: FeedServer
    feed_path: str
    digests: Path

    def publish(self, *stories: tuple[str, str, str]) -> None:
        new = [(slug, 0, title, text) for slug, title, text in stories]
        self.feeds.set(self.feed_path, rss(items([*new, *BACKLOG])))

    def poll(self) -> None:
        run_once(self.service.app)


@pytest.fixture
def world(tmp_path: Path, feeds: FeedServer) -> Iterator[World]:
    feed_url = feeds.set("/desk.xml", rss(items(BACKLOG)))
    path = write_config(
        tmp_path,
        f"""
        # The desk's config: comments, order and ${{VAR}} placeholders stay as written.
        database: {tmp_path / "monitor.db"}
        timezone: Asia/Dushanbe
        allow_private_networks: true   # the site of the feed test is on 127.0.0.1

        feeds:
          - url: {feed_url}
            name: Central Asia desk

        rules:
          - name: Rogun
            any: [Rogun, Рогун]     # the dam, in both scripts
            digest: instant

        digests:
          instant: {{schedule: instant, channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        web: {{listen: "127.0.0.1:0", token: "${{DESK_READER:-{READER}}}", editor_token: "${{DESK_EDITOR:-{EDITOR}}}"}}
        """,
    )
    service = Service(load_config(path))
    run_once(service.app)  # the first poll stores the backlog without alerting on it
    app = make_app(service.app.config, service.app.db, service=service)
    server = WebServer(app, "127.0.0.1", 0, token=READER).start()
    yield World(
        url=server.url.rstrip("/"),
        config=path,
        service=service,
        feeds=feeds,
        feed_path="/desk.xml",
        digests=tmp_path / "digests",
    )
    server.stop()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    yield opened
    opened.close()


def signed_in(context, world: World, token: str = EDITOR):  # noqa: ANN001, ANN201
    page = context.new_page()
    page.goto(world.url + "/login")
    page.fill('input[name="token"]', token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(world.url + "/")
    return page


def test_a_rule_made_from_its_backtest_alerts_a_story_published_afterwards(
    world: World, context
) -> None:  # noqa: ANN001
    page = signed_in(context, world)
    page.goto(world.url + "/rules")
    page.get_by_role("link", name="New rule").click()
    page.fill('input[name="name"]', "Kambarata")
    page.fill('textarea[name="query"]', "Kambarata NEAR/3 dam")
    # the live preview: the backtest follows the query without a click
    preview = page.locator("#preview")
    preview.get_by_text("Last 30 days: 2 matches").wait_for()
    assert set(preview.locator("mark").all_inner_texts()) >= {"Kambarata", "dam"}
    page.get_by_role("button", name="Preview").click()  # and the form without script
    page.wait_for_load_state()
    assert "Last 30 days: 2 matches" in page.locator("#preview h2").inner_text()
    page.screenshot(path=str(SCREENSHOT))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/rules/Kambarata/edit?saved=1")
    assert "Saved" in page.locator(".notice").inner_text()

    text = world.config.read_text()
    assert "  - name: Kambarata\n    query: 'Kambarata NEAR/3 dam'\n    digest: instant\n" in text
    assert "${DESK_EDITOR:-" in text and "any: [Rogun, Рогун]     # the dam" in text
    assert [r.name for r in world.service.app.config.rules] == ["Rogun", "Kambarata"]

    world.publish(
        (
            "kambarata-3",
            "Turbines ordered for the Kambarata dam",
            "The Kambarata-1 dam will get four turbines, the ministry said.",
        )
    )
    world.poll()
    sent = "".join(p.read_text() for p in world.digests.glob("*.txt"))
    assert "Turbines ordered for the Kambarata dam" in sent
    assert "Kambarata" in sent


def test_a_broken_query_shows_its_column_and_is_never_written(world: World, context) -> None:  # noqa: ANN001
    before = world.config.read_bytes()
    page = signed_in(context, world)
    page.goto(world.url + "/rules/Rogun/edit")
    page.fill('textarea[name="query"]', "Rogun AND (dam")
    page.fill('input[name="any"]', "")
    page.locator("#preview").get_by_text(re.compile(r"column \d+")).wait_for()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert re.search(r"column \d+", page.locator("[role=alert]").first.inner_text())
    assert world.config.read_bytes() == before


def test_the_reader_token_cannot_edit(world: World, context) -> None:  # noqa: ANN001
    before = world.config.read_bytes()
    page = signed_in(context, world, READER)
    page.goto(world.url + "/rules")
    assert page.get_by_role("link", name="New rule").count() == 0
    assert page.get_by_role("link", name="Sign in to edit").count() == 1
    for path in (
        "/rules/new",
        "/rules/Rogun/edit",
        "/rules/Rogun/delete",
        "/feeds/new",
        "/history",
    ):
        assert page.goto(world.url + path).status == 403, path  # type: ignore[union-attr]
    answer = page.request.post(
        world.url + "/rules/new",
        form={"name": "X", "query": "x", "digest": "instant", "action": "save"},
    )
    assert answer.status == 403
    assert world.config.read_bytes() == before


def test_a_post_without_the_csrf_token_changes_nothing(world: World, context) -> None:  # noqa: ANN001
    before = world.config.read_bytes()
    page = signed_in(context, world)
    page.goto(world.url + "/rules/Rogun/edit")
    version = page.locator('input[name="version"]').input_value()
    fields = {"name": "Rogun", "query": "Rogun", "digest": "instant", "action": "save"}
    answer = page.request.post(world.url + "/rules/Rogun/edit", form=fields | {"version": version})
    assert answer.status == 403
    wrong = fields | {"version": version, "csrf_token": "0" * 64}
    assert page.request.post(world.url + "/rules/Rogun/edit", form=wrong).status == 403
    assert world.config.read_bytes() == before


def test_revert_restores_the_file_byte_for_byte(world: World, context) -> None:  # noqa: ANN001
    before = world.config.read_bytes()
    page = signed_in(context, world)
    page.goto(world.url + "/rules/Rogun/edit")
    page.fill('input[name="any"]', "Rogun, Рогун, Rogun HPP")
    page.select_option('select[name="priority"]', "urgent")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/rules/Rogun/edit?saved=1")
    page.goto(world.url + "/rules/Rogun/delete")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(world.url + "/rules")
    assert "name: Rogun" not in world.config.read_text()

    page.goto(world.url + "/history")
    entries = page.locator("section.change")
    assert entries.count() == 2
    newest = entries.nth(0)
    assert "rule Rogun" in newest.locator("h2").inner_text()
    assert "editor" in newest.locator(".meta").inner_text()
    assert "/rules/Rogun/delete" in newest.locator(".meta").inner_text()
    assert "+    priority: urgent" in entries.nth(1).locator("pre.diff").inner_text()
    newest.get_by_role("button", name="Revert").click()  # the rule is back, as it was saved
    page.wait_for_url(world.url + "/history")
    assert "  - name: Rogun\n    any: [Rogun, Рогун, Rogun HPP]" in world.config.read_text()
    assert "revert of #2 (rule Rogun)" in entries.nth(0).locator("h2").inner_text()
    entries.nth(2).get_by_role("button", name="Revert").click()  # and then the first change
    page.wait_for_url(world.url + "/history")
    assert world.config.read_bytes() == before
    assert [r.name for r in world.service.app.config.rules] == ["Rogun"]


def test_two_tabs_saving_one_rule_the_second_gets_the_conflict(world: World, context) -> None:  # noqa: ANN001
    first, second = signed_in(context, world), context.new_page()  # type: ignore[attr-defined]
    for tab in (first, second):
        tab.goto(world.url + "/rules/Rogun/edit")
    first.fill('textarea[name="query"]', "Rogun NEAR/5 dam")
    first.fill('input[name="any"]', "")
    first.get_by_role("button", name="Save").click()
    first.wait_for_url("**/rules/Rogun/edit?saved=1")

    second.fill('input[name="any"]', "Rogun, Рогун, Rogun HPP")
    second.get_by_role("button", name="Save").click()
    second.wait_for_load_state()
    alert = second.locator(".conflict")
    assert "Conflict" in alert.inner_text()
    assert "query: 'Rogun NEAR/5 dam'" in alert.locator("pre.current").inner_text()
    assert "query: 'Rogun NEAR/5 dam'" in world.config.read_text()
    assert "Rogun HPP" not in world.config.read_text()
    second.get_by_role("button", name="Save").click()  # knowingly, over the current version
    second.wait_for_url("**/rules/Rogun/edit?saved=1")
    assert "any: [Rogun, Рогун, Rogun HPP]" in world.config.read_text()


def test_a_feed_added_from_a_site_page(world: World, context) -> None:  # noqa: ANN001
    feed_body = rss(
        items([("tolo-1", 0.5, "Parliament passes the water law", "The water law passed.")]),
        title="Tolo news",
    )
    world.feeds.set("/tolo/rss.xml", feed_body)
    site = world.feeds.set(
        "/tolo/",
        b'<!doctype html><html><head><title>Tolo</title><link rel="alternate" '
        b'type="application/rss+xml" title="Tolo news" href="/tolo/rss.xml"></head>'
        b"<body><h1>Tolo</h1></body></html>",
        "text/html; charset=utf-8",
    )
    page = signed_in(context, world)
    page.goto(world.url + "/feeds")
    page.get_by_role("link", name="Add a feed →").click()
    page.fill('input[name="url"]', site)
    page.get_by_role("button", name="Find feeds").click()
    candidate = page.locator("section.candidate")
    candidate.get_by_text("Parliament passes the water law").wait_for()
    candidate.get_by_role("button", name="Add").click()
    page.wait_for_url(world.url + "/feeds")
    assert page.get_by_text("Tolo news").count() >= 1
    assert f"  - url: {world.feeds.url('/tolo/rss.xml')}\n    name: Tolo news\n" in (
        world.config.read_text()
    )
    page.locator("tr", has_text="Tolo news").get_by_role("button", name="Pause").click()
    page.wait_for_url(world.url + "/feeds")
    assert "    name: Tolo news\n    paused: true\n" in world.config.read_text()
    assert (
        page.locator("tr", has_text="Tolo news").get_by_role("button", name="Resume").count() == 1
    )


def test_not_relevant_proposes_a_refinement_with_its_backtest(world: World, context) -> None:  # noqa: ANN001
    world.publish(
        (
            "rogun-fc-1",
            "Rogun football club wins the cup",
            "FC Rogun beat the visitors two to one in the cup final; football fans celebrated.",
        ),
        (
            "rogun-fc-2",
            "Rogun football club signs a new coach",
            "FC Rogun, the football club of the dam's town, signed a coach from Khujand.",
        ),
    )
    world.poll()  # both alerted for Rogun: the analyst opens them from the page
    page = signed_in(context, world)
    for title in ("Rogun football club wins the cup", "Rogun football club signs a new coach"):
        page.goto(world.url + "/")
        page.get_by_role("link", name=title).click()
        page.get_by_role("button", name="Not relevant for Rogun").click()
        page.wait_for_url("**/rules/Rogun/refine")
    proposal = page.locator(".proposal")
    assert "NOT football" in proposal.inner_text()
    assert "NOT football" in page.locator('textarea[name="query"]').input_value()
    preview = page.locator("#preview")
    assert "Last 30 days: 1 match" in preview.locator("h2").inner_text()
    assert "Rogun dam reaches its second stage" in preview.inner_text()
    assert "football" not in preview.inner_text()
    assert "NOT football" not in world.config.read_text()  # nothing saved yet
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/rules/Rogun/edit?saved=1")
    assert "    query: '(Rogun OR Рогун) NOT football'\n" in world.config.read_text()
    judged = page.locator("section.judged")
    assert "Judged stories: 2, precision 0%" in judged.inner_text()
    assert "Rogun football club signs a new coach" in judged.inner_text()


EDITOR_PAGES = ("/rules/new?query=Kambarata", "/rules/Rogun/edit", "/rules/Rogun/delete",
                "/rules/Rogun/refine", "/feeds/new", "/feeds", "/history", "/stories/rogun-1",
                "/entities", "/entities/new")  # fmt: skip


@pytest.mark.parametrize("width", [1280, 390])
def test_every_editing_page_passes_an_accessibility_check(
    world: World, context, width: int
) -> None:  # noqa: ANN001
    axe = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe is not installed"
    )
    page = signed_in(context, world)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(world.url + "/rules/Rogun/edit")
    page.get_by_role("button", name="Save").click()  # one change, for /history to show
    page.wait_for_url("**/rules/Rogun/edit?saved=1")
    serious = {}
    for path in EDITOR_PAGES:
        page.goto(world.url + path)
        found = axe.Axe().run(page).response["violations"]
        serious[path] = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in found
            if v["impact"] in {"serious", "critical"}
        ]
    assert serious == {path: [] for path in EDITOR_PAGES}
