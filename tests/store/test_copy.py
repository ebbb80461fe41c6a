"""`news-monitor db copy`: an SQLite archive moved into PostgreSQL, resumable, with its counts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import Clock, FeedServer, rss, write_config

from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.service.app import build_app, run_once
from monitor.service.explore import backtest, resolve_rule
from monitor.store.backend import open_database


def test_an_archive_moves_into_postgresql_and_a_second_copy_adds_nothing(
    tmp_path: Path, postgres_url: str, feeds: FeedServer, clock: Clock
) -> None:
    items = [
        {"title": f"Rogun dam {n}", "link": f"https://example.org/{n}", "description": "Rogun.", "pubDate": clock.now}
        for n in range(5)
    ]  # fmt: skip
    url = feeds.set("/a.xml", rss(items))
    body = f"""
        database: {{db}}
        allow_private_networks: true
        feeds:
          - url: {url}
        rules:
          - name: Rogun
            any: [Rogun]
            digest: daily
        digests:
          daily: {{{{schedule: "0 8 * * *", channels: [archive]}}}}
        channels:
          archive: {{{{type: file, path: {tmp_path / "digests"}}}}}
        """
    sqlite_file = tmp_path / "monitor.db"
    run_once(
        build_app(load_config(write_config(tmp_path, body.format(db=sqlite_file))), clock=clock)
    )
    first = CliRunner().invoke(main, ["db", "copy", str(sqlite_file), postgres_url])
    assert first.exit_code == 0, first.output
    assert "articles" in first.output and "copied:" in first.output
    again = CliRunner().invoke(main, ["db", "copy", str(sqlite_file), postgres_url])
    assert again.output == first.output  # resumable: nothing copied twice
    moved = open_database(postgres_url)
    assert moved.query("SELECT COUNT(*) FROM articles")[0][0] == 5
    assert moved.query("SELECT COUNT(*) FROM article_sources")[0][0] == 5
    assert moved.query("SELECT COUNT(*) FROM feeds WHERE etag IS NOT NULL")[0][0] == 1
    # the archive answers the same on both
    cfg_sqlite = load_config(write_config(tmp_path, body.format(db=sqlite_file), name="a.yaml"))
    cfg_pg = load_config(write_config(tmp_path, body.format(db=postgres_url), name="b.yaml"))
    rule = resolve_rule("Rogun", cfg_sqlite)
    found = [
        sorted(f.url for f in backtest(cfg, rule, since=timedelta(days=1), now=clock.now))
        for cfg in (cfg_sqlite, cfg_pg)
    ]
    assert found[0] == found[1] and len(found[0]) == 5
