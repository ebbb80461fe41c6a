"""The file channel's directory keeps `keep` of digests (default 90 days), and nothing else goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from alerts.channels import ChannelSettings, make_channel
from alerts.records import Digest, RuleSection

SETTINGS = TypeAdapter(ChannelSettings)
START = datetime(2026, 1, 1, 8, tzinfo=UTC)


def channel(settings: dict[str, Any]) -> Any:
    return make_channel("archive", SETTINGS.validate_python(settings))


def digest(day: int) -> Digest:
    return Digest(
        id=f"run-{day}",
        name="daily",
        created_at=START + timedelta(days=day),
        sections=(RuleSection(rule="SCO", entries=()),),
    )


def days_kept(folder: Path) -> list[str]:
    return sorted({p.name.split("-")[1][:8] for p in folder.glob("daily-*.txt")})


def test_digests_older_than_90_days_are_removed_by_default(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    archive = channel({"type": "file", "path": str(folder)})
    folder.mkdir()
    (folder / "notes.txt").write_text("the operator's own file")
    for day in range(0, 120, 10):
        archive.send(digest(day), f"d{day}")

    newest = START + timedelta(days=110)
    assert days_kept(folder)[0] == (newest - timedelta(days=90)).strftime("%Y%m%d")
    assert len(days_kept(folder)) == 10  # days 20..110
    assert (folder / "notes.txt").exists()
    assert len(list(folder.glob("*.html"))) == 10


def test_keep_forever_and_a_shorter_keep(tmp_path: Path) -> None:
    forever = channel({"type": "file", "path": str(tmp_path / "all"), "keep": "forever"})
    week = channel({"type": "file", "path": str(tmp_path / "week"), "keep": "1w"})
    for day in range(30):
        forever.send(digest(day), f"d{day}")
        week.send(digest(day), f"d{day}")
    assert len(days_kept(tmp_path / "all")) == 30
    assert len(days_kept(tmp_path / "week")) == 8  # the newest and the 7 days before it


def test_a_keep_that_is_no_duration_is_refused() -> None:
    with pytest.raises(ValidationError, match="expected a duration like 90d"):
        channel({"type": "file", "path": "x", "keep": "soon"})
