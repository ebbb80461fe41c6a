"""Channels without a server: console, file and atom; and the registry the config builds from."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from pydantic import TypeAdapter, ValidationError

from alerts.channels import (
    CHANNELS,
    AtomChannel,
    ChannelSettings,
    ConsoleChannel,
    ConsoleSettings,
    FileChannel,
    make_channel,
)
from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json
from alerts.render import render_html, render_text

GOLDEN = Path(__file__).resolve().parent / "golden"
ATOM = "{http://www.w3.org/2005/Atom}"
SETTINGS = TypeAdapter(ChannelSettings)


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


def article(n: int, *, title: str | None = None, hours: int = 0) -> DigestEntry:
    return DigestEntry(
        title=title or f"Story {n}",
        url=f"https://example.org/story/{n}",
        source="Desk",
        published=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n + hours),
        snippet=f"About the SCO, story {n}.",
        matched_terms=("SCO",),
    )


def digest_with(*entries: DigestEntry, rule: str = "SCO", digest_id: str = "d") -> Digest:
    return Digest(
        id=digest_id,
        name="daily",
        created_at=datetime(2026, 11, 28, tzinfo=UTC),
        sections=(RuleSection(rule=rule, entries=entries),),
    )


def channel(settings: dict[str, Any]) -> Any:
    return make_channel("test", SETTINGS.validate_python(settings))


def test_registry_covers_every_configurable_type() -> None:
    assert set(CHANNELS) == {"email", "webhook", "console", "file", "atom", "apprise"}
    assert isinstance(channel({"type": "console"}), ConsoleChannel)
    assert isinstance(channel({"type": "file", "path": "x"}), FileChannel)
    assert isinstance(channel({"type": "atom", "path": "x"}), AtomChannel)
    with pytest.raises(ValidationError, match="emial"):
        SETTINGS.validate_python({"type": "emial"})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SETTINGS.validate_python({"type": "console", "colour": True})


def test_console_prints_the_text_digest() -> None:
    stream = io.StringIO()
    ConsoleChannel("console", ConsoleSettings(type="console"), stream=stream).send(
        sample_digest(), "dlv-1"
    )
    assert stream.getvalue() == render_text(sample_digest()) + "\n"


def test_console_defaults_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    channel({"type": "console"}).send(sample_digest(), "dlv-1")
    assert "[news-monitor] daily: 6 new for SCO, Rogun" in capsys.readouterr().out


def test_file_channel_keeps_html_and_text_per_digest(tmp_path: Path) -> None:
    archive = channel({"type": "file", "path": str(tmp_path / "digests")})
    archive.send(sample_digest(), "dlv-1")
    archive.send(sample_digest(), "dlv-1")  # a resend overwrites, it does not duplicate
    stem = "daily-20261128T030000Z-run-2026-11-28-daily"
    files = sorted(p.name for p in (tmp_path / "digests").iterdir())
    assert files == [f"{stem}.html", f"{stem}.txt"]
    folder = tmp_path / "digests"
    assert (folder / f"{stem}.txt").read_text(encoding="utf-8") == render_text(sample_digest())
    assert (folder / f"{stem}.html").read_text(encoding="utf-8") == render_html(sample_digest())


def test_file_names_cannot_escape_the_directory(tmp_path: Path) -> None:
    hostile = Digest(
        id="../../etc/passwd", name="../x", created_at=datetime(2026, 11, 28, tzinfo=UTC)
    )
    channel({"type": "file", "path": str(tmp_path / "d")}).send(hostile, "dlv-1")
    assert [p.parent for p in tmp_path.rglob("*.txt")] == [tmp_path / "d"]


def test_unwritable_file_path_is_a_delivery_error(tmp_path: Path) -> None:
    (tmp_path / "occupied").write_text("a file, not a directory")
    with pytest.raises(Exception, match="cannot write") as failed:
        channel({"type": "file", "path": str(tmp_path / "occupied")}).send(sample_digest(), "d")
    assert type(failed.value).__name__ == "DeliveryError"


def read_feed(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def titles(path: Path) -> list[str]:
    return [e.findtext(f"{ATOM}title", "") for e in read_feed(path).iter(f"{ATOM}entry")]


def test_atom_feed_per_rule_is_readable_by_a_feed_reader(tmp_path: Path) -> None:
    channel({"type": "atom", "path": str(tmp_path)}).send(sample_digest(), "dlv-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rogun.xml", "sco.xml"]
    parsed = feedparser.parse((tmp_path / "sco.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    by_title = {entry.title: entry for entry in parsed.entries}
    hostile = by_title["<script>alert(1)</script> SCO ministers meet"]
    assert hostile.get("links", []) == []
    escaped = (tmp_path / "sco.xml").read_text(encoding="utf-8")
    assert "javascript:" not in escaped  # a javascript: URL is no link
    assert "&lt;script&gt;" in escaped and "\x1b" not in escaped
    assert by_title["Rogun dam: third turbine online Bcc: victim@example.org"]
    summit = by_title["SCO summit in Astana ends with a water pact"]
    assert summit.link == "https://news.example.org/2026/11/sco-summit?id=7&lang=en"
    assert summit.author == "Central Asia desk"
    assert "Also reported by: Eurasianet, RFE/RL Tajik" in summit.summary


def test_atom_merges_with_the_file_already_there(tmp_path: Path) -> None:
    feed = channel({"type": "atom", "path": str(tmp_path)})
    feed.send(digest_with(article(1), article(2)), "dlv-1")
    feed.send(digest_with(article(2, title="Story 2, updated"), article(3)), "dlv-2")
    assert titles(tmp_path / "sco.xml") == ["Story 3", "Story 2, updated", "Story 1"]
    ids = [e.findtext(f"{ATOM}id") for e in read_feed(tmp_path / "sco.xml").iter(f"{ATOM}entry")]
    assert len(set(ids)) == 3 and all(i and i.startswith("urn:uuid:") for i in ids)


def test_atom_keeps_the_newest_entries_only(tmp_path: Path) -> None:
    feed = channel({"type": "atom", "path": str(tmp_path)})
    feed.send(digest_with(*(article(n) for n in range(80))), "dlv-1")
    feed.send(digest_with(*(article(n) for n in range(80, 150))), "dlv-2")
    kept = titles(tmp_path / "sco.xml")
    assert len(kept) == 100
    assert kept[0] == "Story 149" and kept[-1] == "Story 50"


def test_atom_replaces_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "sco.xml").write_text("<feed><entry>half written")
    channel({"type": "atom", "path": str(tmp_path)}).send(digest_with(article(1)), "dlv-1")
    assert titles(tmp_path / "sco.xml") == ["Story 1"]


def test_atom_strips_characters_xml_cannot_hold(tmp_path: Path) -> None:
    odd = article(1, title="NUL\x00 and \x0bvertical tab \ufffe")
    channel({"type": "atom", "path": str(tmp_path)}).send(digest_with(odd), "dlv-1")
    assert titles(tmp_path / "sco.xml") == ["NUL and vertical tab"]
