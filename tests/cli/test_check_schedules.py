"""`check` says what a cron schedule means: a macro's fields, day of month OR day of week when
both are given, the next run in the digest's timezone; and refuses what never runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, write_config


def check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def config(tmp_path: Path, digests: str) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "m.db"}
        feeds:
          - url: https://example.org/rss.xml
        channels:
          out: {{type: file, path: {tmp_path / "out"}}}
        digests:
{digests}
        rules:
          - {{name: r, query: Rogun, digest: first}}
        """,
    )


def test_check_says_what_each_schedule_means(tmp_path: Path) -> None:
    done = check(
        config(
            tmp_path,
            """\
          first: {schedule: "0 0 1 * 1", timezone: Europe/London, channels: [out]}
          second: {schedule: "@weekly", timezone: Asia/Dushanbe, channels: [out]}
          third: {schedule: "30 8 * * sat-sun", channels: [out]}""",
        )
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split(":")[0].strip(): line for line in done.stdout.splitlines()}
    assert "(day of month 1 or day of week 1: either fires)" in lines["first"]
    assert "= 0 0 * * 0" in lines["second"] and " +05" in lines["second"]
    assert "either" not in lines["third"] and "next " in lines["third"]
    assert all(" 00:00 " in lines[name] for name in ("first", "second"))


def test_check_refuses_a_schedule_with_no_time_to_run(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """\
          first: {schedule: "@reboot", channels: [out]}
          second: {schedule: "0 0 30 2 *", channels: [out]}""",
    )
    done = check(path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{path}:7:21: digests.first.schedule: expected 'instant' or a cron expression like "
        "'0 8 * * *': @reboot runs once at start-up and has no time a digest could be sent at; "
        "write a schedule such as @daily or '0 8 * * *'",
        f"{path}:8:22: digests.second.schedule: expected 'instant' or a cron expression like "
        "'0 8 * * *': no month it names has the day of the month it names",
    ]
