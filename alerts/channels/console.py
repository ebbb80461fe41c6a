"""The console channel: the text digest on standard output, for trying things out and cron."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.channels.base import Channel
from alerts.channels.settings import ConsoleSettings
from alerts.errors import DeliveryError
from alerts.records import Digest


class ConsoleChannel(Channel[ConsoleSettings]):
    """Writes each digest as plain text to a stream (standard output unless one is given)."""

    settings_model = ConsoleSettings

    def __init__(self, name: str, settings: ConsoleSettings, *, stream: TextIO | None = None):
        super().__init__(name, settings)
        self._stream = stream

    def send(self, digest: Digest, delivery_id: str) -> None:
        from alerts.render import render_text  # Jinja2 loads with the first digest, not the config

        # Looked up at send time, so a redirected sys.stdout is honoured.
        stream = self._stream or sys.stdout
        try:
            stream.write(render_text(digest) + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:  # closed pipe, closed stream
            raise DeliveryError(f"console {self.name}: {exc}") from exc
