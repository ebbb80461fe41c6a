"""`news-monitor prune` and `stats` on a real database file, through the installed command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import REPO, now_utc, write_config

from monitor.store.backend import open_database
from monitor.store.store import Store, StoredArticle


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=REPO,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def archive(tmp_path: Path) -> Path:
    """A config and a database holding 30 articles 200 days old and 5 from today."""
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: []
        retention: {{articles: 90d}}
        """,
    )
    store = Store(open_database(str(tmp_path / "monitor.db")))
    now = now_utc()
    for age, count in ((timedelta(days=200), 30), (timedelta(0), 5)):
        seen = now - age
        store.save_articles(
            "https://example.org/feed",
            [
                StoredArticle(
                    id=f"a-{age.days}-{n}",
                    url=f"https://example.org/{age.days}/{n}",
                    link=f"https://example.org/{age.days}/{n}",
                    guid=f"{age.days}-{n}",
                    feed="https://example.org/feed",
                    title=f"Story {n}",
                    summary="A summary",
                    text="Words " * 200,
                    author=None,
                    language=None,
                    published=seen,
                    first_seen=seen,
                )
                for n in range(count)
            ],
            [],
            {},
            seen,
        )
    store.index_new_articles()
    return path


def rows_of(output: str, kind: str) -> int:
    line = next(line for line in output.splitlines() if line.split()[:1] == [kind])
    return int(line.split()[1].replace(",", ""))


def test_prune_dry_run_counts_then_prune_removes_and_says_what_it_gave_back(
    tmp_path: Path,
) -> None:
    path = archive(tmp_path)

    dry = cli("prune", "--dry-run", "--config", str(path))
    assert dry.returncode == 0, dry.stderr
    assert rows_of(dry.stdout, "articles") == 30 and rows_of(dry.stdout, "sources") == 30
    assert "would go" in dry.stdout

    done = cli("prune", "--config", str(path))
    assert done.returncode == 0, done.stderr
    assert rows_of(done.stdout, "articles") == 30
    assert "given back" in done.stdout and "tombstones left for pruned items: 60" in done.stdout

    again = cli("prune", "--config", str(path))
    assert rows_of(again.stdout, "articles") == 0


def test_stats_prints_size_rows_oldest_article_and_articles_per_day(tmp_path: Path) -> None:
    path = archive(tmp_path)

    result = cli("stats", "--config", str(path))

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "on disk" in out
    assert rows_of(out.split("rows:")[1], "articles") == 35
    oldest = (now_utc() - timedelta(days=200)).date().isoformat()
    assert f"oldest article: {oldest}" in out
    today = now_utc().date().isoformat()
    assert any(line.split() == [today, "5"] for line in out.splitlines())
    assert len(out.split("articles per day:")[1].strip().splitlines()) == 7
