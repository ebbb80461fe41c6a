"""Digest records: totals, rule names and the JSON round trip the outbox relies on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts.records import (
    Digest,
    DigestEntry,
    RuleSection,
    digest_from_json,
    digest_to_json,
)

GOLDEN = Path(__file__).resolve().parent / "golden"


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


def test_json_round_trip_rebuilds_an_equal_digest() -> None:
    digest = sample_digest()
    rebuilt = digest_from_json(digest_to_json(digest))
    assert rebuilt == digest
    assert rebuilt.sections[0].entries[0].highlights == ((15, 48), (80, 83))


def test_json_round_trip_keeps_the_instant_and_its_offset() -> None:
    published = datetime(2026, 11, 27, 23, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5)))
    entry = DigestEntry(title="t", url="u", source="s", published=published, snippet="")
    digest = Digest(
        id="x",
        name="n",
        created_at=datetime(2026, 11, 28, tzinfo=UTC),
        sections=(RuleSection(rule="r", entries=(entry,)),),
    )
    again = digest_from_json(digest_to_json(digest)).sections[0].entries[0].published
    assert again == published and again is not None and again.utcoffset() == timedelta(hours=5)


def test_totals_count_entries_left_out_by_max_items() -> None:
    digest = sample_digest()
    assert digest.total == 6
    assert digest.rule_names == ("SCO", "Rogun")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Digest(id="x", name="n", created_at=datetime(2026, 11, 28), sections=())
    stored = json.loads(digest_to_json(sample_digest()))
    stored["digest"]["created_at"] = "2026-11-28T03:00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        digest_from_json(json.dumps(stored))


@pytest.mark.parametrize(
    "text",
    ["", "{}", '{"version": 99, "digest": {}}', "[1, 2]", '{"version": 1, "digest": {"id": 1}}'],
)
def test_malformed_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        digest_from_json(text)


def test_records_are_frozen() -> None:
    digest = sample_digest()
    with pytest.raises(AttributeError):
        digest.name = "other"  # type: ignore[misc]
