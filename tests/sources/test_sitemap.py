"""News sitemaps: the corpus's real RFE/RL sitemaps read into entries, an index followed to
gzipped news sitemaps on loopback, and what is not a sitemap recorded as an error."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CORPUS, Clock, FeedServer
from loopback_guard import loopback_session
from sources_run import digest_texts, source_app

from monitor.errors import ParseError
from monitor.service.app import run_once
from monitor.sources.sitemap import parse_sitemap

SITEMAPS = CORPUS / "sitemaps" / "rferl-news-sitemaps"


def corpus_sitemaps() -> list[Path]:
    return sorted(SITEMAPS.glob("*/*.xml.gz"))


def news_sitemap(urls: list[tuple[str, str, str]]) -> bytes:
    """A Google News sitemap of (loc, title, publication date) triples, gzipped."""
    items = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Ozodi</news:name>"
        f"<news:language>tg</news:language></news:publication>"
        f"<news:publication_date>{date}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for loc, title, date in urls
    )
    return gzip.compress(
        (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + items + "</urlset>"
        ).encode()
    )


def index(locs: list[str]) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + body
        + "</sitemapindex>"
    ).encode()


@pytest.mark.parametrize("path", corpus_sitemaps(), ids=lambda p: p.parent.name)
def test_every_corpus_sitemap_gives_entries_with_title_date_and_language(path: Path) -> None:
    parsed = parse_sitemap(path.read_bytes(), url=f"https://{path.parent.name}/{path.name}")
    for entry in parsed.entries:
        assert entry.link and entry.link.startswith("https://")
        assert entry.title and entry.published and entry.published.tzinfo
        assert entry.language


def test_a_corpus_sitemap_reads_as_its_news_fields() -> None:
    path = SITEMAPS / "www.currenttime.tv" / "sitemap_54_news.xml.gz"
    first = parse_sitemap(path.read_bytes(), url="https://www.currenttime.tv/").entries[0]
    assert first.link == "https://www.currenttime.tv/a/pow-exchange-completed/33423628.html"
    assert first.title.startswith("Украина и Россия завершили обмен пленными")
    assert first.published is not None and first.published.isoformat().startswith(
        "2025-05-25T10:00:35"
    )
    assert first.language == "ru" and first.source_name == "Настоящее Время"


def test_an_index_lists_its_news_sitemaps_first_and_at_most_max_sitemaps() -> None:
    class Limits:
        max_sitemaps = 2
        max_urls = 100

    locs = ["/sitemap_1.xml", "/sitemap_2_news.xml.gz", "/s_3.xml", "/sitemap_4_news.xml.gz"]
    parsed = parse_sitemap(index(locs), url="https://example.org/sitemap.xml", settings=Limits)
    assert parsed.entries == ()
    assert parsed.follow == (
        "https://example.org/sitemap_2_news.xml.gz",
        "https://example.org/sitemap_4_news.xml.gz",
    )


def test_urls_beyond_max_urls_are_cut_with_a_warning() -> None:
    class Limits:
        max_sitemaps = 10
        max_urls = 3

    body = news_sitemap([(f"https://e.org/{n}", f"T{n}", "2026-11-02") for n in range(5)])
    parsed = parse_sitemap(body, url="https://e.org/s.xml", settings=Limits)
    assert len(parsed.entries) == 3 and parsed.warning == "kept the first 3 of 5 URLs"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!doctype html><html><body><p>Not found</body></html>", "got an HTML page"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "got <rss>"),
        (b"", "empty body"),
        (b"<urlset><url><loc>x</", "not readable as a sitemap"),
    ],
)
def test_what_is_not_a_sitemap_is_a_parse_error_saying_what_came(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sitemap(body, url="https://example.org/sitemap.xml")


def test_entities_are_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.org/&b;</loc></url></urlset>'
    )
    with pytest.raises(ParseError):
        parse_sitemap(bomb, url="https://e.org/s.xml")


def test_an_index_of_gzipped_corpus_sitemaps_on_loopback_stores_the_backlog_then_alerts_once(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    corpus = [SITEMAPS / "www.currenttime.tv" / "sitemap_54_news.xml.gz"]
    corpus += [SITEMAPS / "rus.ozodi.org" / "sitemap_42_news.xml.gz"]  # an empty one
    children = [
        feeds.set(f"/sitemap_{n}_news.xml.gz", p.read_bytes(), "application/x-gzip")
        for n, p in enumerate(corpus)
    ]
    fresh = feeds.set("/sitemap_9_news.xml.gz", news_sitemap([]), "application/x-gzip")
    archive = feeds.url("/sitemap_archive.xml")  # listed, but not a news sitemap: not fetched
    url = feeds.set("/sitemap.xml", index([*children, fresh, archive]), "application/xml")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}, name: Ozodi}}", clock)
    app.ctx.session = loopback_session()  # the listed sitemaps go through the guard

    first = run_once(app)
    backlog = len(parse_sitemap(corpus[0].read_bytes(), url=url).entries)
    assert first[0].outcome == "ok" and first[0].new_articles == backlog > 10
    assert digest_texts(tmp_path) == []

    clock.advance(minutes=20)
    stamp = (clock.now - timedelta(minutes=5)).isoformat()
    story = ("https://rus.ozodi.org/a/rogun/1.html", "Работы на Рогунской ГЭС продолжаются", stamp)
    feeds.set("/sitemap_9_news.xml.gz", news_sitemap([story]), "application/x-gzip")
    feeds.set("/sitemap.xml", index([*children, fresh, archive + "?v=2"]), "application/xml")
    second = run_once(app)
    assert second[0].new_articles == 1 and second[0].matches == 1
    texts = digest_texts(tmp_path)
    assert len(texts) == 1 and "Рогунской ГЭС" in texts[0]

    clock.advance(minutes=20)
    feeds.set("/sitemap.xml", index([*children, fresh, archive + "?v=3"]), "application/xml")
    assert run_once(app)[0].matches == 0
    assert len(digest_texts(tmp_path)) == 1
    assert "/sitemap_archive.xml" not in feeds.requests


def test_a_news_sitemap_that_changes_under_an_unchanged_index_is_read_at_the_next_poll(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    # The usual shape of a news site: the index is the same for months (and answers 304 to
    # its ETag), while the news sitemap it lists changes every few minutes.
    child = feeds.set("/sitemap_1_news.xml.gz", news_sitemap([]), "application/x-gzip")
    url = feeds.set("/sitemap.xml", index([child]), "application/xml")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}, name: Ozodi}}", clock)
    app.ctx.session = loopback_session()  # the listed sitemaps go through the guard
    assert run_once(app)[0].outcome == "ok"

    clock.advance(minutes=20)
    assert run_once(app)[0].outcome == "unchanged"  # nothing new anywhere: nothing stored

    clock.advance(minutes=20)
    stamp = (clock.now - timedelta(minutes=5)).isoformat()
    story = ("https://rus.ozodi.org/a/rogun/2.html", "Рогунская ГЭС: пуск третьего агрегата", stamp)
    feeds.set("/sitemap_1_news.xml.gz", news_sitemap([story]), "application/x-gzip")
    third = run_once(app)[0]
    assert (third.outcome, third.new_articles, third.matches) == ("ok", 1, 1)
    assert len(digest_texts(tmp_path)) == 1
    assert feeds.requests["/sitemap_1_news.xml.gz"] == 3  # the listed sitemap, at every poll


def test_a_plain_news_sitemap_is_still_polled_with_its_validators(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/news.xml.gz", news_sitemap([]), "application/x-gzip")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}}}", clock)
    assert run_once(app)[0].outcome == "ok"
    clock.advance(minutes=20)
    assert run_once(app)[0].outcome == "not_modified"


def test_html_where_a_sitemap_was_expected_is_a_recorded_error(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/sitemap.xml", b"<!DOCTYPE html><html><p>Welcome</p></html>", "text/html")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}}}", clock)
    [outcome] = run_once(app)
    assert outcome.outcome == "error"
    assert outcome.error == "parse: expected a sitemap, got an HTML page"
    assert app.store.feed_state(url).consecutive_failures == 1


def test_feeds_shows_the_type_and_the_recorded_error(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    from click.testing import CliRunner

    from monitor.cli.main import main

    url = feeds.set("/sitemap.xml", b"<!DOCTYPE html><html><p>Welcome</p></html>", "text/html")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}}}", clock)
    run_once(app)
    result = CliRunner().invoke(main, ["feeds", "--config", app.config.path])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [at] = [i for i, line in enumerate(lines) if "sitemap.xml" in line]
    row = lines[at - 1]  # the feed's row, its URL on the line beneath
    assert " sitemap " in row and "error" in row and "got an HTML page" in row
