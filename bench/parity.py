"""Fast path against feedparser over the shared corpus: agreement per entry, and speed.

    python -m bench.parity [--show N]

Every file under corpus/feeds and corpus/feedparser-tests is prepared once, then read by the
fast path and by feedparser. For each file the fast path accepts, its entries are compared
field by field with feedparser's; disagreements are listed. Speeds are reported per path over
the files the fast path accepted, in feeds/s and MB/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from monitor.errors import ParseError
from monitor.sources.entries import Entry, ParsedFeed
from monitor.sources.feed.fast import read_fast
from monitor.sources.feed.fields import Declined
from monitor.sources.feed.parse import parse_feed, prepare_body
from monitor.sources.feed.reference import parse_with_feedparser

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FOLDERS = ("feeds", "feedparser-tests")
FEED_URL = "https://feeds.example.org/feed.xml"
MAX_ENTRIES = 10_000
# The fields a parity failure is declared on; the rest are reported but informative.
CORE_FIELDS = ("guid", "link", "title", "published", "summary")


@dataclass(slots=True)
class Tally:
    files: int = 0
    accepted: int = 0
    declined: int = 0
    not_feeds: int = 0
    entries_compared: int = 0
    entries_agreeing: int = 0
    field_disagreements: Counter[str] = field(default_factory=Counter)
    decline_reasons: Counter[str] = field(default_factory=Counter)
    disagreements: list[str] = field(default_factory=list)
    fast_seconds: float = 0.0
    reference_seconds: float = 0.0
    accepted_bytes: int = 0


def corpus_files(root: Path = CORPUS, folders: tuple[str, ...] = FOLDERS) -> list[Path]:
    """Every file in the feed folders of the corpus, in a stable order."""
    return sorted(p for folder in folders for p in (root / folder).rglob("*") if p.is_file())


def differing_fields(fast: Entry, reference: Entry) -> list[str]:
    """Names of the Entry fields on which two parses of one item disagree."""
    return [f.name for f in fields(Entry) if getattr(fast, f.name) != getattr(reference, f.name)]


def compare(fast: ParsedFeed, reference: ParsedFeed) -> list[tuple[int, str, object, object]]:
    """(entry index, field, fast value, feedparser value) for each disagreement."""
    if len(fast.entries) != len(reference.entries):
        return [(-1, "entry count", len(fast.entries), len(reference.entries))]
    problems: list[tuple[int, str, object, object]] = []
    for index, (ours, theirs) in enumerate(zip(fast.entries, reference.entries, strict=True)):
        for name in differing_fields(ours, theirs):
            problems.append((index, name, getattr(ours, name), getattr(theirs, name)))
    for name in ("title", "link", "language", "ttl"):
        if getattr(fast, name) != getattr(reference, name):
            problems.append((-1, f"feed.{name}", getattr(fast, name), getattr(reference, name)))
    return problems


def run(files: list[Path]) -> Tally:
    tally = Tally()
    for path in files:
        tally.files += 1
        body = path.read_bytes()
        try:
            data, content_type = prepare_body(body, None)
        except ParseError:
            tally.not_feeds += 1
            continue
        started = time.perf_counter()
        try:
            fast = read_fast(data, url=FEED_URL, content_type=content_type, max_entries=MAX_ENTRIES)
        except Declined as reason:
            tally.declined += 1
            tally.decline_reasons[_reason_kind(str(reason))] += 1
            continue
        fast_seconds = time.perf_counter() - started
        started = time.perf_counter()
        try:
            reference = parse_with_feedparser(
                data, url=FEED_URL, content_type=content_type, max_entries=MAX_ENTRIES
            )
        except ParseError as exc:
            tally.disagreements.append(f"{_name(path)}: fast path accepted, feedparser: {exc}")
            continue
        tally.reference_seconds += time.perf_counter() - started
        tally.fast_seconds += fast_seconds
        tally.accepted += 1
        tally.accepted_bytes += len(data)
        _record(tally, path, fast, reference)
    return tally


def _record(tally: Tally, path: Path, fast: ParsedFeed, reference: ParsedFeed) -> None:
    problems = compare(fast, reference)
    bad_entries = {index for index, name, _, _ in problems if index >= 0 and name in CORE_FIELDS}
    if len(fast.entries) == len(reference.entries):
        tally.entries_compared += len(fast.entries)
        tally.entries_agreeing += len(fast.entries) - len(bad_entries)
    for index, name, ours, theirs in problems:
        tally.field_disagreements[name] += 1
        tally.disagreements.append(
            f"{_name(path)} [{index}] {name}: fast={_short(ours)} feedparser={_short(theirs)}"
        )


def whole_path_speed(files: list[Path]) -> tuple[float, float, int]:
    """parse_feed as the service calls it, over every file: seconds, MB, ParseErrors."""
    started, size, failures = time.perf_counter(), 0, 0
    for path in files:
        body = path.read_bytes()
        size += len(body)
        try:
            parse_feed(body, url=FEED_URL)
        except ParseError:
            failures += 1
    return time.perf_counter() - started, size / 1e6, failures


def _reason_kind(reason: str) -> str:
    return reason if len(reason) < 60 else reason[:57] + "..."


def _name(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def _short(value: object, width: int = 90) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def report(tally: Tally, show: int) -> str:
    megabytes = tally.accepted_bytes / 1e6
    agree = tally.entries_agreeing / tally.entries_compared if tally.entries_compared else 1.0
    lines = [
        f"files: {tally.files}  fast path accepted: {tally.accepted}  declined (to feedparser): "
        f"{tally.declined}  not feeds: {tally.not_feeds}",
        f"entries compared: {tally.entries_compared}  agreeing on {', '.join(CORE_FIELDS)}: "
        f"{tally.entries_agreeing} ({agree:.2%})",
        f"disagreements by field: {dict(tally.field_disagreements) or 'none'}",
        f"declined because: {dict(tally.decline_reasons.most_common(15))}",
    ]
    for label, seconds in (
        ("fast path ", tally.fast_seconds),
        ("feedparser", tally.reference_seconds),
    ):
        if seconds:
            lines.append(
                f"{label} over the accepted files: {tally.accepted / seconds:8.1f} feeds/s "
                f"{megabytes / seconds:6.2f} MB/s"
            )
    lines.extend(tally.disagreements[:show])
    if len(tally.disagreements) > show:
        lines.append(f"... and {len(tally.disagreements) - show} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--show", type=int, default=40, help="disagreements to list")
    options.add_argument("--field", help="list only disagreements on this field")
    options.add_argument("--folder", action="append", help="only these corpus folders")
    options.add_argument("--whole", action="store_true", help="also time parse_feed end to end")
    args = options.parse_args(argv)
    files = corpus_files(folders=tuple(args.folder or FOLDERS))
    tally = run(files)
    if args.field:
        tally.disagreements = [d for d in tally.disagreements if f"] {args.field}:" in d]
    sys.stdout.write(report(tally, args.show) + "\n")
    if args.whole:
        seconds, megabytes, failures = whole_path_speed(files)
        sys.stdout.write(
            f"parse_feed over all {len(files)} files: {len(files) / seconds:.1f} files/s "
            f"{megabytes / seconds:.2f} MB/s, {failures} ParseError\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
