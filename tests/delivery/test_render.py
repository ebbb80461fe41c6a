"""Rendering digests for people: golden text and HTML, escaping, highlights, subjects."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json
from alerts.render import highlight_segments, render_html, render_text, subject

GOLDEN = Path(__file__).resolve().parent / "golden"
# Set to regenerate the golden files after an intended change; review the diff before committing.
UPDATE = os.environ.get("NEWS_MONITOR_UPDATE_GOLDEN") == "1"


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


def entry(title: str = "Title", **changes: object) -> DigestEntry:
    base = DigestEntry(
        title=title,
        url="https://example.org/a",
        source="Feed",
        published=datetime(2026, 11, 28, 7, 0, tzinfo=UTC),
        snippet="snippet",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def digest_of(*sections: RuleSection, name: str = "daily") -> Digest:
    return Digest(
        id="d1", name=name, created_at=datetime(2026, 11, 28, 8, tzinfo=UTC), sections=sections
    )


@pytest.mark.parametrize(
    ("golden", "render"), [("digest.txt", render_text), ("digest.html", render_html)]
)
def test_render_matches_golden_file(golden: str, render: object) -> None:
    rendered = render(sample_digest())  # type: ignore[operator]
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.marks: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self._in_mark = False if tag == "mark" else self._in_mark

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marks.append(data)


def parsed_html(digest: Digest) -> _Collector:
    collector = _Collector()
    collector.feed(render_html(digest))
    return collector


def test_html_keeps_hostile_feed_text_as_text() -> None:
    html = render_html(sample_digest())
    page = parsed_html(sample_digest())
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt; SCO ministers meet" in html
    assert "onmouseover" not in " ".join(page.tags)


def test_html_links_only_web_urls() -> None:
    page = parsed_html(sample_digest())
    assert page.hrefs, "the digest's web links must be clickable"
    assert all(href.startswith(("https://", "http://")) for href in page.hrefs)
    assert not any("javascript" in href for href in page.hrefs)
    # The quote in the hostile URL stays inside the attribute value.
    assert 'https://example.org/rogun?a=1&b="onmouseover=alert(1)' in page.hrefs


def test_html_highlights_matched_terms_and_counts_the_rest() -> None:
    html = render_html(sample_digest())
    assert parsed_html(sample_digest()).marks == [
        "Shanghai Cooperation Organization",
        "SCO",
        "SCO",
        "SCO",
        "Рогунской",
        "Rogun",
    ]
    assert "Also reported by Eurasianet, RFE/RL Tajik" in html
    assert "and 2 more for SCO" in html
    assert "NATO" not in html, "a rule without matches gets no empty section"


def test_text_title_with_line_break_stays_on_its_line() -> None:
    lines = render_text(sample_digest()).splitlines()
    assert "* Rogun dam: third turbine online Bcc: victim@example.org" in lines
    assert not any(line.startswith("Bcc:") for line in lines)
    assert not any("\x1b" in line for line in lines)


def test_text_shows_sources_times_in_utc_and_links() -> None:
    text = render_text(sample_digest())
    # Published 23:30 at UTC+5 is shown as 18:30 UTC.
    assert "  Central Asia desk | 2026-11-27 18:30 UTC" in text
    assert "  https://news.example.org/2026/11/sco-summit?id=7&lang=en" in text
    assert "javascript:" not in text


def test_subject_names_digest_count_and_rules() -> None:
    assert subject(sample_digest()) == "[news-monitor] daily: 6 new for SCO, Rogun"


def test_subject_never_has_line_breaks() -> None:
    digest = digest_of(
        RuleSection(rule="SCO\r\nBcc: x@example.org", entries=(entry(),)),
        name="dai\nly\u2028",
    )
    line = subject(digest)
    assert line.splitlines() == [line]
    assert line == "[news-monitor] dai ly: 1 new for SCO Bcc: x@example.org"


def test_subject_of_an_empty_digest() -> None:
    assert subject(digest_of()) == "[news-monitor] daily: nothing new"


def test_subject_shortens_a_long_rule_list() -> None:
    sections = tuple(RuleSection(rule=f"Rule number {n}", entries=(entry(),)) for n in range(30))
    line = subject(digest_of(*sections))
    assert line.startswith("[news-monitor] daily: 30 new for Rule number 0, Rule number 1")
    assert line.endswith(" more")
    assert len(line) <= 200


def test_empty_digest_renders_a_nothing_new_message() -> None:
    assert "Nothing new" in render_text(digest_of())
    assert "Nothing new" in render_html(digest_of())


@pytest.mark.parametrize(
    ("snippet", "spans", "expected"),
    [
        ("a SCO b", ((2, 5),), (("a ", False), ("SCO", True), (" b", False))),
        ("SCO", ((0, 3),), (("SCO", True),)),
        ("abcdef", ((1, 3), (2, 5)), (("a", False), ("bcde", True), ("f", False))),
        ("abc", ((2, 1), (-5, 1), (2, 99)), (("a", True), ("b", False), ("c", True))),
        ("abc", ((10, 20),), (("abc", False),)),
        ("  a\n\n b  ", ((3, 7),), (("a", False), (" b", True))),
        ("", ((0, 1),), ()),
    ],
)
def test_highlight_segments(
    snippet: str, spans: tuple[tuple[int, int], ...], expected: tuple[tuple[str, bool], ...]
) -> None:
    assert highlight_segments(snippet, spans) == expected


def test_times_are_shown_in_the_digests_timezone_as_the_page_shows_them() -> None:
    section = RuleSection(rule="Rogun", entries=(entry(),))
    local = replace(digest_of(section), timezone="Asia/Dushanbe")
    text, html = render_text(local), render_html(local)
    # 07:00 UTC published, 08:00 UTC created: 12:00 and 13:00 in Dushanbe (UTC+5)
    assert "2026-11-28 12:00 +05" in text and "2026-11-28 13:00 +05" in text
    assert "2026-11-28 12:00 +05" in html and "UTC" not in text
    assert "2026-11-28 07:00 UTC" in render_text(digest_of(section))  # the default zone
