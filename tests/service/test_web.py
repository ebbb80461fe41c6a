"""The web page through a real HTTP client against the real server: every page, the token,
escaping of hostile feed text, the security headers, paging and 404s."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from web_world import DESK, HOSTILE_TITLE, NOW, Item, store_items, world_config

from monitor.config.load import Config
from monitor.errors import ConfigError
from monitor.service.web.app import make_app
from monitor.service.web.auth import COOKIE
from monitor.service.web.pages import PAGE_SIZE
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database

TOKEN = "correct horse battery staple"
ITEMS = [
    Item(
        id="rogun-1",
        title="Tajikistan fills the Rogun reservoir",
        summary="Engineers said the Rogun dam reached its second stage on Tuesday.",
        also=(DESK,),
    ),
    Item(
        id="sco-1",
        title="Summit in Astana",
        summary="Leaders of the Shanghai Cooperation Organization met in Astana.",
        feed=DESK,
        age=timedelta(hours=3),
    ),
    Item(
        id="evil",
        title=HOSTILE_TITLE,
        summary='Rogun <b onmouseover="alert(1)">bold</b> </textarea><script>alert(2)</script>',
        link="javascript:alert(3)",
        age=timedelta(hours=2),
    ),
    Item(id="old", title="Rogun in 2025", summary="Rogun then.", age=timedelta(days=20)),
    Item(id="plain", title="Weather", summary="Rain in Dushanbe.", age=timedelta(minutes=5)),
]


def serve(config: Config) -> Iterator[str]:
    server = WebServer(
        make_app(config, open_database(config.database), clock=lambda: NOW),
        "127.0.0.1",
        0,
        token=config.web.token if config.web else None,
    ).start()
    yield server.url.rstrip("/")
    server.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    config = world_config(tmp_path)
    store_items(config, ITEMS)
    yield from serve(config)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[str]:
    config = world_config(tmp_path, web=f'web: {{listen: "127.0.0.1:0", token: "{TOKEN}"}}')
    store_items(config, ITEMS)
    yield from serve(config)


def get(url: str, **kwargs: object) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)  # type: ignore[arg-type]


PAGES = ["/", "/search?q=Rogun", "/rules", "/rules/try?q=Rogun&text=x", "/stories/rogun-1",
         "/feeds", "/deliveries"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_with_the_security_headers(site: str, path: str) -> None:
    response = get(site + path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # nothing is loaded from outside the service, and there is no inline script at all
    assert not re.search(
        r'(src|href)="(https?:)?//[^"]*"[^>]*>(?!original)', _resources(response.text)
    )
    assert "<script" not in response.text.replace("&lt;script", "")


def _resources(html: str) -> str:
    """Only the tags that load something (links to articles are plain anchors)."""
    return " ".join(re.findall(r"<(?:link|script|img|iframe|style)[^>]*>", html))


def test_home_lists_stories_by_rule_newest_first_with_sources_folded(site: str) -> None:
    html = get(site + "/").text
    rogun = html.index(">Rogun</a>")
    sco = html.index(">SCO</a>")
    assert rogun < sco  # config order
    section = html[rogun:sco]
    assert section.index("Tajikistan fills") < section.index("Rogun dam")  # 1 h before 2 h ago
    assert "Also reported by Central Asia desk" in section
    assert "<mark>Rogun</mark>" in section
    assert "Rogun in 2025" not in html  # older than the default 7 days
    assert "Weather" not in html  # matched no rule
    # dates in the configured timezone (UTC+5): the 08:00 UTC match shows as 13:00
    assert "2026-11-20 13:00 +05" in html


def test_home_filters_by_rule_feed_and_period(site: str) -> None:
    assert "Summit in Astana" not in get(site + "/?rule=Rogun").text
    by_feed = get(site + "/", params={"feed": DESK}).text
    assert "Summit in Astana" in by_feed and "Tajikistan fills" in by_feed  # a source of it
    assert "Rogun dam" not in by_feed
    assert "Rogun in 2025" in get(site + "/?since=30d").text
    assert "Rogun in 2025" in get(site + "/?day=2026-10-31").text
    assert "Tajikistan" not in get(site + "/?day=2026-10-31").text
    assert "since: expected a duration" in get(site + "/?since=soon").text


def test_hostile_feed_text_is_escaped_and_bad_links_dropped(site: str) -> None:
    for path in ("/", "/stories/evil", "/search?q=Rogun", "/rules"):
        html = get(site + path).text
        assert "<script>window.pwned" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html, path
        assert "javascript:" not in html, path
    story = get(site + "/stories/evil").text
    assert "&lt;/textarea&gt;&lt;script&gt;alert(2)" in story


def test_search_pages_through_the_archive_and_shows_query_errors(site: str) -> None:
    html = get(site + "/search", params={"q": "Rogun", "since": "30d"}).text
    assert '<input name="q" value="Rogun"' in html
    assert "Tajikistan fills" in html and "Rogun in 2025" in html and "Weather" not in html
    assert 'href="/stories/rogun-1"' in html
    assert "<mark>Rogun</mark>" in html
    broken = get(site + "/search", params={"q": "Rogun AND (dam"}).text
    assert "Query error at column" in broken
    assert re.search(r"column \d+", broken)
    assert "Rogun AND (dam\n" in broken


def test_rules_show_their_query_counts_per_day_and_last_matches(site: str) -> None:
    html = get(site + "/rules").text
    assert "Rogun" in html and "SCO" in html
    assert "&#34;Shanghai Cooperation Organization&#34;" in html or "&quot;Shanghai" in html
    assert "3 in 30 days" in html  # the Rogun rule: three stories in the last 30 days
    assert html.count("<rect") == 60  # 30 days for each of the two rules
    assert "Fri 20 Nov: 2" in html  # two Rogun matches today (in Dushanbe)
    # the chart reads without a mouse: its days on the axis, its peak, and a summary in words
    assert ">22 Oct</text>" in html and ">20 Nov</text>" in html
    assert "Rogun: 3 matches in 30 days, most on 20 Nov (2)" in html


def test_trying_a_rule_explains_it_with_hits_marked(site: str) -> None:
    html = get(site + "/rules/try", params={"q": "Rogun", "text": "The Rogun dam <b>x</b>"}).text
    assert "rule Rogun: matched" in html
    assert "The <mark>Rogun</mark> dam &lt;b&gt;x&lt;/b&gt;" in html
    miss = get(site + "/rules/try", params={"q": "NATO AND Rogun", "text": "Rogun"}).text
    assert "No match" in miss and "no  NATO" in miss
    error = get(site + "/rules/try", params={"q": 'NATO AND "open', "text": "x"}).text
    assert "Query error at column" in error


def test_a_story_shows_every_source_its_text_and_its_rules(site: str) -> None:
    html = get(site + "/stories/rogun-1").text
    assert "Wire" in html and "Central Asia desk" in html
    assert "Engineers said the <mark>Rogun</mark> dam" in html
    assert "Rogun: Rogun" in html  # the rule and its matched terms


@pytest.mark.parametrize("path", ["/stories/nope", "/nowhere", "/stories/"])
def test_unknown_pages_and_stories_are_404(site: str, path: str) -> None:
    response = get(site + path)
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"]


def test_feeds_and_deliveries(site: str) -> None:
    feeds = get(site + "/feeds").text
    assert "Wire" in feeds and "Central Asia desk" in feeds and "ok 200" in feeds
    assert "The outbox is empty." in get(site + "/deliveries").text


def test_healthz_and_metrics(site: str) -> None:
    health = get(site + "/healthz")
    assert health.status_code == 200 and health.json()["feeds"]["ok"] == 2
    assert "news_monitor" in get(site + "/metrics").text


def test_long_lists_are_paged(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    many = [
        Item(
            id=f"r{n:03}", title=f"Rogun report {n:03}", summary="Rogun.", age=timedelta(minutes=n)
        )
        for n in range(PAGE_SIZE + 5)
    ]
    store_items(config, many)
    for base in serve(config):
        first = get(base + "/?rule=Rogun").text
        assert "Rogun report 000" in first and f"Rogun report {PAGE_SIZE - 1:03}" in first
        assert f"Rogun report {PAGE_SIZE:03}" not in first
        assert 'rel="next" href="?rule=Rogun&amp;page=2"' in first
        second = get(base + "/?rule=Rogun&page=2").text
        assert f"Rogun report {PAGE_SIZE:03}" in second and "Rogun report 000" not in second
        assert 'rel="next"' not in second
        page_one = get(base + "/search?q=Rogun").text
        assert "Rogun report 000<" in page_one and f"Rogun report {PAGE_SIZE:03}<" not in page_one
        older = re.search(r'rel="next" href="([^"]+)"', page_one)
        assert older is not None
        page_two = get(base + "/search" + html.unescape(older[1])).text
        assert f"Rogun report {PAGE_SIZE:03}<" in page_two
        assert f"Rogun report {PAGE_SIZE + 4:03}<" in page_two
        assert (
            "Rogun report 000<" not in page_two
            and f"Rogun report {PAGE_SIZE - 1:03}<" not in page_two
        )
        assert 'rel="next"' not in page_two


def test_with_a_token_every_page_needs_it(guarded: str) -> None:
    for path in [*PAGES, "/metrics"]:
        response = get(guarded + path, allow_redirects=False)
        assert response.status_code == 401, path
        assert "Tajikistan" not in response.text
        assert '<form class="login" method="post"' in response.text
    wrong = get(guarded + "/", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = get(guarded + "/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and "Tajikistan" in right.text


def test_the_login_form_sets_a_strict_http_only_cookie(guarded: str) -> None:
    session = requests.Session()
    refused = session.post(guarded + "/login", data={"token": "nope", "next": "/feeds"})
    assert refused.status_code == 401 and COOKIE not in session.cookies
    response = session.post(
        guarded + "/login", data={"token": TOKEN, "next": "/feeds"}, allow_redirects=False
    )
    assert response.status_code == 303 and response.headers["Location"] == "/feeds"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert TOKEN not in cookie
    assert session.get(guarded + "/stories/rogun-1").status_code == 200
    # a redirect target elsewhere is not followed
    away = session.post(
        guarded + "/login", data={"token": TOKEN, "next": "//evil.example"}, allow_redirects=False
    )
    assert away.headers["Location"] == "/"


def test_without_a_token_only_loopback_is_served(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    with pytest.raises(ConfigError, match="without a token"):
        WebServer(make_app(config, open_database(config.database)), "0.0.0.0", 0, token=None)
    with pytest.raises(ConfigError, match="not loopback: set web.token"):
        world_config(tmp_path, web='web: {listen: "0.0.0.0:8080"}')


def test_search_pages_hold_every_article_once_when_many_share_a_second(tmp_path: Path) -> None:
    # A feed's poll stores its articles in the same second: the pages must still neither
    # repeat nor drop any of them, whatever order the full-text index gives them in.
    config = world_config(tmp_path)
    same = [Item(id=f"t{n:03}", title=f"Tie {n:03}", summary="Rogun.") for n in range(130)]
    store_items(config, same)
    for base in serve(config):
        for query in ("Rogun", "NOT Astana"):
            path, seen = "/search?" + urlencode({"q": query}), []
            while path:
                page = get(base + path).text
                seen += re.findall(r'href="/stories/(t\d+)"', page)
                older = re.search(r'rel="next" href="([^"]+)"', page)
                path = "/search" + html.unescape(older[1]) if older else ""
            assert sorted(seen) == [f"t{n:03}" for n in range(130)], query


def test_search_says_how_many_results_and_orders_them_by_date(site: str) -> None:
    page = get(f"{site}/search", params={"q": "Rogun", "since": "7d"}).text
    assert re.search(r"\d+ results?", page)
    shown = re.findall(r"<time>([^<]+)</time>", page)
    assert shown == sorted(shown, reverse=True) and shown


def test_a_story_page_leads_back_to_the_stories_and_its_rules(site: str) -> None:
    page = get(f"{site}/stories/rogun-1").text
    assert 'aria-label="Breadcrumb"' in page and '<a href="/">← Recent stories</a>' in page
    assert '<a href="/?rule=Rogun">Rogun</a>' in page


def test_a_story_page_takes_its_headline_from_the_original_copy(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    store_items(
        config,
        [
            Item(id="orig", title="Rogun dam talks open in Dushanbe", summary="Rogun talks.",
                 age=timedelta(hours=5), cluster="orig"),
            Item(id="copy", title="WIRE: Rogun talks (updated)", summary="Rogun talks.",
                 feed=DESK, age=timedelta(hours=1), cluster="orig"),
        ],
    )  # fmt: skip
    for site in serve(config):
        page = get(f"{site}/stories/copy").text
        assert re.search(r"<h1>Rogun dam talks open in Dushanbe</h1>", page)
        assert "This copy:" in page and '<a href="/stories/orig">the original</a>' in page
        original = get(f"{site}/stories/orig").text
        assert "This copy:" not in original
