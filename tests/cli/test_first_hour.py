"""What a newcomer meets in the first hour: hints, one-line errors, read-only commands that need
no delivery secrets, times with their zone, durations echoed as written."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import requests
from click.testing import CliRunner
from conftest import FeedServer, now_utc, rss, write_config

from monitor.cli import main
from monitor.config.load import load_config
from monitor.service.web.app import make_app
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database


def config(tmp_path: Path, extra: str = "") -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: https://example.org/central-asia/rss.xml
            name: Central Asia desk
        rules:
          - name: NATO
            query: 'NATO OR "North Atlantic Treaty"'
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", channels: [hook, archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}, keep: 90d}}
          hook: {{type: webhook, url: "https://hooks.example.org/news", secret: "${{WEBHOOK_SECRET}}", timeout: 10s}}
        {extra}
        """,
    )


def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201
    return CliRunner().invoke(main, list(args), env={"WEBHOOK_SECRET": None, **(env or {})})


def test_an_option_before_the_command_says_options_follow_the_command(tmp_path) -> None:
    result = invoke("--config", str(config(tmp_path)), "check")
    assert result.exit_code != 0
    assert "options follow the command: news-monitor check --config" in result.output


def test_read_only_commands_run_without_the_delivery_secrets(tmp_path) -> None:
    path = str(config(tmp_path))
    for args in (
        ["search", "NATO", "--config", path],
        ["feeds", "--config", path],
        ["rules", "test", "NATO", "--since", "7d", "--config", path],
        ["stats", "--config", path],
        ["digest", "preview", "daily", "--config", path],
        ["deliveries", "--config", path],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "WEBHOOK_SECRET" not in result.output


def test_commands_that_send_still_need_the_secret(tmp_path) -> None:
    result = invoke("digest", "send", "daily", "--config", str(config(tmp_path)))
    assert result.exit_code == 1
    assert "environment variable WEBHOOK_SECRET is not set" in result.output


def test_rules_test_on_a_name_that_is_no_rule_says_so_and_suggests_the_closest(tmp_path) -> None:
    result = invoke(
        "rules", "test", "Nato", "--text", "Nato said", "--config", str(config(tmp_path))
    )
    assert result.exit_code == 0, result.output
    assert "'Nato' is not a rule name: testing it as a query (did you mean the rule NATO?)" in (
        result.output
    )
    exact = invoke("rules", "test", "NATO", "--text", "NATO", "--config", str(config(tmp_path)))
    assert "not a rule name" not in exact.output


def test_feeds_shows_the_name_the_user_gave_and_times_with_their_zone(tmp_path) -> None:
    path = str(config(tmp_path))
    result = invoke("feeds", "--config", path)
    assert result.exit_code == 0, result.output
    assert "Central Asia desk" in result.output
    assert "https://example.org/central-asia/rss.xml" in result.output  # whole, not cut at 40


def test_check_echoes_durations_as_written(tmp_path) -> None:
    result = invoke("check", "--config", str(config(tmp_path)), env={"WEBHOOK_SECRET": "s3cret"})
    assert result.exit_code == 0, result.output
    assert '"keep": "90d"' in result.output and '"timeout": "10s"' in result.output
    assert "P90D" not in result.output and "s3cret" not in result.output
    # a webhook's host is shown (where digests go), its path, which may hold a token, is not
    assert '"url": "https://hooks.example.org/***"' in result.output


def test_a_busy_port_is_one_line_naming_the_address_and_the_setting(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = config(tmp_path, extra=f'web: {{listen: "127.0.0.1:{port}"}}')
        result = invoke("web", "--config", str(path))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: web.listen 127.0.0.1:{port}: cannot listen: address already in use"
    )


def test_an_opml_file_with_no_feeds_is_an_error_not_silence(tmp_path) -> None:
    cut = tmp_path / "cut.opml"
    cut.write_text('<opml version="2.0"><body><outline text="News" xmlUrl="https://ex')
    result = invoke("feeds", "import", str(cut))
    assert result.exit_code == 1
    assert f"{cut}: no feeds found" in result.output


def test_a_first_poll_says_it_stored_a_backlog_and_the_page_shows_what_matched_in_it(
    tmp_path, feeds: FeedServer
) -> None:
    now = now_utc()
    items = [
        {
            "title": f"NATO ministers meet ({n})",
            "link": f"https://news.example.org/{n}",
            "description": "NATO defence ministers met in Brussels.",
            "pubDate": now - timedelta(hours=n),
        }
        for n in range(1, 4)
    ]
    url = feeds.set("/feed.xml", rss(items))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}", name: Desk}}]
        rules: [{{name: NATO, query: NATO, digest: daily}}]
        digests: {{daily: {{schedule: "0 8 * * *", channels: [console]}}}}
        channels: {{console: {{type: console}}}}
        """,
    )
    run = invoke("run", "--once", "--config", str(path))
    assert run.exit_code == 0, run.output
    assert "stored 3 backlog article(s) of 1 new feed(s)" in run.output
    assert "rules test RULE --since 7d" in run.output

    preview = invoke("digest", "preview", "daily", "--config", str(path))
    assert "nothing waiting for digest daily" in preview.output
    assert "rules test RULE --since 7d" in preview.output

    config = load_config(path)
    server = WebServer(make_app(config, open_database(config.database)), "127.0.0.1", 0, token=None)
    server.start()
    try:
        page = requests.get(server.url, timeout=10).text
    finally:
        server.stop()
    assert "Matched before monitoring began, not alerted" in page
    assert "NATO ministers meet (1)" in page

    again = invoke("run", "--once", "--config", str(path))  # the second poll is no first poll
    assert "backlog" not in again.output


def test_search_since_counts_from_publication_and_lists_newest_first(
    tmp_path, feeds: FeedServer
) -> None:
    now = now_utc()
    dated = [("Rogun in 2017", now.replace(year=2017)), ("Rogun today", now - timedelta(hours=1))]
    dated.append(("Rogun yesterday", now - timedelta(days=1)))
    items = [
        {"title": t, "link": f"https://news.example.org/{i}", "description": t, "pubDate": d}
        for i, (t, d) in enumerate(dated)
    ]
    url = feeds.set("/feed.xml", rss(items))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}", name: Desk}}]
        """,
    )
    assert invoke("run", "--once", "--config", str(path)).exit_code == 0
    found = invoke("search", "Rogun", "--since", "7d", "--config", str(path))
    assert found.exit_code == 0, found.output
    titles = [line.split("  ", 1)[1] for line in found.output.splitlines() if " UTC  " in line]
    assert titles == ["Rogun today", "Rogun yesterday"]  # not the 2017 story first seen today
    assert "2 article(s), newest first" in found.output


def test_a_database_that_cannot_be_reached_or_opened_is_one_line_and_exit_2(tmp_path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once the socket is closed
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not a database")
    for database, says in (
        (f"postgresql://monitor@127.0.0.1:{port}/news", f"127.0.0.1:{port}/news: cannot connect"),
        (str(not_a_db), f"database {not_a_db}: cannot open: file is not a database"),
        ("/proc/no-such-dir/monitor.db", "cannot create its directory"),
    ):
        path = write_config(tmp_path, f"database: {database}\nfeeds: []\n")
        for args in (["run", "--once"], ["search", "Rogun"], ["feeds"]):
            result = invoke(*args, "--config", str(path))
            assert result.exit_code == 2, (database, args, result.output)
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert len(lines) == 1 and says in lines[0], (database, args, result.output)
            assert "Traceback" not in result.output
