"""`news-monitor web` alone over a database, and `news-monitor run` serving the page beside the
service, as real processes on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import REPO, now_utc
from servers import free_port
from web_world import Item, store_items, world_config

TOKEN = "s3cret-web-token-for-tests"


@contextmanager
def started(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=REPO,
        env=os.environ | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_up(url: str, process: subprocess.Popen[str]) -> requests.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_web_serves_the_page_alone_over_the_database(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    store_items(config, [Item(id="r1", title="Rogun news", summary="Rogun dam.")], now=now_utc())
    port = free_port()
    with started("web", "--config", config.path, "--listen", f"127.0.0.1:{port}") as process:
        response = wait_up(f"http://127.0.0.1:{port}/", process)
        assert response.status_code == 200
        assert "Rogun news" in response.text


def test_web_refuses_to_serve_other_machines_without_a_token(tmp_path: Path) -> None:
    config = world_config(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "web",
            "--config",
            config.path,
            "--listen",
            f"0.0.0.0:{free_port()}",
        ],  # fmt: skip
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "refusing to serve 0.0.0.0 without a token" in done.stderr


def test_run_serves_the_page_beside_the_service_behind_its_token(tmp_path: Path) -> None:
    port = free_port()
    config = world_config(
        tmp_path,
        web=f'web: {{listen: "127.0.0.1:{port}", token: "${{NEWS_MONITOR_WEB_TOKEN:-}}"}}',
    )
    store_items(config, [Item(id="r1", title="Rogun news", summary="Rogun dam.")], now=now_utc())
    env = {"NEWS_MONITOR_WEB_TOKEN": TOKEN}
    with started("run", "--config", config.path, env=env) as process:
        base = f"http://127.0.0.1:{port}"
        assert wait_up(base + "/", process).status_code == 401
        page = requests.get(base + "/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert page.status_code == 200 and "Rogun news" in page.text
        assert requests.get(base + "/healthz", timeout=10).json()["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "web page listening on http://127.0.0.1" in stderr
    assert TOKEN not in stderr


def until(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"never: {what}")


def _as(base: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(base + "/", headers=headers, timeout=10).status_code


NEW_TOKEN = "the-replacement-token-after-a-leak"
TOKENS = {"NEWS_MONITOR_WEB_TOKEN": TOKEN, "NEWS_MONITOR_NEW_TOKEN": NEW_TOKEN}


def _swap_token(config_path: str) -> None:
    path = Path(config_path)
    path.write_text(path.read_text().replace("NEWS_MONITOR_WEB_TOKEN", "NEWS_MONITOR_NEW_TOKEN"))


@pytest.mark.parametrize("command", ["web", "run"])
def test_sighup_takes_a_new_token_and_refuses_the_old(tmp_path: Path, command: str) -> None:
    # `web` alone re-reads its config; `run` reloads the service's, which the page then reads.
    port = free_port()
    config = world_config(
        tmp_path,
        web=f'web: {{listen: "127.0.0.1:{port}", token: "${{NEWS_MONITOR_WEB_TOKEN:-}}"}}',
    )
    store_items(config, [Item(id="r1", title="Rogun news", summary="Rogun dam.")], now=now_utc())
    base = f"http://127.0.0.1:{port}"
    with started(command, "--config", config.path, env=TOKENS) as process:
        wait_up(base + "/healthz", process)
        assert _as(base, TOKEN) == 200
        _swap_token(config.path)
        process.send_signal(signal.SIGHUP)
        until(lambda: _as(base, TOKEN) == 401, "the old token refused")
        assert _as(base, NEW_TOKEN) == 200
