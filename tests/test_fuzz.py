"""Fuzzing parse -> identify -> fingerprint -> match with corpus feeds mutated by hypothesis
(byte flips, truncation, splicing, hostile tokens): nothing escapes but ParseError."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.rules import Document, Matcher, build_rule
from monitor.sources.feed.parse import parse_feed
from monitor.stories.identity import identify
from monitor.stories.neardup import fingerprint

SEED_LIMIT = 48 * 1024
TOKENS = [
    b"<!DOCTYPE rss [<!ENTITY a 'aaaa'>]>",
    b"&a;",
    b"&#x110000;",
    b"&#0;",
    b"<![CDATA[",
    b"]]>",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"<item>",
    b"</item>",
    b"<entry>",
    b"<link>javascript:alert(1)</link>",
    b"<link>http://[::1</link>",
    b"<guid>",
    b"<pubDate>Mon, 99 Foo 99999 99:99:99 +9999</pubDate>",
    b"<title>\xd0\xa0\xd0\xbe\xd0\xb3\xd1\x83\xd0\xbd NATO's SCO</title>",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"\x1f\x8b\x08\x00",
]
CONTENT_TYPES = [None, "application/rss+xml", "text/xml; charset=iso-8859-1", "application/json"]
RULES = Matcher(
    [
        build_rule(name="SCO", query='{SCO} OR "Shanghai Cooperation Organi*ation" OR ШОС'),
        build_rule(name="Rogun", any=["Rogun", "Рогун*"]),
        build_rule(name="NATO", query='(NATO OR "North Atlantic Treaty") NOT title:football'),
        build_rule(name="Near", query="dam NEAR/5 (Tajik* OR Vakhsh)"),
    ]
)
fuzzed = {"inputs": 0, "parsed": 0, "entries": 0}


def seed_files() -> list[bytes]:
    paths = sorted(
        p
        for folder in ("feeds", "feedparser-tests")
        for p in (CORPUS / folder).rglob("*")
        if p.is_file() and 0 < p.stat().st_size <= SEED_LIMIT
    )
    # Every 10th file: all formats and folders, a size that keeps each example fast.
    return [p.read_bytes() for p in paths[::10]]


SEEDS = seed_files()


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        operation = draw(st.sampled_from(["flip", "truncate", "splice", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif operation == "truncate":
            del data[at:]
        elif operation == "splice":
            other = draw(st.sampled_from(SEEDS))
            data[at:] = other[draw(st.integers(0, max(len(other) - 1, 0))) :]
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(max_size=16))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def through_the_pipeline(body: bytes, content_type: str | None) -> None:
    fuzzed["inputs"] += 1
    feed_url = "http://127.0.0.1:8/feed.xml"
    try:
        parsed = parse_feed(body, url=feed_url, content_type=content_type)
    except ParseError:
        return
    fuzzed["parsed"] += 1
    for entry in parsed.entries:
        fuzzed["entries"] += 1
        identity = identify(feed_url=feed_url, guid=entry.guid, link=entry.link, title=entry.title)
        text = "\n\n".join(p for p in (entry.summary, entry.content) if p)
        fingerprint(entry.title, text)
        RULES.match(
            Document(
                title=entry.title,
                text=text,
                author=entry.author or "",
                feed="Fuzzed",
                feed_url=feed_url,
                url=identity.link or identity.url,
                lang=entry.language or "",
            )
        )


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=mutated_feeds(), content_type=st.sampled_from(CONTENT_TYPES))
def test_mutated_corpus_feeds_raise_nothing_but_parse_error(
    body: bytes, content_type: str | None
) -> None:
    through_the_pipeline(body, content_type)


@pytest.mark.slow
@settings(
    max_examples=20_000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(body=mutated_feeds(), content_type=st.sampled_from(CONTENT_TYPES))
def test_mutated_corpus_feeds_long_run(body: bytes, content_type: str | None) -> None:
    through_the_pipeline(body, content_type)


CLOSE_TAG_NEVER_OPENED = (
    b'<rss version="2.0" xmlns:creativeCommons="http://backend.userland.com/creativeCommonsRssModule">'
    b"<channel><title>t</title><description<!-- -->"
    b"<item><creativeCommons:license>http://example.org/l</creativeCommons:license>"
    b"<link>http://example.com/</link></item></channel></rss>"
)


@pytest.mark.parametrize("body", [CLOSE_TAG_NEVER_OPENED, CLOSE_TAG_NEVER_OPENED[:-20]])
def test_feedparser_crashing_on_a_feed_is_a_parse_error(body: bytes) -> None:
    # Found by the long fuzz run: feedparser's creativeCommons handler raised KeyError.
    through_the_pipeline(body, None)


def test_zz_report_how_many_inputs_were_fuzzed() -> None:
    # Runs after the fuzz tests in file order; the figure goes to the report.
    print(f"fuzzed {fuzzed}")
    assert fuzzed["inputs"] == 0 or fuzzed["parsed"] > 0
