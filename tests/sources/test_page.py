"""Pages without a feed, read by CSS selectors: only what lies inside an item is an article,
relative links resolve, and a page where the selector finds nothing is a recorded error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from conftest import Clock, FeedServer
from sources_run import digest_texts, source_app

from monitor.errors import ParseError
from monitor.service.app import run_once
from monitor.sources.page import parse_page


@dataclass(frozen=True)
class Selectors:
    items: str = "div.news-list article"
    link: str | None = "h2 a"
    title: str | None = None
    date: str | None = "time"
    summary: str | None = "p.lead"


def page(items: list[tuple[str, str, str, str]]) -> bytes:
    """A section page: a menu and a sidebar of teasers around a list of (href, title, date, lead)."""
    articles = "".join(
        f'<article><h2><a href="{href}">{title}</a></h2>'
        f'<time datetime="{date}">{date[:10]}</time><p class="lead">{lead}</p></article>'
        for href, title, date, lead in items
    )
    return (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Новости</title></head>'
        '<body><nav><a href="/about">О нас</a><a href="/rogun">Рогун: всё о ГЭС</a></nav>'
        f'<div class="news-list">{articles}</div>'
        '<aside><article><h2><a href="/ad">Rogun tours, book now</a></h2></article></aside>'
        "</body></html>"
    ).encode()


def test_items_are_read_by_their_selectors_and_links_resolved() -> None:
    body = page(
        [
            ("/news/1.html", "Water talks in Dushanbe", "2026-11-02T08:00:00+05:00", "Lead one."),
            ("https://other.example/2", "Second", "2026-11-01", "Lead two."),
        ]
    )
    parsed = parse_page(body, url="https://example.org/news/", settings=Selectors())
    first, second = parsed.entries
    assert first.link == "https://example.org/news/1.html"
    assert first.title == "Water talks in Dushanbe" and first.summary == "Lead one."
    assert (
        first.published is not None and first.published.isoformat() == "2026-11-02T03:00:00+00:00"
    )
    assert second.link == "https://other.example/2" and parsed.language == "ru"


def test_nothing_outside_the_item_selector_becomes_an_article() -> None:
    body = page([("/news/1.html", "Only this", "2026-11-02", "")])
    parsed = parse_page(body, url="https://example.org/news", settings=Selectors())
    assert [e.title for e in parsed.entries] == ["Only this"]


def test_defaults_take_the_first_link_and_its_text() -> None:
    body = (
        b'<ul><li class="n"><span>x</span><a href="a.html">A title</a><a href="b">B</a></li></ul>'
    )
    settings = Selectors(items="li.n", link=None, date=None, summary=None)
    [entry] = parse_page(body, url="https://example.org/list/", settings=settings).entries
    assert (entry.link, entry.title, entry.published) == (
        "https://example.org/list/a.html",
        "A title",
        None,
    )


def test_a_base_href_and_a_declared_charset_are_honoured() -> None:
    body = (
        '<html><head><meta charset="windows-1251"><base href="https://cdn.example.org/a/">'
        '</head><body><div class="i"><a href="x.html">Рогун</a></div></body></html>'
    ).encode("cp1251")
    settings = Selectors(items="div.i", link=None, date=None, summary=None)
    [entry] = parse_page(body, url="https://example.org/", settings=settings).entries
    assert entry.link == "https://cdn.example.org/a/x.html" and entry.title == "Рогун"


def test_a_page_where_the_items_selector_finds_nothing_is_an_error() -> None:
    with pytest.raises(ParseError, match="no element on the page matches the items selector"):
        parse_page(
            b"<html><body><p>Moved</p></body></html>", url="https://e.org/", settings=Selectors()
        )


def test_a_rogun_story_on_a_page_alerts_once_and_the_backlog_never(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    def stamp(hours: float) -> str:
        return (clock.now - timedelta(hours=hours)).isoformat()

    old = [("/news/1.html", "Rogun: a look back", stamp(30), "Old news.")]
    url = feeds.set("/news", page(old), "text/html; charset=utf-8")
    source = f"""
        type: page
        url: {url}
        items: "div.news-list article"
        link: "h2 a"
        date: time
        summary: p.lead
        """
    app = source_app(tmp_path, source, clock)
    assert run_once(app)[0].new_articles == 1
    assert digest_texts(tmp_path) == []

    clock.advance(minutes=20)
    new = ("/news/2.html", "Turbine three at Rogun", stamp(0.1), "The dam's third unit.")
    feeds.set("/news", page([new, *old]), "text/html; charset=utf-8")
    outcome = run_once(app)[0]
    assert (outcome.new_articles, outcome.matches) == (1, 1)
    clock.advance(minutes=20)
    feeds.set("/news", page([new, *old]) + b"<!-- changed -->", "text/html")
    assert run_once(app)[0].matches == 0
    [text] = digest_texts(tmp_path)
    assert "Turbine three at Rogun" in text and "tours" not in text
    assert "/news/2.html" in text
