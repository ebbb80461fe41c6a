"""The web page in a real browser: Playwright driving Debian's Chromium (no browser download).

`make test` installs Chromium where it can (apt); where it cannot, these tests skip and say so.
The home page's screenshot in the README is the one this module takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO
from web_world import DESK, HOSTILE_TITLE, NOW, Item, store_items, world_config

from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database
from monitor.store.records import FeedPoll
from testsupport.browser import require_chromium

SCREENSHOT = REPO / "docs" / "web-home.png"

require_chromium()  # skips this module, saying what to install, without a browser

ITEMS = [
    Item(
        id="rogun-1",
        title="Tajikistan fills the Rogun reservoir to its second stage",
        summary="Engineers said on Tuesday that the Rogun dam had reached its second stage, "
        "and that the first two turbines were running at full power.",
        also=(DESK,),
    ),
    Item(
        id="sco-1",
        title="Leaders meet in Astana for the SCO summit",
        summary="Heads of state of the Shanghai Cooperation Organization met in Astana to talk "
        "about trade, water and security across Central Asia.",
        feed=DESK,
        age=timedelta(hours=3),
    ),
    Item(
        id="evil",
        title=HOSTILE_TITLE,
        summary="A feed tried <script>window.pwned=3</script> in its summary about Rogun.",
        age=timedelta(hours=2),
    ),
    Item(
        id="rogun-2",
        title="Рогун: новый этап строительства",
        summary="Строительство Рогунской ГЭС продолжается; Рогун даст энергию всему региону.",
        age=timedelta(hours=5),
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = world_config(tmp_path_factory.mktemp("web"))
    store_items(config, ITEMS)
    app = make_app(config, open_database(config.database), clock=lambda: NOW)
    server = WebServer(app, "127.0.0.1", 0, token=None).start()
    yield server.url.rstrip("/")
    server.stop()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    opened.dialogs = dialogs  # type: ignore[attr-defined]
    yield opened
    context.close()


def test_search_from_the_box_and_follow_a_story(site: str, page) -> None:  # noqa: ANN001
    page.goto(site + "/search")
    page.fill('input[name="q"]', '"second stage" OR Astana')
    page.press('input[name="q"]', "Enter")
    page.wait_for_url("**/search?q=*")
    results = page.locator("article.story h3 a")
    assert results.count() == 2
    assert page.locator("article.story mark").first.inner_text() in {"second stage", "Astana"}
    page.get_by_role(
        "link", name="Tajikistan fills the Rogun reservoir to its second stage"
    ).click()
    page.wait_for_url("**/stories/rogun-1")
    assert page.locator("h2", has_text="Sources").is_visible()
    sources = page.locator(".member li").all_inner_texts()
    assert any(s.startswith("Wire") for s in sources)
    assert any(s.startswith("Central Asia desk") for s in sources)


def test_try_a_rule_on_a_text(site: str, page) -> None:  # noqa: ANN001
    page.goto(site + "/rules")
    page.get_by_role("link", name="Try a rule on a text →").click()
    page.fill('input[name="q"]', "Rogun AND dam")
    page.fill('textarea[name="text"]', "The Rogun dam is the tallest in the world.")
    page.get_by_role("button", name="Explain").click()
    page.wait_for_url("**/rules/try?*")
    assert page.locator(".verdict h2").inner_text() == "Matched"
    assert page.locator(".verdict .text mark").all_inner_texts() == ["Rogun", "dam"]


def test_a_script_in_a_title_runs_nothing(site: str, page) -> None:  # noqa: ANN001
    for path in ("/", "/stories/evil", "/search?q=Rogun", "/rules"):
        page.goto(site + path)
        assert page.evaluate("typeof window.pwned") == "undefined", path
        assert page.locator("script").count() == 0, path
    assert page.dialogs == []
    page.goto(site + "/stories/evil")
    assert "<script>window.pwned=1</script>" in page.locator("h1").inner_text()


# The README's screenshot shows stories an analyst would read, not the hostile test titles.
SHOWN = [item for item in ITEMS if item.id != "evil"] + [
    Item(
        id="sco-2",
        title="SCO ministers agree on a water-sharing working group",
        summary="Foreign ministers of the Shanghai Cooperation Organization agreed to set up "
        "a working group on shared rivers, with Tajikistan and Kyrgyzstan as co-chairs.",
        age=timedelta(hours=7),
    ),
    Item(
        id="rogun-3",
        title="World Bank approves new Rogun dam financing",
        summary="The World Bank approved a new loan for the Rogun dam, the tallest under "
        "construction in the world, after a review of its resettlement plan.",
        feed=DESK,
        age=timedelta(hours=9),
    ),
]


def test_home_page_screenshot_for_the_readme(tmp_path: Path, page) -> None:  # noqa: ANN001
    config = world_config(tmp_path)
    store_items(config, SHOWN)
    server = WebServer(make_app(config, open_database(config.database), clock=lambda: NOW),
                       "127.0.0.1", 0, token=None).start()  # fmt: skip
    try:
        page.goto(server.url)
        assert page.locator("section h2 a").all_inner_texts() == ["Rogun", "SCO"]
        assert "script" not in page.locator("main").inner_text()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        server.stop()
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_page_fits_a_phone(site: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.goto(site + "/")
    # nothing wider than the screen: no sideways scrolling on a phone
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


PAGES = ("/", "/search?q=Rogun", "/rules", "/rules/try?q=Rogun&text=Rogun+dam", "/stories/rogun-1",
         "/feeds", "/deliveries")  # fmt: skip


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_passes_an_accessibility_check(site: str, browser, width: int) -> None:  # noqa: ANN001
    axe = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe is not installed"
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    serious = {}
    for path in PAGES:
        page.goto(site + path)
        found = axe.Axe().run(page).response["violations"]
        serious[path] = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in found
            if v["impact"] in {"serious", "critical"}
        ]
    context.close()
    assert serious == {path: [] for path in PAGES}


# every table cell holding one word shows it on one line: tables wrap between words only
_BROKEN_WORDS = """() => [...document.querySelectorAll('td, th')].filter(cell => {
  const text = cell.innerText.trim();
  if (!text || /\\s/.test(text)) return false;
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
}).map(cell => cell.innerText.trim())"""


def test_tables_never_break_a_word_while_the_screen_has_room(tmp_path: Path, page) -> None:  # noqa: ANN001
    config = world_config(tmp_path)
    store = store_items(config, ITEMS[:1])
    error = (
        "connect: HTTPSConnectionPool(host='news.example.org', port=443): Max retries exceeded "
        "with url: /central-asia/rss.xml?utm_source=feed (Caused by NameResolutionError: "
        "Failed to resolve 'news.example.org' ([Errno -3] Temporary failure in name resolution))"
    )
    store.record_poll(
        FeedPoll(url=DESK, name="Central Asia desk", polled_at=NOW, status=None, outcome="error",
                 next_check_at=NOW + timedelta(hours=1), failures=7, error=error)
    )  # fmt: skip
    server = WebServer(make_app(config, open_database(config.database), clock=lambda: NOW),
                       "127.0.0.1", 0, token=None).start()  # fmt: skip
    try:
        page.goto(server.url + "feeds")
        assert page.locator("table td", has_text="Max retries exceeded").count() == 1
        assert page.evaluate(_BROKEN_WORDS) == []
    finally:
        server.stop()
