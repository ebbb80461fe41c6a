"""The Dockerfile, compose example and systemd unit: what can be checked without a container engine,
and the image's own CMD and HEALTHCHECK run for real against a loopback feed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, FeedServer, rss, write_config
from ruamel.yaml import YAML

from monitor.config.load import load_config

BIN = Path(sys.executable).parent


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


def instruction(name: str) -> list[str]:
    return [args for inst, args in dockerfile() if inst == name]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Dockerfile ---------------------------------------------------------------------------------


def test_image_runs_as_a_non_root_user() -> None:
    users = instruction("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    # the user is set after every install step, so nothing runs as root at run time
    names = [inst for inst, _ in dockerfile()]
    assert max(i for i, n in enumerate(names) if n == "RUN") < names.index("USER")


def test_image_installs_without_dev_extras_and_keeps_state_in_data() -> None:
    installs = [run for run in instruction("RUN") if "pip install" in run]
    assert installs and all("[dev]" not in run and ".[" not in run for run in installs)
    assert instruction("FROM")[0].startswith("python:3.11-slim")
    assert "/data" in instruction("VOLUME")[0]
    assert instruction("WORKDIR")[-1] == "/data"
    assert any("NEWS_MONITOR_CONFIG=/config/monitor.yaml" in env for env in instruction("ENV"))
    assert json.loads(instruction("ENTRYPOINT")[0]) == ["news-monitor"]
    assert json.loads(instruction("CMD")[0])[0] == "run"


def test_image_healthcheck_probes_healthz() -> None:
    (check,) = instruction("HEALTHCHECK")
    assert "/healthz" in check and "CMD" in check


def test_dockerignore_keeps_local_state_and_venv_out_of_the_build() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", "data"} <= ignored


# --- the image's CMD and HEALTHCHECK, run from the venv -----------------------------------------


def image_command(port: int) -> list[str]:
    entrypoint = json.loads(instruction("ENTRYPOINT")[0])
    cmd = [part.replace("8080", str(port)) for part in json.loads(instruction("CMD")[0])]
    return [str(BIN / entrypoint[0]), *cmd]


def healthcheck_command(port: int) -> list[str]:
    """The image's HEALTHCHECK command, aimed at `port` and run with this venv's python."""
    check = instruction("HEALTHCHECK")[0]
    exec_form = json.loads(check[check.index("CMD") + 3 :].strip())
    argv = [sys.executable if exec_form[0] == "python" else exec_form[0], *exec_form[1:]]
    return [part.replace("8080", str(port)) for part in argv]


def wait_for_health(port: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.status
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail(f"no /healthz answer; exit code {process.poll()}")


def test_image_cmd_serves_healthz_and_exits_0_on_sigterm(tmp_path: Path, feeds: FeedServer) -> None:
    feed = feeds.set(
        "/asia.xml", rss([{"title": "A", "link": "https://example.org/a", "description": "x"}])
    )
    config = write_config(tmp_path, f"database: data/monitor.db\nfeeds:\n  - url: {feed}\n")
    port = free_port()
    env = {
        **os.environ,
        "NEWS_MONITOR_CONFIG": str(config),
        "NEWS_MONITOR_HEALTH_HOST": "127.0.0.1",
    }
    process = subprocess.Popen(
        image_command(port),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_health(port, process) == 200
        assert subprocess.run(healthcheck_command(port), timeout=30).returncode == 0
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert (tmp_path / "data" / "monitor.db").exists()  # relative paths land in the working dir
    assert "stopped" in stderr


def test_healthcheck_fails_when_nothing_answers() -> None:
    probe = healthcheck_command(free_port())
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode != 0


# --- compose example and systemd unit -----------------------------------------------------------


def test_compose_example_mounts_a_config_that_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = YAML(typ="safe").load((REPO / "docker-compose.yml").read_text())
    service = compose["services"]["news-monitor"]
    mounts = dict(volume.split(":")[:2] for volume in service["volumes"])
    assert "/data" in mounts.values() and "/config/monitor.yaml" in mounts.values()
    assert "mailpit" in compose["services"]
    config_file = next(host for host, inside in mounts.items() if inside == "/config/monitor.yaml")
    monkeypatch.setenv("SMTP_HOST", service["environment"]["SMTP_HOST"])
    config = load_config(REPO / config_file)
    assert config.feeds and config.rules
    assert any(getattr(s, "type", "") == "email" for s in config.channels.values())


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (REPO / "deploy" / "news-monitor.service").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_runs_unprivileged_restarts_and_reloads() -> None:
    unit = unit_settings()
    assert unit["User"][0] not in {"root", "0"}
    assert unit["Restart"] == ["on-failure"]
    assert unit["EnvironmentFile"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    for sandbox in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"):
        assert sandbox in unit, sandbox


def test_systemd_execstart_uses_options_the_cli_has() -> None:
    exec_start = unit_settings()["ExecStart"][0].split()
    assert exec_start[0].endswith("/news-monitor") and exec_start[1] == "run"
    help_text = subprocess.run(
        [str(BIN / "news-monitor"), "run", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for option in (o for o in exec_start[2:] if o.startswith("--")):
        assert option in help_text, option
