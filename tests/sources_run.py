"""Helpers for the end-to-end tests of the source types: a config with one source and a Rogun
rule that alerts at once into a file channel, and the digests that came out."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import Clock, write_config

from monitor.config.load import load_config
from monitor.service.app import App, build_app


def source_config(tmp_path: Path, source_yaml: str, *, extra: str = "") -> Path:
    """A config whose only source is ``source_yaml`` (one list item, without its dash)."""
    item = textwrap.indent(textwrap.dedent(source_yaml).strip(), "    ")
    body = f"""\
database: {tmp_path / "monitor.db"}
{extra}
feeds:
  - {item.lstrip()}
rules:
  - name: Rogun
    any: [Rogun, Рогун*]
    digest: instant
digests:
  instant: {{schedule: instant, channels: [archive]}}
channels:
  archive: {{type: file, path: {tmp_path / "digests"}}}
"""
    return write_config(tmp_path, body)


def source_app(tmp_path: Path, source_yaml: str, clock: Clock, *, extra: str = "") -> App:
    return build_app(load_config(source_config(tmp_path, source_yaml, extra=extra)), clock=clock)


def digest_texts(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in sorted((tmp_path / "digests").glob("*.txt"))]


class FakeTime:
    """A monotonic clock and a sleep for a HostLimiter: sleeping moves the clock, and every
    wait is kept, so a test sees the rate limit without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
