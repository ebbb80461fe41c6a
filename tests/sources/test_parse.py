"""parse_feed: per-format fixtures, both parsers, and hostile bodies."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from monitor.errors import ParseError
from monitor.sources.feed.parse import Entry, ParsedFeed, parse_feed

URL = "https://news.example.org/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>World  desk</title><link>https://news.example.org/</link>
  <language>en-GB</language><ttl>30</ttl>
  <item>
    <title>SCO summit &amp; the Rogun dam</title>
    <link>/2025/sco-summit?a=1&amp;b=2</link>
    <guid isPermaLink="false"> sco-1 </guid>
    <description><![CDATA[<p>Leaders met in <b>Dushanbe</b>.</p><script>x()</script>]]>
    </description>
    <content:encoded><![CDATA[<p>Leaders met.</p><p>The Rogun dam came up last.</p>]]>
    </content:encoded>
    <dc:creator>A. Writer</dc:creator>
    <pubDate>Tue, 02 Sep 2025 14:30:00 +0500</pubDate>
  </item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">
  <title type="text">Новости</title>
  <link rel="alternate" type="text/html" href="https://news.example.org/ru/"/>
  <link rel="self" href="https://news.example.org/ru/atom.xml"/>
  <entry>
    <title type="html">Рогун &lt;b&gt;ГЭС&lt;/b&gt;</title>
    <link rel="alternate" href="https://news.example.org/ru/rogun"/>
    <link rel="enclosure" href="https://news.example.org/ru/rogun.mp3"/>
    <id>tag:news.example.org,2025:rogun</id>
    <updated>2025-09-02T10:00:00+03:00</updated>
    <summary type="html">&lt;p&gt;Первый абзац.&lt;/p&gt;</summary>
    <content type="html">&lt;p&gt;Первый абзац.&lt;/p&gt;&lt;p&gt;Второй.&lt;/p&gt;</content>
    <author><name>Иван</name><email>ivan@example.org</email></author>
  </entry>
</feed>""".encode()

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.org/"><title>RDF desk</title>
    <link>https://news.example.org/</link><dc:language>de</dc:language></channel>
  <item rdf:about="https://news.example.org/nato-1">
    <title>NATO meets</title><link>https://news.example.org/nato-1</link>
    <description>Ministers met.</description><dc:date>2025-09-01T08:00:00Z</dc:date>
  </item>
</rdf:RDF>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON desk",
        "home_page_url": "https://news.example.org/",
        "language": "en",
        "items": [
            {
                "id": "j-1",
                "url": "https://news.example.org/j-1",
                "title": "NATO and the SCO",
                "content_html": "<p>Body <b>text</b>.</p>",
                "summary": "Short.",
                "date_published": "2025-09-02T12:00:00+02:00",
                "authors": [{"name": "Desk"}],
            }
        ],
    }
).encode()

EXPECTED = {
    "rss": (
        RSS,
        ParsedFeed(
            title="World desk",
            link="https://news.example.org/",
            language="en-GB",
            ttl=30,
            warning=None,
            parser="fast",
            entries=(
                Entry(
                    guid="sco-1",
                    link="https://news.example.org/2025/sco-summit?a=1&b=2",
                    title="SCO summit & the Rogun dam",
                    summary="Leaders met in Dushanbe.",
                    content="Leaders met.\nThe Rogun dam came up last.",
                    author="A. Writer",
                    published=datetime(2025, 9, 2, 9, 30, tzinfo=UTC),
                    language="en-GB",
                ),
            ),
        ),
    ),
    "atom": (
        ATOM,
        ParsedFeed(
            title="Новости",
            link="https://news.example.org/ru/",
            language="ru",
            ttl=None,
            warning=None,
            parser="fast",
            entries=(
                Entry(
                    guid="tag:news.example.org,2025:rogun",
                    link="https://news.example.org/ru/rogun",
                    title="Рогун ГЭС",
                    summary="Первый абзац.",
                    content="Первый абзац.\nВторой.",
                    author="Иван (ivan@example.org)",
                    published=datetime(2025, 9, 2, 7, 0, tzinfo=UTC),
                    language="ru",
                ),
            ),
        ),
    ),
    "rdf": (
        RDF,
        ParsedFeed(
            title="RDF desk",
            link="https://news.example.org/",
            language="de",
            ttl=None,
            warning=None,
            parser="fast",
            entries=(
                Entry(
                    guid="https://news.example.org/nato-1",
                    link="https://news.example.org/nato-1",
                    title="NATO meets",
                    summary="Ministers met.",
                    content="",
                    author=None,
                    published=datetime(2025, 9, 1, 8, 0, tzinfo=UTC),
                    language="de",
                ),
            ),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_reads_into_the_expected_records(name: str) -> None:
    body, expected = EXPECTED[name]
    assert parse_feed(body, url=URL) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_feedparser_path_gives_the_same_entries(name: str) -> None:
    body, expected = EXPECTED[name]
    fallback = parse_feed(body, url=URL, fast=False)
    assert fallback.parser == "feedparser"
    assert fallback.entries == expected.entries


def test_json_feed() -> None:
    parsed = parse_feed(JSON_FEED, url=URL, content_type="application/feed+json")
    assert parsed.parser == "jsonfeed"
    assert parsed.title == "JSON desk"
    (entry,) = parsed.entries
    assert entry.link == "https://news.example.org/j-1"
    assert entry.summary == "Short."
    assert entry.content == "Body text."
    assert entry.published == datetime(2025, 9, 2, 10, 0, tzinfo=UTC)
    assert entry.author == "Desk"
    assert entry.language == "en"


def test_malformed_feed_is_read_by_feedparser_with_a_warning() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>Cut &nbsp; off</title>")
    parsed = parse_feed(broken, url=URL)
    assert parsed.parser == "feedparser"
    assert parsed.warning and "\n" not in parsed.warning
    assert [e.title for e in parsed.entries] == ["SCO summit & the Rogun dam", "Cut off"]


def _one_item(inner: str) -> bytes:
    return (
        f'<rss version="2.0"><channel><title>t</title><item>{inner}</item></channel></rss>'.encode()
    )


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("story/1", "https://news.example.org/feeds/story/1"),
        ("//cdn.example.net/a", "https://cdn.example.net/a"),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_links_are_absolute_http_urls(link: str, expected: str | None) -> None:
    body = _one_item(f"<title>x</title><link>{link}</link>")
    for fast in (True, False):
        assert parse_feed(body, url=URL, fast=fast).entries[0].link == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Tue, 02 Sep 2025 14:30:00 GMT", datetime(2025, 9, 2, 14, 30, tzinfo=UTC)),
        ("Tue, 02 Sep 2025 14:30:00 -0400", datetime(2025, 9, 2, 18, 30, tzinfo=UTC)),
        ("2025-09-02T14:30:00+05:00", datetime(2025, 9, 2, 9, 30, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_dates_become_aware_utc(date: str, expected: datetime | None) -> None:
    body = _one_item(f"<title>x</title><pubDate>{date}</pubDate>")
    assert parse_feed(body, url=URL).entries[0].published == expected


def test_encodings_bom_utf16_and_a_lying_declaration() -> None:
    text = '<?xml version="1.0" encoding="utf-8"?>' + _one_item("<title>Рогун ГЭС</title>").decode()
    utf16 = text.replace("utf-8", "utf-16").encode("utf-16")
    assert parse_feed(utf16, url=URL).entries[0].title == "Рогун ГЭС"
    bom = b"\xef\xbb\xbf" + text.encode()
    assert parse_feed(bom, url=URL).entries[0].title == "Рогун ГЭС"
    # Declared UTF-8, really windows-1251: no exception, a warning, the item kept.
    lying = text.encode("utf-8").replace("Рогун ГЭС".encode(), "Рогун ГЭС".encode("cp1251"))
    parsed = parse_feed(lying, url=URL)
    assert len(parsed.entries) == 1 and parsed.warning


def test_invalid_utf8_does_not_lose_the_item() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>bad \xff\xfe byte</title></item></channel></rss>'
    )
    (entry,) = parse_feed(body, url=URL).entries
    assert entry.title.startswith("bad") and entry.title.endswith("byte")


def test_gzip_body_is_decompressed_and_a_bomb_refused() -> None:
    assert parse_feed(gzip.compress(RSS), url=URL).entries[0].guid == "sco-1"
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000 + b"</rss>")
    with pytest.raises(ParseError, match="inflates"):
        parse_feed(bomb, url=URL)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body><p>Just a page</p></body></html>",
        b"\x00\x01\x02garbage",
        b'{"a": 1}',
    ],
)
def test_bodies_that_are_not_feeds_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, url=URL)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""


def _size(parsed: ParsedFeed) -> int:
    return len(parsed.title) + sum(
        len(e.title) + len(e.summary) + len(e.content) for e in parsed.entries
    )


def _parses_small_or_refuses(body: bytes) -> ParsedFeed | None:
    """Entities stay unexpanded: the text is never larger than the body it came from."""
    try:
        parsed = parse_feed(body, url=URL)
    except ParseError:
        return None
    assert _size(parsed) <= len(body)
    return parsed


def test_billion_laughs_comes_out_small() -> None:
    parsed = _parses_small_or_refuses(BILLION_LAUGHS)
    assert parsed is None or "lollol" not in repr(parsed)


def test_quadratic_blowup_comes_out_small() -> None:
    value = b"A" * 50_000
    refs = b"&a;" * 20_000
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + value + b'">]>'
        b'<rss version="2.0"><channel><item><title>t</title><description>'
        + refs
        + b"</description></item></channel></rss>"
    )
    parsed = _parses_small_or_refuses(body)
    assert parsed is None or "A" * 100 not in repr(parsed)


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
        b'<!DOCTYPE rss SYSTEM "file:///etc/passwd">',
        b'<!DOCTYPE rss [<!-- "quote" ]> --><!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_external_entities_are_never_read(doctype: bytes) -> None:
    body = (
        b'<?xml version="1.0"?>' + doctype + b'<rss version="2.0"><channel><title>&xxe;</title>'
        b"<item><title>&xxe;</title><description>&xxe;</description></item></channel></rss>"
    )
    try:
        parsed = parse_feed(body, url=URL)
    except ParseError:
        return
    everything = repr(parsed)
    assert "root:" not in everything and "/bin/" not in everything


def test_huge_feed_is_capped_at_max_entries() -> None:
    items = b"".join(
        b"<item><title>Story %d</title><guid>g-%d</guid></item>" % (i, i) for i in range(10_000)
    )
    body = b'<rss version="2.0"><channel><title>big</title>' + items + b"</channel></rss>"
    parsed = parse_feed(body, url=URL, max_entries=500)
    assert len(parsed.entries) == 500
    assert parsed.entries[-1].guid == "g-499"


@pytest.mark.parametrize("name", [b"\x80ig5", b"\x00ig5", b"", b"utf 8", b"\xff\xfe"])
def test_a_declared_encoding_that_is_no_encoding_name_is_ignored_not_fatal(name: bytes) -> None:
    # Found by the long fuzz run: feedparser itself raised UnicodeDecodeError/ValueError here.
    body = (
        b'<?xml version="1.0" encoding="'
        + name
        + b'"?>\n<rss><channel><title>Caf\xc3\xa9</title></channel></rss>'
    )
    for fast in (True, False):
        assert parse_feed(body, url="http://x.test/feed", fast=fast).title == "Café"


def test_a_well_formed_declared_encoding_is_still_obeyed() -> None:
    body = b'<?xml version="1.0" encoding="windows-1251"?>\n<rss><channel><title>\xcf\xf0\xe8\xe2\xe5\xf2</title></channel></rss>'
    assert parse_feed(body, url="http://x.test/feed").title == "Привет"
