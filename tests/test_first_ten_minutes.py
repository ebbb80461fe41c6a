"""The README's "first ten minutes", run as written: its commands, its config and its feed files,
in a fresh directory, with the feed served on 127.0.0.1 and `news-monitor` as the installed
command. Each claim the section makes (a silent backlog, the rule test finding it, a first
alert on the console) is checked on what the commands print."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import REPO
from ruamel.yaml import YAML

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## The first ten minutes") : README.index("## The two commands")]
COMMANDS = [
    line.split("#")[0].strip()
    for block in re.findall(r"```sh\n(.*?)```", SECTION, flags=re.S)
    for line in block.splitlines()
    if line.split("#")[0].strip()
]


def test_the_section_is_what_this_test_runs() -> None:
    assert COMMANDS == [
        "make install",
        "source .venv/bin/activate",
        "mkdir -p /tmp/feed && cp config/examples/first-feed.xml /tmp/feed/feed.xml",
        "python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp/feed &",
        "cp config/examples/first.yaml my.yaml",
        "news-monitor check --config my.yaml",
        "news-monitor run --once --config my.yaml",
        "news-monitor rules test Rogun --since 7d --config my.yaml",
        "cp config/examples/first-feed-later.xml /tmp/feed/feed.xml",
        "news-monitor run --once --config my.yaml",
        "make run CONFIG=my.yaml",
    ]
    shown = re.search(r"```yaml\n(.*?)```", SECTION, flags=re.S)
    assert shown is not None
    shipped = (REPO / "config/examples/first.yaml").read_text(encoding="utf-8")
    assert YAML(typ="safe").load(shown[1]) == YAML(typ="safe").load(shipped)


def test_a_newcomer_reaches_a_first_alert(tmp_path: Path) -> None:
    feed_dir = tmp_path / "feed"
    feed_dir.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(feed_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    work = tmp_path / "clone"
    (work / "config").mkdir(parents=True)
    shutil.copytree(REPO / "config/examples", work / "config/examples")

    def sh(command: str) -> str:
        """One command of the section, on this machine: the feed directory and port are the
        test's own, `news-monitor` is this interpreter's."""
        command = command.replace("/tmp/feed", str(feed_dir))
        if command.startswith("news-monitor "):
            args = [sys.executable, "-m", "monitor.cli", *shlex.split(command)[1:]]
            done = subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=120,
                                  env=os.environ | {"PYTHONPATH": str(REPO)})  # fmt: skip
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            return done.stdout + done.stderr
        subprocess.run(command, shell=True, cwd=work, check=True, timeout=60)
        return ""

    try:
        sh(COMMANDS[2])
        sh(COMMANDS[4])
        config = work / "my.yaml"
        config.write_text(config.read_text().replace(":8000/", f":{port}/"))
        assert "config my.yaml: ok" in sh(COMMANDS[5])
        first = sh(COMMANDS[6])
        assert "matches=0" in first and "stored 3 backlog article(s)" in first
        backlog = sh(COMMANDS[7])
        assert "Tajikistan brings the second Rogun turbine online" in backlog
        assert "1 article(s)" in backlog
        sh(COMMANDS[8])
        alert = sh(COMMANDS[9])
        assert "[news-monitor] instant: 1 new for Rogun" in alert
        assert "World Bank approves new Rogun dam financing" in alert
    finally:
        server.shutdown()
