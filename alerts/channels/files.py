"""The file channel: each digest kept as an .html and a .txt file in a directory."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from alerts.channels.atomic import write_atomically
from alerts.channels.base import Channel
from alerts.channels.settings import FileSettings
from alerts.errors import DeliveryError
from alerts.records import Digest, utc
from alerts.safetext import slug

# The files this channel writes (digest_stem + .txt/.html): only these are ever removed.
_DIGEST_FILE = re.compile(r"^.+-(\d{8}T\d{6}Z)-[^.]+\.(txt|html)$")


def expired_files(names: list[str], now: datetime, keep: timedelta) -> list[str]:
    """The digest files among ``names`` written longer than ``keep`` before ``now`` (by the
    time in their name, which a copy or a restore does not change, unlike mtime)."""
    out = []
    for name in names:
        found = _DIGEST_FILE.match(name)
        if found:
            written = datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=now.tzinfo)
            if now - written > keep:
                out.append(name)
    return out


def digest_stem(digest: Digest) -> str:
    """`daily-20261128T080000Z-<id>`: sorts by time, and a resend overwrites its own files."""
    stamp = utc(digest.created_at).strftime("%Y%m%dT%H%M%SZ")
    return f"{slug(digest.name)}-{stamp}-{slug(digest.id, fallback='id')}"


class FileChannel(Channel[FileSettings]):
    """Writes `<path>/<digest>-<time>-<id>.html` and `.txt`, each atomically, and removes
    those older than `keep` (default 90 days)."""

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
        if self.settings.keep is not None:
            self._forget_old(directory, utc(digest.created_at))

    def _forget_old(self, directory: Path, now: datetime) -> None:
        # The directory keeps `keep` of digests, counted from the newest one written.
        assert self.settings.keep is not None
        for name in expired_files([p.name for p in directory.iterdir()], now, self.settings.keep):
            (directory / name).unlink(missing_ok=True)
