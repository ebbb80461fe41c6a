"""What a newcomer meets in the first hour: hints, one-line errors, read-only commands that need
no delivery secrets, times with their zone, durations echoed as written."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config

from monitor.cli import main


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
