"""The web page drops the bidi controls a feed's text carries: "invoice <U+202E>gpj.exe" must
not read as "invoice exe.jpg" on the home page, a story or a search."""

from __future__ import annotations

from pathlib import Path

import requests
from web_world import NOW, Item, store_items, world_config

from monitor.secrets import BIDI_CONTROLS
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database


def test_no_page_shows_a_bidi_control(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    store_items(
        config,
        [
            Item(
                id="bidi",
                title="Rogun invoice \u202egpj.exe",
                summary="Rogun \u2067contract\u2069 signed \u200f\u061c\u202a\u202b\u202c\u202d",
            )
        ],
    )
    server = WebServer(
        make_app(config, open_database(config.database), clock=lambda: NOW),
        "127.0.0.1",
        0,
        token=None,
    ).start()
    try:
        for path in ("/", "/stories/bidi", "/search?q=invoice", "/rules"):
            page = requests.get(server.url.rstrip("/") + path, timeout=10)
            assert page.status_code == 200, path
            assert not set(page.text) & set(BIDI_CONTROLS), path
        assert "Rogun invoice gpj.exe" in requests.get(server.url + "stories/bidi", timeout=10).text
    finally:
        server.stop()
