"""The one date reader of every source: real-world formats read right (checked against dateutil
where dateutil is right), what cannot be read reliably left empty, the feed paths agreeing, and
an undated or future-dated item dated when first seen without ever alerting from a backlog."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, write_config
from dateutil import parser as dateutil_parser
from dateutil import tz

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once
from monitor.sources.dates import parse_date
from monitor.sources.feed.parse import parse_feed

# (as a feed writes it, the instant it means in UTC or None, whether dateutil reads it right)
FORMATS = [
    # RFC 822 / 1123 / 2822, as most RSS writes it
    ("Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37", True),
    ("Wed, 16 Nov 2022 00:38:15 +0100", "2022-11-15T23:38:15", True),
    ("16 Nov 2022 00:38:15 +0100", "2022-11-15T23:38:15", True),
    ("Wed, 16 Nov 2022 00:38 -0500", "2022-11-16T05:38:00", True),
    ("Wed, 16 Nov 2022 00:38:15 EST", "2022-11-16T05:38:15", False),  # dateutil drops EST
    ("Wed, 16 Nov 2022 00:38:15 PDT", "2022-11-16T07:38:15", False),
    ("Wed, 16 Nov 2022 00:38:15 Z", "2022-11-16T00:38:15", True),
    ("Wed, 16 Nov 22 00:38:15 +0000", "2022-11-16T00:38:15", True),  # two-digit year
    ("Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37", True),  # RFC 850
    ("Wed, 16 Nov 2022 00:38:15 +05:30", "2022-11-15T19:08:15", True),
    ("Wed,16 Nov 2022 00:38:15 +0000", None, False),  # no space after the comma: not RFC 822
    # any language's weekday, the common languages' months
    ("mer, 16 nov 2022 00:38:15 +0100", "2022-11-15T23:38:15", False),
    ("Mi, 04 Jan 2017 17:36:24 +0000", "2017-01-04T17:36:24", False),
    ("Seg, 24 Set 2018 19:22:00 -0300", "2018-09-24T22:22:00", False),
    ("Пн, 14 Nov 2022 10:00:00 +0300", "2022-11-14T07:00:00", False),
    ("jeu., 17 févr. 2022 09:00:00 +0100", "2022-02-17T08:00:00", False),
    ("Di, 16 Mär 2021 10:00:00 +0100", "2021-03-16T09:00:00", False),
    ("16 noviembre 2022", "2022-11-16T00:00:00", False),
    ("16. November 2022", "2022-11-16T00:00:00", False),
    ("January, 29 Jan 2021 17:56:15 +0530", "2021-01-29T12:26:15", False),
    # ISO 8601 / RFC 3339
    ("2022-11-16T00:38:15Z", "2022-11-16T00:38:15", True),
    ("2022-11-16T00:38:15+01:00", "2022-11-15T23:38:15", True),
    ("2022-11-16T00:38:15.123456-05:00", "2022-11-16T05:38:15", False),  # dateutil keeps µs
    ("2022-11-16T00:38:15+0100", "2022-11-15T23:38:15", True),
    ("2022-11-16T00:38:15+01", "2022-11-15T23:38:15", True),
    ("2022-11-16 00:38:15", "2022-11-16T00:38:15", True),  # no zone: UTC
    ("2022-11-16T00:38", "2022-11-16T00:38:00", True),
    ("2022-11-16", "2022-11-16T00:00:00", True),
    ("20221116T003815Z", "2022-11-16T00:38:15", True),  # basic form (GDELT)
    ("2022-11-16T00:38:15 +01:00", "2022-11-15T23:38:15", True),
    # year first with slashes, day first with dots
    ("2020/1/10 14:33:00", "2020-01-10T14:33:00", True),
    ("2020/01/10", "2020-01-10T00:00:00", True),
    ("16.11.2022", "2022-11-16T00:00:00", True),
    ("22.11.2022 12:16:00", "2022-11-22T12:16:00", True),
    ("1.2.2022", "2022-02-01T00:00:00", True),
    # US long forms
    ("Friday, January 29, 2021 04:42 PM", "2021-01-29T16:42:00", True),
    ("January 29, 2021 4:42 am", "2021-01-29T04:42:00", True),
    ("Jan 29, 2021", "2021-01-29T00:00:00", True),
    ("January 29th, 2021 12:05 PM", "2021-01-29T12:05:00", True),
    ("January 29, 2021 12:05 AM", "2021-01-29T00:05:00", True),
    ("Sat, Dec 16 2023 02:02:33 PM", "2023-12-16T14:02:33", True),
    ("January 29, 2021 at 4:42 PM EST", "2021-01-29T21:42:00", False),
    # a slashed date is read only when one part cannot be a month
    ("29/01/2021 10:00", "2021-01-29T10:00:00", True),
    ("01/29/2021", "2021-01-29T00:00:00", True),
    ("01/02/2021", None, False),  # the second of January or the first of February?
    # ctime, Unix time
    ("Tue Dec  8 01:35:03 2026", "2026-12-08T01:35:03", True),
    ("1518478934", "2018-02-12T23:42:14", False),
    # what cannot be read reliably stays empty
    ("Fri, 11 Mar 2016 01:15:00 +3000", None, False),  # no 30-hour offset exists
    ("Fri, 11 Mar 2016 01:15:00 +1500", None, False),  # beyond +14 h
    ("Fri, 11 Mar 2016 01:15:00 -1430", None, False),
    ("Fri, 11 Mar 2016 01:15:00 XYZ", None, False),  # an unknown zone
    ("Fri, 17 May 2019 06:00:00 BST", None, False),  # British summer or Bangladesh?
    ("2017-06-13T03:18:00+00:0", None, False),
    ("Mon, 30 Feb 2026 10:00:00 GMT", None, False),
    ("2026-13-01", None, False),
    ("2026-02-10T25:00:00Z", None, False),
    ("yesterday", None, False),
    ("", None, False),
    ("12", None, False),
]


@pytest.mark.parametrize(("text", "expected", "_"), FORMATS)
def test_the_formats_feeds_write(text: str, expected: str | None, _: bool) -> None:
    read = parse_date(text)
    assert read == (datetime.fromisoformat(expected).replace(tzinfo=UTC) if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for t, e, dateutil_right in FORMATS if dateutil_right]
)
def test_where_dateutil_reads_a_format_right_both_agree(text: str, expected: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = dateutil_parser.parse(text, dayfirst="." in text, tzinfos={"Z": tz.UTC})
    theirs = theirs.replace(tzinfo=UTC) if theirs.tzinfo is None else theirs.astimezone(UTC)
    assert theirs == parse_date(text) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def feed_of(dates: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>https://example.org/{n}</link>"
        f"<guid>g{n}</guid><pubDate>{date}</pubDate></item>"
        for n, date in enumerate(dates)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


def test_the_fast_and_the_feedparser_paths_read_every_date_alike() -> None:
    body = feed_of([text for text, _, _ in FORMATS if text and "<" not in text])
    fast = parse_feed(body, url="https://example.org/feed")
    slow = parse_feed(body, url="https://example.org/feed", fast=False)
    assert fast.parser != slow.parser
    assert [e.published for e in fast.entries] == [e.published for e in slow.entries]
    assert [e.published for e in fast.entries] == [
        parse_date(text) for text, _, _ in FORMATS if text and "<" not in text
    ]


def test_atom_and_json_feed_dates_go_through_the_same_reader() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<id>urn:x</id><updated>2022-11-16T00:38:15Z</updated>"
        b"<entry><title>A</title><id>urn:a</id><link href='https://example.org/a'/>"
        b"<updated>2020/1/10 14:33:00</updated></entry></feed>"
    )
    for fast in (True, False):
        [entry] = parse_feed(atom, url="https://example.org/", fast=fast).entries
        assert entry.published == datetime(2020, 1, 10, 14, 33, tzinfo=UTC)
    jsonfeed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1",'
        b' "url": "https://example.org/1", "title": "x", "date_published": "16.11.2022"}]}'
    )
    [entry] = parse_feed(
        jsonfeed, url="https://example.org/", content_type="application/feed+json"
    ).entries
    assert entry.published == datetime(2022, 11, 16, tzinfo=UTC)


RULES = """
database: {db}
feeds:
  - url: {url}
    max_age: 2d
rules:
  - {{name: Rogun, query: Rogun, digest: instant}}
digests:
  instant: {{schedule: instant, channels: [archive]}}
channels:
  archive: {{type: file, path: {digests}}}
"""


def run_world(tmp_path: Path, url: str, clock: Clock):  # noqa: ANN201
    body = RULES.format(db=tmp_path / "m.db", url=url, digests=tmp_path / "digests")
    return build_app(load_config(write_config(tmp_path, body)), clock=clock)


def sent(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in sorted((tmp_path / "digests").glob("*.txt"))]


def undated(n: int, title: str) -> str:
    return (
        f"<item><title>{title}</title><link>https://example.org/{n}</link><guid>g{n}</guid>"
        "<description>Work on the Rogun dam.</description></item>"
    )


def channel(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://example.org/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


def test_an_undated_old_item_of_a_first_poll_never_alerts(
    tmp_path: Path, feeds: FeedServer, clock: Clock
) -> None:
    # A years-old item without a date: the first poll is a backlog, stored and not alerted;
    # listed again, it is the article already stored, never new.
    url = feeds.set("/a.xml", channel([undated(1, "Rogun: the 2019 archive")]))
    app = run_world(tmp_path, url, clock)
    assert run_once(app)[0].matches == 0
    for _ in range(3):
        clock.advance(hours=1)
        feeds.set("/a.xml", channel([undated(1, "Rogun: the 2019 archive")]))
        assert run_once(app)[0].matches == 0
    assert sent(tmp_path) == []
    # an undated item that appears later is news: dated when first seen, and alerted
    clock.advance(hours=1)
    feeds.set(
        "/a.xml", channel([undated(2, "Rogun: today"), undated(1, "Rogun: the 2019 archive")])
    )
    assert run_once(app)[0].matches == 1
    [text] = sent(tmp_path)
    assert "Rogun: today" in text and "2019 archive" not in text


def test_a_date_more_than_a_day_ahead_is_taken_as_first_seen(
    tmp_path: Path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", channel([]))
    app = run_world(tmp_path, url, clock)
    run_once(app)
    clock.advance(hours=1)
    ahead = clock.now + timedelta(days=3)
    soon = clock.now + timedelta(hours=20)  # a publisher's clock or zone a little off
    feeds.set(
        "/a.xml",
        feed_of(
            [ahead.strftime("%a, %d %b %Y %H:%M:%S +0000"), soon.strftime("%Y-%m-%dT%H:%M:%SZ")]
        ),
    )
    run_once(app)
    stored = {a.title: a.published for a in app.store.articles_since(clock.now - timedelta(days=1))}
    assert stored == {"Story 0": None, "Story 1": soon.replace(microsecond=0)}
