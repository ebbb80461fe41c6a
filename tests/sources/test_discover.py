"""`feeds add`: a site's feed or news sitemap found from its home page, common feed paths or
robots.txt; the corpus's real home pages served on loopback."""

from __future__ import annotations

import gzip

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FeedServer, rss, write_config
from loopback_guard import loopback_session

from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.sources.discover import discover, robots_sitemaps

HOMES = CORPUS / "feeds" / "arminreiter-FeedReader" / "Html"
SITEMAP = (
    CORPUS / "sitemaps" / "rferl-news-sitemaps" / "www.currenttime.tv" / "sitemap_54_news.xml.gz"
)


@pytest.mark.parametrize(
    ("page", "feed", "title"),
    [
        ("codehollow.html", "https://codehollow.com/feed/", "codehollow » Feed"),
        ("heise.html", "https://www.heise.de/rss/heise-atom.xml", "Aktuelle News von heise online"),
        ("japantimes.html", "https://www.japantimes.co.jp/feed/topstories", None),
        ("orf.html", "https://rss.orf.at/news.xml", "Newsfeed - news.ORF.at"),
        ("stackoverflow.html", "{base}/feeds", "Feed of recent questions"),
        ("stadtfeuerwehrweiz.html", "http://www.stadtfeuerwehr-weiz.at/rss/einsaetze.xml", None),
        ("theverge.html", "{base}/rss/index.xml", "The Verge"),
    ],
)
def test_the_corpus_home_pages_offer_their_announced_feed(
    feeds: FeedServer, page: str, feed: str, title: str | None
) -> None:
    home = feeds.set("/", (HOMES / page).read_bytes(), "text/html")
    base = home.rstrip("/")
    found = discover(loopback_session(), home)
    assert found[0].type == "feed" and found[0].url == feed.format(base=base)
    if title:
        assert found[0].title == title
    assert all("comment" not in (c.title or "").lower() for c in found[:1])


def test_a_page_without_a_link_tag_is_probed_at_common_feed_paths(feeds: FeedServer) -> None:
    home = feeds.set(
        "/", b"<html><head><title>Desk</title></head><body>News</body></html>", "text/html"
    )
    feeds.set("/rss.xml", rss([{"title": "One", "link": "https://e.org/1"}]))
    [found] = discover(loopback_session(), home)
    assert (found.type, found.url, found.found) == ("feed", feeds.url("/rss.xml"), "path /rss.xml")


def test_a_site_without_a_feed_offers_the_news_sitemap_robots_txt_names(feeds: FeedServer) -> None:
    home = feeds.set("/", b"<html><body>No feed here</body></html>", "text/html")
    sitemap = feeds.set("/sitemap_54_news.xml.gz", SITEMAP.read_bytes(), "application/x-gzip")
    robots = f"User-agent: *\nDisallow: /search\nSitemap: {feeds.url('/sitemap.xml')}\nSitemap: {sitemap}\n"
    feeds.set("/robots.txt", robots.encode(), "text/plain")
    found = discover(loopback_session(), home)
    assert [(c.type, c.url) for c in found] == [("sitemap", sitemap)]


def test_robots_sitemaps_lists_news_sitemaps_first() -> None:
    text = "Sitemap: https://e.org/sitemap.xml\nsitemap:/news.xml\nUser-agent: *\n"
    assert robots_sitemaps(text, "https://e.org/") == [
        "https://e.org/news.xml",
        "https://e.org/sitemap.xml",
    ]


def test_feeds_add_prints_the_entry_and_write_adds_it_keeping_comments(
    tmp_path, feeds: FeedServer
) -> None:
    home = feeds.set("/", (HOMES / "orf.html").read_bytes(), "text/html")
    path = write_config(
        # allowed: the announced feed's host cannot be resolved to be vetted on a test machine
        tmp_path,
        "# our desk\nallow_private_networks: true\nfeeds:\n  - url: https://e.org/rss.xml  # the wire\n",
    )
    printed = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(path)])
    assert printed.exit_code == 0, printed.output
    assert (
        "  - url: https://rss.orf.at/news.xml\n    name: Newsfeed - news.ORF.at\n" in printed.output
    )

    written = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(path), "--write"])
    assert written.exit_code == 0 and "added" in written.output
    text = path.read_text()
    assert "# our desk" in text and "# the wire" in text
    assert [f.url for f in load_config(path).feeds] == [
        "https://e.org/rss.xml",
        "https://rss.orf.at/news.xml",
    ]
    again = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(path), "--write"])
    assert "already listed" in again.output


def test_feeds_add_writes_a_sitemap_source_that_loads(tmp_path, feeds: FeedServer) -> None:
    home = feeds.set("/", b"<html><body>No feed here</body></html>", "text/html")
    sitemap = feeds.set(
        "/news-sitemap.xml", gzip.decompress(SITEMAP.read_bytes()), "application/xml"
    )
    feeds.set("/robots.txt", f"Sitemap: {sitemap}\n".encode(), "text/plain")
    path = write_config(tmp_path, "allow_private_networks: true\nfeeds: []\n")
    result = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(path), "--write"])
    assert result.exit_code == 0, result.output
    [source] = load_config(path).feeds
    assert (source.type, source.url) == ("sitemap", sitemap)


def test_a_site_with_nothing_to_offer_is_one_line_and_exit_1(tmp_path, feeds: FeedServer) -> None:
    home = feeds.set("/", b"<html><body>Nothing</body></html>", "text/html")
    result = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1 and "no feed found" in result.output


def test_feeds_add_asks_the_site_as_the_config_s_user_agent(tmp_path, feeds: FeedServer) -> None:
    home = feeds.set("/", (HOMES / "orf.html").read_bytes(), "text/html")
    path = write_config(
        tmp_path,
        'user_agent: "Desk monitor/2.0 (desk@example.org)"\nallow_private_networks: true\nfeeds: []\n',
    )
    result = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(path)])
    assert result.exit_code == 0, result.output
    agents = {request.headers.get("User-Agent") for request, _ in feeds.http.log}
    assert agents == {"Desk monitor/2.0 (desk@example.org)"}
