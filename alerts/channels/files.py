"""The file channel: each digest kept as an .html and a .txt file in a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alerts.channels.atomic import write_atomically
from alerts.channels.base import Channel, ChannelSettingsBase
from alerts.errors import DeliveryError
from alerts.records import Digest, utc
from alerts.safetext import slug


class FileSettings(ChannelSettingsBase):
    type: Literal["file"]
    path: Path


def digest_stem(digest: Digest) -> str:
    """`daily-20261128T080000Z-<id>`: sorts by time, and a resend overwrites its own files."""
    stamp = utc(digest.created_at).strftime("%Y%m%dT%H%M%SZ")
    return f"{slug(digest.name)}-{stamp}-{slug(digest.id, fallback='id')}"


class FileChannel(Channel[FileSettings]):
    """Writes `<path>/<digest>-<time>-<id>.html` and `.txt`, each atomically."""

    settings_model = FileSettings

    def send(self, digest: Digest, delivery_id: str) -> None:
        from alerts.render import render_html, render_text  # Jinja2: with a digest, not the config

        stem = digest_stem(digest)
        directory = self.settings.path
        try:
            write_atomically(directory / f"{stem}.txt", render_text(digest).encode("utf-8"))
            write_atomically(directory / f"{stem}.html", render_html(digest).encode("utf-8"))
        except OSError as exc:
            raise DeliveryError(f"file {self.name}: cannot write to {directory}: {exc}") from exc
