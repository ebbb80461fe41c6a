"""The login door in a real browser (Debian's Chromium through Playwright): a lure link's
`next` cannot take the analyst off the site, signing out kills the cookie for good, and an
image on another site cannot run a search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_world import NOW, Item, store_items, world_config

from monitor.service.web.app import make_app
from monitor.service.web.auth import COOKIE
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database
from testsupport.browser import require_chromium

TOKEN = "correct horse battery staple"

require_chromium()  # skips this module, saying what to install, without a browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    web = f'web: {{listen: "127.0.0.1:0", token: "{TOKEN}"}}'
    config = world_config(tmp_path_factory.mktemp("doors"), web=web)
    store_items(config, [Item(id="rogun-1", title="Rogun fills up", summary="Rogun dam.")])
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    server = WebServer(app, "127.0.0.1", 0, token=TOKEN).start()
    yield server.url.rstrip("/")
    server.stop()


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


def test_an_image_on_another_site_cannot_run_a_search(
    tmp_path: Path,
    browser,  # noqa: ANN001
) -> None:
    import http.server
    import threading

    config = world_config(tmp_path)
    store_items(config, [Item(id="rogun-1", title="Rogun fills up", summary="Rogun dam.")])
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    seen: list[tuple[str, int]] = []

    @app.after_request
    def _record(response):  # noqa: ANN001, ANN202
        from flask import request

        seen.append((request.path, response.status_code))
        return response

    server = WebServer(app, "127.0.0.1", 0, token=None).start()
    target = f"http://127.0.0.1:{server.port}/rules/try?q=Rogun&text=Rogun"
    lure = f'<!DOCTYPE html><title>lure</title><img src="{target}">'.encode()

    class Lure(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(lure)

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Lure)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        context = browser.new_context()
        page = context.new_page()
        # `localhost` and `127.0.0.1` are two sites to a browser: the lure is another site.
        page.goto(f"http://localhost:{other.server_address[1]}/")
        page.wait_for_load_state("networkidle")
        assert ("/rules/try", 403) in seen and ("/rules/try", 200) not in seen
        page.goto(target)  # the analyst following a link opens the page as ever
        assert page.locator(".verdict h2").inner_text() == "Matched"
        context.close()
    finally:
        other.shutdown()
        server.stop()
