"""A feature whose optional dependency is not installed: one line saying what to install, from
`check` (exit 1, with where the config asks for it) and from every command that needs it
(exit 2), never a traceback. psycopg is hidden from a real run of the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write_config

INSTALL = "a postgresql:// database needs psycopg, which is not installed: pip install 'news-monitor[postgres]'"
# The command line as installed, with psycopg made unimportable (as if the extra were absent).
WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; sys.argv[0] = 'news-monitor'; "
    "from monitor.cli import main; main()"
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def postgres_config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        f"""
        feeds:
          - url: https://example.org/rss.xml
        database: postgresql://alerts@127.0.0.1:9/archive
        channels:
          out: {{type: file, path: {tmp_path / "out"}}}
        digests:
          daily: {{schedule: "0 8 * * *", channels: [out]}}
        rules:
          - {{name: Rogun, query: Rogun, digest: daily}}
        """,
    )


def test_check_names_the_extra_and_where_the_config_needs_it(postgres_config: Path) -> None:
    done = cli("check", "--config", str(postgres_config))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"{postgres_config}:3:11: database: {INSTALL}"]
    assert done.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--once"],
        ["feeds"],
        ["search", "Rogun"],
        ["rules", "test", "Rogun", "--since", "30d"],
        ["digest", "preview", "daily"],
        ["digest", "send", "daily"],
        ["deliveries"],
        ["stats"],
        ["prune"],
    ],
)
def test_every_command_that_opens_the_database_says_what_to_install(
    postgres_config: Path, command: list[str]
) -> None:
    done = cli(*command, "--config", str(postgres_config))
    assert (done.returncode, done.stderr.splitlines()) == (2, [f"error: {INSTALL}"])


def test_copying_into_postgresql_says_what_to_install(tmp_path: Path) -> None:
    archive = tmp_path / "monitor.db"
    archive.write_bytes(b"")
    done = cli("db", "copy", str(archive), "postgresql://alerts@127.0.0.1:9/archive")
    assert (done.returncode, done.stderr.splitlines()) == (2, [f"error: {INSTALL}"])


def test_with_the_extra_installed_check_does_not_ask_for_it(postgres_config: Path) -> None:
    pytest.importorskip("psycopg")
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--config", str(postgres_config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "pip install" not in done.stdout + done.stderr
