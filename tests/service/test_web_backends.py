"""The web page served from a PostgreSQL store shows what it shows from SQLite: the same
archive, stored through the same store and matcher, gives the same home, story, rules, feeds
and search pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from test_web import ITEMS as WEB_ITEMS
from test_web import serve
from web_world import Item, store_items, world_config

ITEMS = [
    *WEB_ITEMS,  # hostile feed text included
    Item(
        id="ru-1",
        title="Рогун и Королёв",
        summary="Рогунская ГЭС, Straße и 中国人民; the SCO's pact.",
        age=timedelta(minutes=30),
    ),
]
PAGES = [
    "/",
    "/?rule=Rogun",
    "/stories/rogun-1",
    "/stories/sco-1",
    "/rules",
    "/feeds",
    "/search?q=Rogun",
    "/search?q=%22Shanghai+Cooperation+Organi*ation%22+OR+%7BSCO%7D",
    "/search?q=Рогун*+OR+королев",
    "/search?q=strasse+中国",
    "/search?q=-Rogun",
    "/search?q=%22dam+Rogun%22",
    "/search?q=(broken",
    "/rules/try?q=Rogun&text=the+Rogun+dam",
]


@pytest.fixture
def sites(tmp_path: Path, postgres_url: str) -> Iterator[tuple[str, str]]:
    for name in ("sqlite", "postgres"):
        (tmp_path / name).mkdir()
    configs = [
        world_config(tmp_path / "sqlite"),
        world_config(tmp_path / "postgres", database=postgres_url),
    ]
    for config in configs:
        store_items(config, ITEMS)
    on_sqlite, on_postgres = serve(configs[0]), serve(configs[1])
    yield next(on_sqlite), next(on_postgres)
    for server in (on_sqlite, on_postgres):
        next(server, None)


def page(site: str, path: str) -> str:
    response = requests.get(site + path, timeout=10)
    # The per-response nonce of the Content-Security-Policy is the only thing meant to differ.
    return f"{response.status_code}\n" + re.sub(r'nonce="[^"]*"', 'nonce=""', response.text)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_reads_the_same_from_postgresql_as_from_sqlite(
    sites: tuple[str, str], path: str
) -> None:
    on_sqlite, on_postgres = (page(site, path) for site in sites)
    assert on_postgres == on_sqlite
    assert on_postgres.startswith("200\n")  # a query error is shown on the page, with its column


def test_the_pages_show_the_archive(sites: tuple[str, str]) -> None:
    _, on_postgres = sites
    assert "Tajikistan fills the Rogun reservoir" in page(on_postgres, "/")
    assert "Central Asia desk" in page(on_postgres, "/stories/rogun-1")  # also reported by
    found = page(on_postgres, "/search?q=Рогун*+OR+королев")
    assert "Рогун и Королёв" in found and "Weather" not in found
    assert "Рогун и Королёв" in page(on_postgres, "/search?q=%7BSCO%7D")
    assert "Summit in Astana" in page(on_postgres, "/search?q=%22Shanghai+Cooperation%22")
