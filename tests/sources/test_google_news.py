"""Google News search RSS and its wrapped links, with Google's answers served on loopback in
the shapes news.google.com gives them (the search feed, the article page's signature, the
batchexecute answer, and 429 after a few quick decodings)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
from conftest import Clock, FeedServer, write_config
from sources_run import FakeTime, digest_texts, source_app
from werkzeug.wrappers import Request, Response

from monitor.config.load import load_config
from monitor.errors import ParseError
from monitor.pipeline.links import DECODER_LIMITER
from monitor.service.app import build_app, run_once
from monitor.sources.fetch import HostLimiter, make_session
from monitor.sources.google_links import LinkDecoder, RateLimited, batch_target
from monitor.sources.google_news import parse_google_news, without_publisher
from monitor.stories.identity import identify


def wrapped_id(n: int) -> str:
    # the newer ids carry no URL: only Google can say where they lead
    return "AU_yqL" + base64.urlsafe_b64encode(f"opaque-{n:04d}".encode()).decode().rstrip("=")


def search_rss(items: list[tuple[int, str, str, object]]) -> bytes:
    """Google News search RSS of (id, headline, publisher, published) items, links wrapped."""
    parts = []
    for n, headline, publisher, when in items:
        link = f"https://news.google.com/rss/articles/{wrapped_id(n)}?oc=5"
        parts.append(
            f"<item><title>{headline} - {publisher}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{wrapped_id(n)}</guid>'
            f"<pubDate>{format_datetime(when)}</pubDate>"  # type: ignore[arg-type]
            f'<description>&lt;a href="{link}" target="_blank"&gt;{headline}&lt;/a&gt;'
            f'&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;{publisher}&lt;/font&gt;</description>'
            f'<source url="https://www.{publisher.lower()}.com">{publisher}</source></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>'
        '<generator>NFE/5.0</generator><title>"Rogun" - Google News</title>'
        "<link>https://news.google.com/search?q=Rogun</link><language>en-US</language>"
        "<description>Google News</description>" + "".join(parts) + "</channel></rss>"
    ).encode()


class Google:
    """news.google.com's decoding endpoints: an article page with its signature, and
    batchexecute answering the publisher's URL, then 429 once ``quota`` decodings are spent."""

    def __init__(self, feeds: FeedServer, quota: int = 100) -> None:
        self.quota = quota
        self.pages: list[str] = []
        self.decoded: list[str] = []
        feeds.http.expect_request(re.compile(r"^/rss/articles/")).respond_with_handler(self.page)
        feeds.http.expect_request(
            "/_/DotsSplashUi/data/batchexecute", method="POST"
        ).respond_with_handler(self.batch)

    def page(self, request: Request) -> Response:
        article = request.path.rsplit("/", 1)[1]
        self.pages.append(article)
        html = (
            '<!doctype html><html><body><c-wiz><div jscontroller="aLI87" '
            f'data-n-a-id="{article}" data-n-a-ts="1730534400" data-n-a-sg="AZ5r3eSig{len(article)}">'
            "</div></c-wiz></body></html>"
        )
        return Response(html, content_type="text/html; charset=utf-8")

    def batch(self, request: Request) -> Response:
        if len(self.decoded) >= self.quota:
            return Response("Too Many Requests", status=429)
        [[[rpc, payload, _, _]]] = json.loads(parse_qs(request.get_data(as_text=True))["f.req"][0])
        _, _, article, stamp, signature = json.loads(payload)
        assert rpc == "Fbv4je" and stamp == 1730534400 and signature.startswith("AZ5r3eSig")
        self.decoded.append(article)
        n = int(base64.urlsafe_b64decode(article[6:] + "==").decode().split("-")[1])
        answer = json.dumps(["garturlres", f"https://publisher.example/story/{n}", 1])
        rows = [["wrb.fr", "Fbv4je", answer, None, None, None, "generic"], ["di", 42]]
        return Response(")]}'\n\n" + json.dumps(rows), content_type="application/json")


def test_titles_lose_the_publisher_tail_and_the_publisher_is_the_source_name(clock: Clock) -> None:
    body = search_rss([(1, "Rogun dam - the third unit", "Reuters", clock.now)])
    [entry] = parse_google_news(body, url="https://news.google.com/rss/search?q=Rogun").entries
    assert entry.title == "Rogun dam - the third unit" and entry.source_name == "Reuters"
    assert entry.link == f"https://news.google.com/rss/articles/{wrapped_id(1)}?oc=5"
    assert entry.published == clock.now and entry.summary == ""


@pytest.mark.parametrize(
    ("title", "publisher", "headline"),
    [
        ("A - B - Reuters", "Reuters", "A - B"),
        ("No tail here", "Reuters", "No tail here"),
        ("Only - Reuters", None, "Only - Reuters"),
        (" - Reuters", "Reuters", "- Reuters"),
    ],
)
def test_only_the_exact_publisher_tail_is_removed(
    title: str, publisher: str | None, headline: str
) -> None:
    assert without_publisher(title, publisher) == headline


def test_an_html_page_where_the_search_feed_was_expected_is_an_error() -> None:
    with pytest.raises(ParseError, match="expected Google News RSS, got an HTML page"):
        parse_google_news(b"<!DOCTYPE html><html><body>Before you continue</body></html>", url="x")


def test_a_wrapped_link_is_known_by_its_own_id() -> None:
    def ident(n: int, feed: str = "gn", title: str = "Morning briefing"):  # noqa: ANN202
        link = f"https://news.google.com/rss/articles/{wrapped_id(n)}?oc=5"
        return identify(feed_url=feed, guid=wrapped_id(n), link=link, title=title)

    # two items of one publisher with one title, on two days: two articles
    assert ident(1).article_id != ident(2).article_id
    # one item is one article whichever search carried it, whatever its headline became
    assert ident(1).article_id == ident(1, feed="gn-other", title="Morning briefing!").article_id
    assert ident(1).link.startswith("https://news.google.com/rss/articles/")


def test_the_answer_of_batchexecute_gives_the_url_and_garbage_gives_none() -> None:
    rows = [["wrb.fr", "Fbv4je", '["garturlres","https://e.org/a",1]', None], ["di", 9]]
    assert batch_target(")]}'\n\n" + json.dumps(rows)) == "https://e.org/a"
    assert batch_target(')]}\'\n\n[["er", null]]') is None
    assert batch_target("<html>") is None


def test_decodings_wait_their_turn_and_a_429_ends_the_round(feeds: FeedServer) -> None:
    google = Google(feeds, quota=2)
    fake = FakeTime()
    limiter = HostLimiter(per_host=1, min_interval=2.0, clock=fake.clock, sleep=fake.sleep)
    decoder = LinkDecoder(session=make_session("test"), base=feeds.url(""), limiter=limiter)
    links = [f"https://news.google.com/rss/articles/{wrapped_id(n)}?oc=5" for n in (1, 2, 3)]
    assert decoder.decode(links[0]) == "https://publisher.example/story/1"
    assert decoder.decode(links[1]) == "https://publisher.example/story/2"
    with pytest.raises(RateLimited):
        decoder.decode(links[2])
    assert fake.slept == [2.0] * 5  # every request after the first waited 2 s
    assert len(google.decoded) == 2


def source(base: str, api: str) -> str:
    return (
        f"{{type: google_news, query: Rogun, url: {api}, decoder_url: {base}, decode_interval: 1s}}"
    )


def test_a_rogun_story_alerts_once_and_only_its_link_is_decoded(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    google = Google(feeds)
    base = feeds.url("").rstrip("/")
    old = (1, "Rogun: a look back", "Reuters", clock.now - timedelta(hours=4))
    api = feeds.set("/rss/search", search_rss([old]), "application/xml; charset=utf-8")
    app = source_app(tmp_path, source(base, api), clock)
    fake = FakeTime()
    app.ctx.source_limiters[DECODER_LIMITER] = HostLimiter(
        per_host=1, min_interval=1.0, clock=fake.clock, sleep=fake.sleep
    )
    assert run_once(app)[0].new_articles == 1 and google.pages == []

    clock.advance(minutes=20)
    new = (2, "Rogun's third turbine starts", "Reuters", clock.now - timedelta(minutes=5))
    other = (3, "Weather in Dushanbe", "AFP", clock.now - timedelta(minutes=5))
    feeds.set("/rss/search", search_rss([new, other, old]), "application/xml")
    outcome = run_once(app)[0]
    assert (outcome.new_articles, outcome.matches) == (2, 1)
    assert google.decoded == [wrapped_id(2)]  # the story that matched, and no other
    [text] = digest_texts(tmp_path)
    assert "Rogun's third turbine starts" in text and " - Reuters" not in text
    assert "https://publisher.example/story/2" in text
    assert "Reuters" in text and "Google News: Rogun" not in text  # the publisher is the source

    clock.advance(minutes=20)
    feeds.set("/rss/search", search_rss([new, other, old]), "application/xml")
    assert run_once(app)[0].matches == 0 and len(digest_texts(tmp_path)) == 1  # seen: no alert

    # the next day, another item of that publisher under the same headline: a new article
    clock.advance(hours=24)
    again = (4, "Rogun's third turbine starts", "Reuters", clock.now - timedelta(minutes=5))
    feeds.set("/rss/search", search_rss([again, new, other, old]), "application/xml")
    assert run_once(app)[0].matches == 1 and len(digest_texts(tmp_path)) == 2
    assert google.decoded == [wrapped_id(2), wrapped_id(4)]


def test_a_link_google_will_not_decode_stays_wrapped(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    Google(feeds, quota=0)
    base = feeds.url("").rstrip("/")
    api = feeds.set("/rss/search", search_rss([]), "application/xml")
    app = source_app(tmp_path, source(base, api), clock)
    run_once(app)
    clock.advance(minutes=20)
    story = (7, "Rogun reservoir rises", "AFP", clock.now)
    feeds.set("/rss/search", search_rss([story]), "application/xml")
    assert run_once(app)[0].matches == 1
    [text] = digest_texts(tmp_path)
    assert f"/rss/articles/{wrapped_id(7)}" in text


def test_once_decoded_the_publishers_own_copy_is_the_same_article(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    google = Google(feeds)
    base = feeds.url("").rstrip("/")
    api = feeds.set("/rss/search", search_rss([]), "application/xml")
    own = feeds.set("/publisher.xml", publisher_rss([]), "application/xml")
    body = f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - {source(base, api)}
          - {{url: {own}}}
        rules:
          - {{name: Rogun, any: [Rogun], digest: instant}}
        digests:
          instant: {{schedule: instant, channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        """
    app = build_app(load_config(write_config(tmp_path, body)), clock=clock)
    fake = FakeTime()
    app.ctx.source_limiters[DECODER_LIMITER] = HostLimiter(
        per_host=1, min_interval=1.0, clock=fake.clock, sleep=fake.sleep
    )
    run_once(app)  # both backlogs: empty

    clock.advance(minutes=20)
    story = (2, "Rogun's third turbine starts", "Reuters", clock.now - timedelta(minutes=5))
    feeds.set("/rss/search", search_rss([story]), "application/xml")
    assert sum(o.matches for o in run_once(app)) == 1
    assert google.decoded == [wrapped_id(2)]

    # the publisher's own feed lists the decoded page (with its tracking parameters): it is
    # the article already stored and alerted, now with a second source
    clock.advance(minutes=20)
    feeds.set(
        "/publisher.xml",
        publisher_rss(["https://publisher.example/story/2?utm_source=rss"]),
        "application/xml",
    )
    outcomes = run_once(app)
    assert [(o.new_articles, o.matches) for o in outcomes] == [(0, 0), (0, 0)]
    assert len(digest_texts(tmp_path)) == 1


def publisher_rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Rogun's third turbine starts</title><link>{link.replace('&', '&amp;')}</link>"
        "<description>The third unit of the Rogun plant started on Monday.</description></item>"
        for link in links
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Reuters</title>'
        f"<link>https://publisher.example/</link>{items}</channel></rss>"
    ).encode()
