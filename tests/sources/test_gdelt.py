"""GDELT DOC 2.0 artlist answers, in their documented JSON shape, served on loopback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Clock, FeedServer
from sources_run import FakeTime, digest_texts, source_app

from monitor.errors import ParseError
from monitor.service.app import run_once
from monitor.sources import gdelt
from monitor.sources.fetch import HostLimiter


def artlist(articles: list[tuple[str, str, datetime]]) -> bytes:
    return json.dumps(
        {
            "articles": [
                {
                    "url": url,
                    "url_mobile": "",
                    "title": title,
                    "seendate": f"{seen:%Y%m%dT%H%M%SZ}",
                    "socialimage": "",
                    "domain": urlsplit(url).hostname,
                    "language": "English",
                    "sourcecountry": "Tajikistan",
                }
                for url, title, seen in articles
            ]
        }
    ).encode()


ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>GDELT</title></head><body>"
    b"<p>Your search contained a keyword that was too short or too common.</p></body></html>"
)


def test_articles_become_entries_with_their_url_title_date_domain_and_language() -> None:
    seen = datetime(2026, 11, 2, 8, 15).astimezone()
    body = artlist([("https://asiaplustj.info/en/news/1", "Rogun  dam update", seen)])
    [entry] = gdelt.parse_gdelt(body, url="https://api.gdeltproject.org/api/v2/doc/doc").entries
    assert entry.link == "https://asiaplustj.info/en/news/1" and entry.title == "Rogun dam update"
    assert entry.published == seen.replace(second=0)
    assert entry.language == "en" and entry.source_name == "asiaplustj.info"


@pytest.mark.parametrize("body", [b"", b"{}", b'{"articles": []}'])
def test_nothing_found_is_no_entries(body: bytes) -> None:
    assert gdelt.parse_gdelt(body, url="https://api.gdeltproject.org/").entries == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ERROR_PAGE, "GDELT answered with an HTML page, not artlist JSON: Your search contained"),
        (b"Timespan is too short.", "GDELT answered with text, not artlist JSON: Timespan"),
        (b"[1, 2]", "not an object"),
    ],
)
def test_an_error_page_with_status_200_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        gdelt.parse_gdelt(body, url="https://api.gdeltproject.org/")


def test_the_timespan_reaches_back_to_the_last_poll() -> None:
    now = datetime(2026, 11, 2, 9, 0).astimezone()
    url = "https://api.gdeltproject.org/api/v2/doc/doc?query=Rogun"
    assert gdelt.request_url(url, last_polled=None, now=now).endswith("&timespan=1440min")
    last = now - timedelta(minutes=42)
    assert gdelt.request_url(url, last_polled=last, now=now).endswith("&timespan=47min")
    assert gdelt.request_url(url, last_polled=now, now=now).endswith("&timespan=15min")


def test_a_rogun_article_alerts_once_one_request_per_5_s_and_an_error_page_is_recorded(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    old = (
        "https://asiaplustj.info/en/news/1",
        "Rogun: ten years on",
        clock.now - timedelta(hours=5),
    )
    api = feeds.set("/api/v2/doc/doc", artlist([old]), "application/json; charset=utf-8")
    app = source_app(tmp_path, f"{{type: gdelt, query: 'Rogun', url: {api}}}", clock)
    fake = FakeTime()
    app.ctx.source_limiters["gdelt"] = HostLimiter(
        per_host=1, min_interval=gdelt.MIN_INTERVAL_S, clock=fake.clock, sleep=fake.sleep
    )
    assert run_once(app)[0].new_articles == 1 and digest_texts(tmp_path) == []

    clock.advance(minutes=20)
    new = ("https://www.rferl.org/a/rogun/2.html", "Rogun's third turbine", clock.now)
    feeds.set("/api/v2/doc/doc", artlist([new, old]), "application/json")
    outcome = run_once(app)[0]
    assert (outcome.new_articles, outcome.matches) == (1, 1)
    assert fake.slept == [gdelt.MIN_INTERVAL_S]  # the second request waited its turn
    [text] = digest_texts(tmp_path)
    assert "Rogun's third turbine" in text

    request = feeds.http.log[-1][0]
    query = parse_qs(request.query_string.decode())
    assert query["query"] == ["Rogun"] and query["mode"] == ["artlist"]
    assert query["format"] == ["json"] and query["maxrecords"] == ["250"]
    assert query["sort"] == ["datedesc"] and query["timespan"] == ["25min"]

    clock.advance(minutes=20)
    feeds.set("/api/v2/doc/doc", ERROR_PAGE, "text/html")
    failed = run_once(app)[0]
    assert failed.outcome == "error" and "GDELT answered with an HTML page" in (failed.error or "")
    assert len(digest_texts(tmp_path)) == 1


def test_429_backs_off(tmp_path, feeds: FeedServer, clock: Clock) -> None:
    api = feeds.fail("/api/v2/doc/doc", 429)
    app = source_app(tmp_path, f"{{type: gdelt, query: Rogun, url: {api}}}", clock)
    [outcome] = run_once(app)
    assert outcome.outcome == "error" and outcome.status == 429
    state = app.store.feed_state(app.config.feeds[0].url)
    assert state.consecutive_failures == 1
    assert state.next_check_at is not None and state.next_check_at > clock.now + timedelta(
        minutes=15
    )
