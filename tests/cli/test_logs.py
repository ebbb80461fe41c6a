"""`--log-json`: one JSON object per line on stderr, the feed or channel as a field of its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from conftest import REPO, FeedServer, rss, write_config

TOKEN = "T0ps3cr3tW3bh00kT0k3n"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWS_MONITOR_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_log_json_writes_one_object_per_line_with_feed_and_channel_fields(
    tmp_path: Path, feeds: FeedServer
) -> None:
    item = {"title": "Rogun dam", "link": "https://example.org/1", "description": "Rogun fills."}
    good = feeds.set("/asia.xml", rss([item]))
    broken = feeds.fail("/broken.xml", 503)
    config = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {good}
          - url: {broken}
        rules:
          - name: Rogun
            any: [Rogun]
            digest: now
        digests:
          now: {{schedule: instant, channels: [hook]}}
        channels:
          hook: {{type: webhook, url: "http://127.0.0.1:{closed_port()}/hooks/{TOKEN}"}}
        """,
    )
    # The first poll stores the backlog; the second brings a new item that matches and is sent.
    assert (
        run_cli("run", "--once", "--log-json", "--config", str(config), cwd=tmp_path).returncode
        == 0
    )
    item2 = {"title": "Rogun again", "link": "https://example.org/2", "description": "Rogun news."}
    feeds.set("/asia.xml", rss([item, item2]))
    result = run_cli("run", "--once", "--log-json", "--config", str(config), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # logs never go to stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= event.keys() for event in events)

    failed = [e for e in events if e.get("feed") == broken]
    assert failed and failed[0]["level"] == "warning" and "503" in failed[0]["message"]
    delivery = [e for e in events if e.get("channel") == "hook"]
    assert delivery, "the failed delivery names its channel"
    assert TOKEN not in result.stderr  # a webhook URL carries its token: never logged


def test_plain_logs_are_not_json(tmp_path: Path, feeds: FeedServer) -> None:
    broken = feeds.fail("/broken.xml", 503)
    config = write_config(
        tmp_path, f"database: {tmp_path / 'monitor.db'}\nfeeds:\n  - url: {broken}\n"
    )
    result = run_cli("run", "--once", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0
    line = next(line for line in result.stderr.splitlines() if broken in line)
    assert not line.startswith("{") and "feed=" + broken in line


def test_json_fields_stop_before_the_colon_that_ends_them(capsys) -> None:  # noqa: ANN001
    import logging

    from monitor.logs import setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging(json_lines=True)
        logging.getLogger("monitor.pipeline").info(
            "full text unavailable feed=%s link=%s: %s",
            "https://wire.example.org/feed.xml",
            "https://wire.example.org/story/1?a=b",
            "timeout: timed out",
        )
        logging.getLogger("monitor.delivery").info("sent digest=morning, channel=team")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["feed"] == "https://wire.example.org/feed.xml"
    assert first["link"] == "https://wire.example.org/story/1?a=b"
    assert (second["digest"], second["channel"]) == ("morning", "team")
