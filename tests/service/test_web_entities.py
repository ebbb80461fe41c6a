"""Entities on the web page: "try a rule" says which form hit through which entity and marks the
inflected word; the search finds an entity's inflected forms among stored articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from web_world import NOW, Item, store_items, world_config

from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database

ITEMS = [
    Item(id="ru-1", title="Энергетика", summary="Запущен третий агрегат Рогунской ГЭС."),
    Item(id="ru-2", title="Спорт", summary="Анастасия Путинцева вышла в финал."),
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


def test_trying_an_entity_shows_the_form_and_marks_the_inflected_word(site: str) -> None:
    text = "Строительство Рогунской ГЭС продолжается."
    page = requests.get(site + "/rules/try", params={"q": "@Rogun", "text": text}, timeout=10)
    assert "rule query: matched" in page.text
    assert "Рогунской ← @Rogun: Рогун" in page.text
    assert "Строительство <mark>Рогунской</mark> ГЭС" in page.text
    unknown = requests.get(site + "/rules/try", params={"q": "@Rogon", "text": text}, timeout=10)
    assert "unknown entity &#39;@Rogon&#39;" in unknown.text


def test_the_search_finds_an_entity_in_its_inflected_form(site: str) -> None:
    page = requests.get(site + "/search", params={"q": "@Rogun", "since": "30d"}, timeout=10).text
    assert "<mark>Рогунской</mark>" in page
    assert "Путинцева" not in page
