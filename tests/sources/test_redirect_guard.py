"""Every hop a source makes goes through the address guard: a hostile publisher on loopback
redirects a configured feed, a page source, a sitemap, discovery and Google News decoding to
an internal server (also on loopback, reached under every encoding the guard knows) and to the
cloud metadata address. The URL the operator wrote stays trusted; where it leads is not."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from click.testing import CliRunner
from conftest import Clock, FeedServer, rss
from loopback_guard import loopback_session
from pytest_httpserver import HTTPServer
from sources_run import source_app

from monitor.cli.main import main
from monitor.errors import FetchError
from monitor.service.app import run_once
from monitor.sources.discover import discover
from monitor.sources.fetch import HostLimiter, make_session
from monitor.sources.google_links import LinkDecoder
from monitor.sources.netguard import AddressGuard, system_resolver

# Where a hostile server sends us: the internal server's port is {port}.
INSIDE = [
    "http://127.0.0.1:{port}/secret",
    "http://localhost:{port}/secret",
    "http://[::1]:{port}/secret",
    "http://2130706433:{port}/secret",
    "http://0x7f.0.0.1:{port}/secret",
    "http://0177.0.0.1:{port}/secret",
    "http://127.1:{port}/secret",
    "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://[::ffff:7f00:1]:{port}/secret",
    "http://[64:ff9b::7f00:1]:{port}/secret",
    "http://0.0.0.0:{port}/secret",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
]


@pytest.fixture
def inside() -> Iterator[HTTPServer]:
    """The internal service the publisher would like us to read."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/secret").respond_with_data(
        rss([{"title": "INTERNAL SECRET", "link": "https://e.org/x"}]), content_type="text/xml"
    )
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def _target(location: str, inside: HTTPServer) -> str:
    return location.format(port=inside.port)


@pytest.mark.parametrize("location", INSIDE)
def test_a_configured_feed_redirected_inside_is_an_error_and_never_its_new_url(
    tmp_path, feeds: FeedServer, inside: HTTPServer, clock: Clock, location: str
) -> None:
    url = feeds.fail("/feed.xml", 301, {"Location": _target(location, inside)})
    app = source_app(tmp_path, f"{{url: {url}}}", clock)
    [outcome] = run_once(app)
    assert outcome.outcome == "error" and outcome.error.startswith("blocked: redirect to")
    assert "not a public address" in outcome.error
    assert inside.log == []
    row = app.store.feed_health()[0]
    assert row.redirect_to is None
    # the next poll asks the configured URL again, not the internal one
    clock.advance(hours=3)
    run_once(app)
    assert len(feeds.http.log) == 2 and inside.log == []
    shown = CliRunner().invoke(main, ["feeds", "--config", str(tmp_path / "monitor.yaml")])
    assert "blocked: redirect to" in shown.output


def test_a_redirect_between_public_addresses_still_moves_the_feed(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    new = feeds.set("/new.xml", rss([{"title": "Rogun", "link": "https://e.org/1"}]))
    old = feeds.fail("/old.xml", 301, {"Location": new})
    app = source_app(tmp_path, f"{{url: {old}}}", clock)
    app.ctx.session = loopback_session()  # 127.0.0.1 plays a public address
    assert run_once(app)[0].outcome == "ok"
    assert app.store.feed_health()[0].redirect_to == new


def test_a_page_source_redirected_inside_stores_nothing(
    tmp_path, feeds: FeedServer, inside: HTTPServer, clock: Clock
) -> None:
    url = feeds.fail("/news", 302, {"Location": f"http://[::ffff:127.0.0.1]:{inside.port}/secret"})
    app = source_app(tmp_path, f'{{type: page, url: {url}, items: "item"}}', clock)
    [outcome] = run_once(app)
    assert outcome.outcome == "error" and "blocked" in outcome.error
    assert inside.log == [] and outcome.new_articles == 0


def sitemap_index(locs: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    ).encode()


def news_sitemap(loc: str, title: str) -> bytes:
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        f"<loc>{loc}</loc><news:news><news:publication><news:name>X</news:name>"
        "<news:language>en</news:language></news:publication>"
        "<news:publication_date>2026-11-02T10:00:00Z</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url></urlset>"
    ).encode()


def test_a_sitemap_on_the_index_s_own_host_is_vetted_and_so_is_its_redirect(
    tmp_path, feeds: FeedServer, inside: HTTPServer, clock: Clock
) -> None:
    good = feeds.set("/news_1.xml", news_sitemap("https://e.org/a", "Rogun news"), "text/xml")
    moved = feeds.fail("/news_2.xml", 301, {"Location": f"http://[::1]:{inside.port}/secret"})
    meta = feeds.fail("/news_3.xml", 302, {"Location": "http://169.254.169.254/latest/"})
    url = feeds.set("/sitemap.xml", sitemap_index([good, moved, meta]), "application/xml")
    app = source_app(tmp_path, f"{{type: sitemap, url: {url}}}", clock)
    app.ctx.session = loopback_session()
    [outcome] = run_once(app)
    assert outcome.outcome == "ok" and outcome.new_articles == 1
    assert outcome.warning is not None
    assert outcome.warning.count("not a public address") == 2
    assert inside.log == []

    # with the real policy the listed sitemap on 127.0.0.1 is refused too: only the URL the
    # operator wrote is trusted, not what the document there lists
    (tmp_path / "strict").mkdir()
    strict = source_app(tmp_path / "strict", f"{{type: sitemap, url: {url}}}", clock)
    [refused] = run_once(strict)
    assert refused.outcome == "error" and "not a public address" in (refused.error or "")


class TableDNS:
    """Names the test controls; the system resolver for the others."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def __call__(self, host: str, port: int) -> Sequence[str]:
        return self.table.get(host) or system_resolver(host, port)


def home_page(feeds_announced: list[str]) -> bytes:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="Feed {n}" href="{href}">'
        for n, href in enumerate(feeds_announced)
    )
    return f"<html><head>{links}</head><body>News</body></html>".encode()


def test_discovery_never_proposes_an_internal_feed(feeds: FeedServer, inside: HTTPServer) -> None:
    announced = [_target(location, inside) for location in INSIDE]
    announced += ["http://intranet.test/feed.xml", "https://news.example.org/feed.xml"]
    # urlsplit reads news.example.org as the host, urllib3 would connect to 127.0.0.1
    announced += [f"http://127.0.0.1:{inside.port}\\@news.example.org/secret"]
    home = feeds.set("/", home_page(announced), "text/html")
    # names resolve as the system says, but for two the test controls
    dns = TableDNS({"intranet.test": ["10.1.2.3"], "news.example.org": ["93.184.216.34"]})
    session = make_session("test", address_guard=AddressGuard(resolve=dns))
    found = discover(session, home)
    assert [c.url for c in found] == ["https://news.example.org/feed.xml"]
    assert inside.log == []


def test_feeds_add_write_never_writes_an_internal_address(
    tmp_path, feeds: FeedServer, inside: HTTPServer
) -> None:
    home = feeds.set("/", home_page([f"http://127.0.0.1:{inside.port}/secret"]), "text/html")
    feeds.set("/robots.txt", f"Sitemap: http://[::1]:{inside.port}/secret\n".encode(), "text/plain")
    config = tmp_path / "monitor.yaml"
    config.write_text("feeds: []\n")
    result = CliRunner().invoke(main, ["feeds", "add", home, "--config", str(config), "--write"])
    assert result.exit_code == 1 and "no feed found" in result.output
    assert config.read_text() == "feeds: []\n"
    assert inside.log == []
    # the common feed paths and robots.txt are not what the operator typed either
    assert {request.path for request, _ in feeds.http.log} == {"/"}


def test_discovery_does_not_follow_the_site_s_redirect_inside(
    feeds: FeedServer, inside: HTTPServer
) -> None:
    home = feeds.fail("/", 302, {"Location": f"http://0x7f.1:{inside.port}/secret"})
    assert discover(make_session("test"), home) == []
    assert inside.log == []


def test_google_news_decoding_does_not_follow_a_redirect_inside(
    feeds: FeedServer, inside: HTTPServer
) -> None:
    feeds.fail("/rss/articles/AU_yqL1", 302, {"Location": f"http://[::1]:{inside.port}/secret"})
    decoder = LinkDecoder(session=make_session("test"), base=feeds.url(""), limiter=HostLimiter())
    with pytest.raises(FetchError) as caught:
        decoder.decode("https://news.google.com/rss/articles/AU_yqL1?oc=5")
    assert caught.value.kind == "blocked"

    # the signature page answers, batchexecute redirects: not followed, the link stays
    signed = b'<div data-n-a-sg="sig" data-n-a-ts="1700000000"></div>'
    feeds.set("/rss/articles/AU_yqL2", signed, "text/html")
    feeds.http.expect_request("/_/DotsSplashUi/data/batchexecute", method="POST").respond_with_data(
        "", status=307, headers={"Location": f"http://127.0.0.1:{inside.port}/secret"}
    )
    assert decoder.decode("https://news.google.com/rss/articles/AU_yqL2") is None
    assert inside.log == []


def test_a_move_inside_stored_before_the_guard_is_passed_over_for_the_configured_url(
    tmp_path, feeds: FeedServer, inside: HTTPServer, clock: Clock
) -> None:
    # An archive from before every hop was vetted: the feed's 301 to an internal address was
    # stored as its new URL (allow_private_networks plays that older version here).
    url = feeds.fail("/feed.xml", 301, {"Location": f"http://127.0.0.1:{inside.port}/secret"})
    before = source_app(tmp_path, f"{{url: {url}}}", clock, extra="allow_private_networks: true")
    run_once(before)
    assert before.store.feed_health()[0].redirect_to == f"http://127.0.0.1:{inside.port}/secret"
    assert len(inside.log) == 1

    feeds.http.clear()  # the publisher serves its feed at the configured URL again
    feeds.requests.clear()
    feeds.set("/feed.xml", rss([{"title": "Rogun", "link": "https://e.org/1"}]))
    clock.advance(hours=3)
    [outcome] = run_once(source_app(tmp_path, f"{{url: {url}}}", clock))
    assert outcome.outcome == "ok" and outcome.new_articles == 1
    assert len(inside.log) == 1  # the internal server was not asked again
