"""The command line as a user drives it: exit codes, one-line errors, masked secrets, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import REPO, Clock, FeedServer, now_utc, rss, write_config


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=cwd,
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def config(tmp_path: Path, url: str = "https://example.org/rss.xml", extra: str = "") -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {url}
            name: Desk
            tags: [central-asia]
        rules:
          - name: Rogun
            query: 'Rogun OR Рогун*'
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", channels: [hook, console]}}
        channels:
          console: {{type: console}}
          hook: {{type: webhook, url: "https://hooks.example.org/T0/${{HOOK_TOKEN}}", secret: "${{HOOK_SECRET}}"}}
        {extra}
        """,
    )


SECRETS = {
    "HOOK_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
    "HOOK_TOKEN": "tok-very-private",
}


def test_check_prints_the_config_with_secrets_masked(tmp_path) -> None:
    result = cli("check", "--config", str(config(tmp_path)), env=SECRETS)
    assert result.returncode == 0, result.stderr
    assert "Rogun -> daily" in result.stdout and "Desk" in result.stdout
    for secret in SECRETS.values():
        assert secret not in result.stdout + result.stderr


def test_check_reports_each_problem_on_one_line_and_exits_1(tmp_path) -> None:
    path = config(tmp_path)
    path.write_text(
        path.read_text().replace("digest: daily", "digest: dayly").replace("interval", "x")
    )
    result = cli("check", "--config", str(path), env=SECRETS)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{path}:9:13: rules[0].digest: unknown digest 'dayly' (known: daily)"
    ]


def test_config_can_come_from_the_environment(tmp_path) -> None:
    result = cli("check", env=SECRETS | {"NEWS_MONITOR_CONFIG": str(config(tmp_path))})
    assert result.returncode == 0 and "Desk" in result.stdout


def test_rules_test_json_explains_hits_with_offsets(tmp_path) -> None:
    # a query needs no config: run where none exists
    result = cli(
        "rules",
        "test",
        '"Rogun dam" NEAR/3 SCO',
        "--text",
        "The SCO heard that the Rogun dam grows.",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["matched"] is True
    text = "The SCO heard that the Rogun dam grows."
    assert {text[h["start"] : h["end"]] for h in answer["hits"]} == {"SCO", "Rogun dam"}
    assert {h["field"] for h in answer["hits"]} == {"text"}


def test_rules_test_by_rule_name_and_a_query_error_with_its_column(tmp_path) -> None:
    path = config(tmp_path)
    named = cli(
        "rules",
        "test",
        "Rogun",
        "--text",
        "Рогунская ГЭС",
        "--json",
        "--config",
        str(path),
        env=SECRETS,
    )
    assert json.loads(named.stdout)["matched"] is True
    bad = cli("rules", "test", "Rogun AND (dam", "--text", "x", "--config", str(path), env=SECRETS)
    assert bad.returncode == 1
    assert bad.stderr.startswith("query:1:")


def test_run_once_search_backtest_and_feeds(tmp_path, feeds: FeedServer) -> None:
    clock = Clock(now_utc())
    items = [
        {
            "title": "Dam talks",
            "link": "https://news.example.org/1",
            "description": "Talks on the Rogun dam.",
            "pubDate": clock.now - timedelta(hours=2),
        },
        {
            "title": "Other",
            "link": "https://news.example.org/2",
            "description": "Weather.",
            "pubDate": clock.now,
        },
    ]
    url = feeds.set("/feed.xml", rss(items))
    path = config(tmp_path, url)
    assert cli("run", "--once", "--config", str(path), env=SECRETS).returncode == 0

    found = cli("search", "Rogun", "--config", str(path), "--json", env=SECRETS)
    assert found.returncode == 0, found.stderr
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert [r["title"] for r in rows] == ["Dam talks"]

    backtest = cli("rules", "test", "Rogun", "--since", "30d", "--config", str(path), env=SECRETS)
    assert "Dam talks" in backtest.stdout and "1 article(s)" in backtest.stdout

    health = cli("feeds", "--config", str(path), env=SECRETS)
    assert health.returncode == 0
    line = next(line for line in health.stdout.splitlines() if line.startswith("Desk "))
    assert " ok " in line and " 2 " in line and " UTC " in line


def test_a_feed_that_fails_does_not_fail_run_once(tmp_path, feeds: FeedServer) -> None:
    url = feeds.fail("/gone.xml", 500)
    result = cli("run", "--once", "--config", str(config(tmp_path, url)), env=SECRETS)
    assert result.returncode == 0
    health = cli("feeds", "--config", str(config(tmp_path, url)), env=SECRETS)
    assert "HTTP 500" in health.stdout


def test_digest_preview_marks_nothing_and_unknown_names_are_errors(tmp_path) -> None:
    path = config(tmp_path)
    assert cli("digest", "preview", "daily", "--config", str(path), env=SECRETS).returncode == 0
    unknown = cli("digest", "preview", "weekly", "--config", str(path), env=SECRETS)
    assert unknown.returncode == 1 and "unknown digest 'weekly'" in unknown.stderr
    outbox = cli("deliveries", "--config", str(path), env=SECRETS)
    assert (
        outbox.returncode == 0 and len(outbox.stdout.strip().splitlines()) == 1
    )  # the header only


def test_search_with_a_bad_duration_is_bad_input(tmp_path) -> None:
    result = cli(
        "search", "Rogun", "--since", "lately", "--config", str(config(tmp_path)), env=SECRETS
    )
    assert result.returncode == 1 and "--since" in result.stderr
