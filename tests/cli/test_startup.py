"""Start-up: `--help` and `check` load only what they use (the start-up budget is 0.3 s).

Timing is `make bench`'s job; what is pinned here is which libraries each command imports,
since one top-level import of a heavy library is all it takes to lose the budget again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, write_config

# Each of these costs tens to hundreds of milliseconds to import, and neither command needs it.
HEAVY = (
    "apprise", "apscheduler", "feedparser", "jinja2", "lxml", "prometheus_client",
    "requests", "sqlite_utils", "trafilatura", "multiprocessing.forkserver",
)  # fmt: skip
# A config is read without the code that sends (SMTP, XML, HTTP signing), parses pages or
# searches the archive: those load with the command that uses them.
NOT_FOR_READING_A_CONFIG = (
    "smtplib", "xml.etree", "alerts.channels.mail", "alerts.channels.webhook",
    "alerts.channels.atom", "alerts.channels.files", "selectolax", "monitor.rules.fts",
)  # fmt: skip
# `--help` needs no config at all.
CONFIG_SIDE = ("pydantic", "ruamel", "monitor.config.load", "monitor.rules")

_PROBE = """
import json, sys
from monitor.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
sys.stdout = sys.__stdout__
print("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_loaded(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=REPO,
        env=os.environ | {"HOOK_TOKEN": "t", "HOOK_SECRET": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(li for li in done.stdout.splitlines() if li.startswith("MODULES "))
    found = json.loads(line.removeprefix("MODULES "))
    return found["code"], set(found["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_help_imports_neither_the_config_nor_any_heavy_library() -> None:
    code, modules = modules_loaded("--help")
    assert code == 0
    assert loaded(modules, HEAVY + CONFIG_SIDE) == []


def test_check_of_a_config_with_every_usual_channel_imports_no_heavy_library(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: https://example.org/rss.xml
        rules:
          - name: Rogun
            query: 'Rogun OR Рогун*'
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", channels: [hook, console, mail, files, feed]}}
        channels:
          console: {{type: console}}
          hook: {{type: webhook, url: "https://hooks.example.org/${{HOOK_TOKEN}}"}}
          mail: {{type: email, to: [a@example.org], sender: m@example.org,
                  smtp: {{host: smtp.example.org}}}}
          files: {{type: file, path: {tmp_path / "out"}}}
          feed: {{type: atom, path: {tmp_path / "atom.xml"}}}
        """,
    )
    code, modules = modules_loaded("check", "--config", str(config))
    assert code == 0
    assert "monitor.config.load" in modules  # it did read the config
    assert loaded(modules, HEAVY + NOT_FOR_READING_A_CONFIG) == []
