"""Every feed file of the shared corpus: parse_feed raises nothing but ParseError, and where
the fast path accepts a feed it gives exactly the entries feedparser gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS

from monitor.errors import ParseError
from monitor.sources.entries import ParsedFeed
from monitor.sources.feed.fast import parse_fast
from monitor.sources.feed.parse import parse_feed, prepare_body
from monitor.sources.feed.reference import parse_with_feedparser

FOLDERS = ("feeds", "feedparser-tests")
URL = "https://feeds.example.org/feed.xml"
MAX_ENTRIES = 10_000

pytestmark = pytest.mark.skipif(not (CORPUS / "feeds").is_dir(), reason="shared corpus absent")


def _corpus_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (CORPUS / folder).rglob("*") if p.is_file())


def test_corpus_is_there() -> None:
    assert len(_corpus_files()) > 2000


def test_no_exception_but_parse_error_escapes() -> None:
    escaped: list[str] = []
    feeds = 0
    for path in _corpus_files():
        try:
            parsed = parse_feed(path.read_bytes(), url=URL)
        except ParseError:
            continue
        except Exception as exc:  # the sweep's purpose is to catch any other kind
            escaped.append(f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
            continue
        feeds += bool(parsed.entries)
    assert not escaped, "\n".join(escaped[:20])
    assert feeds > 1500  # nearly every real feed yields entries


def _fast_and_reference(path: Path) -> tuple[ParsedFeed, ParsedFeed] | None:
    try:
        data, content_type = prepare_body(path.read_bytes(), None)
    except ParseError:
        return None
    fast = parse_fast(data, url=URL, content_type=content_type, max_entries=MAX_ENTRIES)
    if fast is None:
        return None
    reference = parse_with_feedparser(
        data, url=URL, content_type=content_type, max_entries=MAX_ENTRIES
    )
    return fast, reference


def test_fast_path_agrees_with_feedparser_on_everything_it_accepts() -> None:
    disagreements: list[str] = []
    accepted = entries = 0
    for path in _corpus_files():
        pair = _fast_and_reference(path)
        if pair is None:
            continue
        fast, reference = pair
        accepted += 1
        entries += len(fast.entries)
        if fast.entries != reference.entries:
            diff = next(
                (
                    f"{a}\n  vs\n{b}"
                    for a, b in zip(fast.entries, reference.entries, strict=False)
                    if a != b
                ),
                f"{len(fast.entries)} entries vs {len(reference.entries)}",
            )
            disagreements.append(f"{path.relative_to(CORPUS)}: {diff}")
    assert not disagreements, "\n".join(disagreements[:10])
    # The fast path must carry the common case, not only toy files.
    assert accepted > 1000 and entries > 4000
