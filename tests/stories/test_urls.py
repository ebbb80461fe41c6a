"""Canonical URLs, redirector unwrapping and site names."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.stories.identity import publisher
from monitor.stories.urls import canonical_url, clean_link, site_of, unwrap_link

CANONICAL = [
    # scheme and host case, default ports
    ("HTTP://Example.COM/Path", "http://example.com/Path"),
    ("https://EXAMPLE.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com.:443/a", "https://example.com/a"),
    # empty path and trailing "?"
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?&&", "https://example.com/a"),
    # fragments: a place in the page is dropped, a route (`#!/…`, `#/…`) names the page
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/a?b=1#x?y", "https://example.com/a?b=1"),
    ("https://example.com/a#", "https://example.com/a"),
    ("https://x.example/#!/a/status/1", "https://x.example/#!/a/status/1"),
    ("https://x.example/#!/search/gmail", "https://x.example/#!/search/gmail"),
    (
        "https://X.example:443/app/#/news/42?utm_source=x",
        "https://x.example/app/#/news/42?utm_source=x",
    ),
    ("https://x.example/#!/caf%c3%a9 x", "https://x.example/#!/caf%C3%A9%20x"),
    ("https://x.example/?utm_source=rss#!/a/1", "https://x.example/#!/a/1"),
    # tracking parameters
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?id=7&utm_campaign=x", "https://example.com/a?id=7"),
    ("https://example.com/a?UTM_Source=rss&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?fbclid=IwAR0abc", "https://example.com/a"),
    ("https://example.com/a?gclid=x&dclid=y&msclkid=z", "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&yclid=3", "https://example.com/a"),
    ("https://example.com/a?igshid=1&_ga=2&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/a?at_medium=RSS&at_campaign=KARANGA", "https://example.com/a"),
    ("https://example.com/a?page=2&ref_src=x", "https://example.com/a?page=2"),
    # query order and empty values
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?a=2&a=1", "https://example.com/a?a=1&a=2"),
    ("https://example.com/a?flag&a=", "https://example.com/a?a=&flag"),
    # percent-encoding
    ("https://example.com/%7Euser/", "https://example.com/~user/"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
    ("https://example.com/s?q=%41%2b", "https://example.com/s?q=A%2B"),
    ("https://example.com/s?q=a%26b", "https://example.com/s?q=a%26b"),
    # path case and dot segments
    ("https://example.com/News/Story-ABC", "https://example.com/News/Story-ABC"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/a/%2E%2E/b", "https://example.com/b"),
    ("https://example.com/a/", "https://example.com/a/"),
    # international and IP hosts
    ("https://Bücher.de/x", "https://xn--bcher-kva.de/x"),
    (
        "https://пример.рф/новости",
        "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
    ),
    ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
    ("http://192.168.0.1:8080/x", "http://192.168.0.1:8080/x"),
    # whitespace around and what is not an http(s) URL
    ("  https://example.com/a\n", "https://example.com/a"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
    ("not a url", "not a url"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_links_that_differ_only_in_their_route_are_two_articles() -> None:
    status = canonical_url("https://x.example/#!/a/status/1")
    assert status != canonical_url("https://x.example/#!/search/gmail")
    assert status != canonical_url("https://x.example/#/a/status/1")
    assert canonical_url("https://x.example/#top") == canonical_url("https://x.example/")
    assert clean_link("https://x.example/?utm_source=a#!/a/1") == "https://x.example/#!/a/1"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/a?utm_source=rss&id=7", "https://example.com/a?id=7&fbclid=x"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("HTTPS://EXAMPLE.COM/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a#comments", "http://example.com/a"),
        ("https://example.com/%7Ea", "https://example.com/~a"),
    ],
)
def test_what_must_still_merge_merges(one: str, other: str) -> None:
    assert canonical_url(one) == canonical_url(other)


def test_same_article_from_two_feeds_gets_one_key() -> None:
    from_rss = "http://WWW.Reuters.com:80/article/us-sco-summit/?utm_source=feedburner&b=1&a=2#top"
    from_web = "http://www.reuters.com/article/us-sco-summit/?a=2&b=1"
    assert canonical_url(from_rss) == canonical_url(from_web)


_URL_CHARS = list("aZ09-._~%:/?#[]@!$&'()*+,;= \tßé€") + [
    "%2e",
    "%2F",
    "%7e",
    "%zz",
    "..",
    "utm_x=",
]


@st.composite
def _url_like(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "HTTPS", "https", "ftp", ""]))
    host = draw(st.sampled_from(["Example.COM", "bücher.de", "[::1]", "1.2.3.4", "", "x.org."]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":", ":99999"]))
    tail = "".join(draw(st.lists(st.sampled_from(_URL_CHARS), max_size=25)))
    return f"{scheme}://{host}{port}{tail}"


@settings(max_examples=500, deadline=None)
@given(st.one_of(_url_like(), st.text()))
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


def _google_news_link(target: str) -> str:
    raw = b"\x08\x13\x22" + bytes([len(target)]) + target.encode() + b"\xd2\x01\x00"
    return (
        "https://news.google.com/rss/articles/"
        + base64.urlsafe_b64encode(raw).decode().rstrip("=")
        + "?oc=5"
    )


LONG_TARGET = "https://www.example.org/" + "long-slug-" * 20


def _long_google_news_link() -> str:
    raw = b"\x08\x13\x22" + bytes([len(LONG_TARGET) & 0x7F | 0x80, len(LONG_TARGET) >> 7])
    raw += LONG_TARGET.encode() + b"\xd2\x01\x00"
    return "https://news.google.com/rss/articles/" + base64.urlsafe_b64encode(raw).decode()


UNWRAP = [
    (
        "https://www.google.com/url?rct=j&sa=t&url=https://www.rferl.org/a/rogun-dam/3.html&ct=ga&cd=CAI&usg=AOv",
        "https://www.rferl.org/a/rogun-dam/3.html",
    ),
    (
        "https://www.google.com/url?q=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1&sa=D",
        "https://example.org/a?b=1",
    ),
    ("https://www.google.co.uk/url?url=https://bbc.co.uk/news/x", "https://bbc.co.uk/news/x"),
    (
        "https://news.google.com/news/url?sa=t&fd=R&url=http://www.nytimes.com/2019/a.html&usg=x",
        "http://www.nytimes.com/2019/a.html",
    ),
    (
        _google_news_link("https://www.theguardian.com/world/2023/jun/15/x"),
        "https://www.theguardian.com/world/2023/jun/15/x",
    ),
    (_long_google_news_link(), LONG_TARGET),
    (
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.bbc.co.uk%2Fnews&h=AT0",
        "https://www.bbc.co.uk/news",
    ),
    ("https://www.youtube.com/redirect?q=https://example.org/z&v=1", "https://example.org/z"),
    ("https://duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.org%2Fp", "https://example.org/p"),
    (
        "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.org%2F&data=1",
        "https://example.org/",
    ),
    # a redirector wrapped in another one
    (
        "https://l.facebook.com/l.php?u="
        + "https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%3A%2F%2Fexample.org%2Fdeep",
        "https://example.org/deep",
    ),
    # not recoverable from the link itself, or not a redirector: unchanged
    ("http://feedproxy.google.com/~r/Reuters/worldNews/~3/abc123/story01.htm", None),
    ("https://news.google.com/rss/articles/CBMiAU_yqLNotDecodableWithoutARequest?oc=5", None),
    ("https://www.google.com/search?q=https://example.org", None),
    ("https://www.google.com/url?q=javascript:alert(1)", None),
    ("https://t.co/AbCdEf123", None),
    ("https://www.bbc.co.uk/news/world-asia-123", None),
    ("not a url", None),
]


@pytest.mark.parametrize(("url", "expected"), UNWRAP)
def test_unwrap_link(url: str, expected: str | None) -> None:
    assert unwrap_link(url) == (url if expected is None else expected)


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),
        ("HTTPS://WWW.Reuters.COM:443/a", "reuters.com"),
        ("https://rus.ozodi.org/a/1.html", "rus.ozodi.org"),
        ("https://wwwexample.com/", "wwwexample.com"),
        ("https://Bücher.de/", "xn--bcher-kva.de"),
        ("not a url", ""),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site


CLEAN = [
    ("https://Example.com/World/Story?utm_source=wire#top", "https://Example.com/World/Story"),
    ("https://example.com/a?id=7&fbclid=x&b=2", "https://example.com/a?id=7&b=2"),
    ("https://example.com/a?z=1&a=2", "https://example.com/a?z=1&a=2"),  # order kept
    ("https://example.com/a", "https://example.com/a"),
    ("mailto:desk@example.com", "mailto:desk@example.com"),
]


@pytest.mark.parametrize(("url", "expected"), CLEAN)
def test_clean_link(url: str, expected: str) -> None:
    assert clean_link(url) == expected


PUBLISHERS = [
    # (article link, feeds that carried it first first, the publisher's index)
    ("https://paper.example/a", ["https://wire.example/rss", "https://paper.example/rss"], 1),
    ("https://www.paper.example/a", ["https://wire.example/rss", "https://rss.paper.example/x"], 1),
    ("https://paper.example/a", ["https://wire.example/rss", "https://agg.example/rss"], 0),
    ("https://paper.example/a", ["https://paper.example/1", "https://paper.example/2"], 0),
    ("https://paper.example/a", [], 0),
]


@pytest.mark.parametrize(("link", "feeds", "expected"), PUBLISHERS)
def test_the_publisher_is_the_feed_on_the_article_site(
    link: str, feeds: list[str], expected: int
) -> None:
    assert publisher(link, [(feed, link) for feed in feeds]) == expected
