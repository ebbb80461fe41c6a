"""The login door in a real browser (Debian's Chromium through Playwright): a lure link's
`next` cannot take the analyst off the site, and signing out kills the cookie for good."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_world import NOW, Item, store_items, world_config

from monitor.service.web.app import make_app
from monitor.service.web.auth import COOKIE
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--headless"]  # fmt: skip
TOKEN = "correct horse battery staple"

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Chromium is not installed (apt-get install chromium; `make test` does it where apt works)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    web = f'web: {{listen: "127.0.0.1:0", token: "{TOKEN}"}}'
    config = world_config(tmp_path_factory.mktemp("doors"), web=web)
    store_items(config, [Item(id="rogun-1", title="Rogun fills up", summary="Rogun dam.")])
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    server = WebServer(app, "127.0.0.1", 0, token=TOKEN).start()
    yield server.url.rstrip("/")
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.mark.parametrize("lure", ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example"])
def test_a_lure_link_signs_in_and_stays_on_the_site(site: str, browser, lure: str) -> None:  # noqa: ANN001
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/login?next={lure}")
    page.fill('input[name="token"]', TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url == site + "/"
    assert page.locator("h1, h2").first.is_visible()
    context.close()


def test_signing_out_revokes_the_cookie(site: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/stories/rogun-1")
    page.fill('input[name="token"]', TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/stories/rogun-1")
    assert "Rogun fills up" in page.locator("h1").inner_text()
    stolen = [c for c in context.cookies() if c["name"] == COOKIE]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    thief = browser.new_context()
    thief.add_cookies(stolen)
    replay = thief.new_page()
    response = replay.goto(site + "/stories/rogun-1")
    assert response is not None and response.status == 401
    assert replay.locator('input[name="token"]').is_visible()
    thief.close()
    context.close()
