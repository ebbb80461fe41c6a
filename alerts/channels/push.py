"""The apprise channel: a digest to any service Apprise knows (Telegram, Teams, Matrix, ntfy, ...).

Each URL gets the digest the way its service takes it: mail-like services (whose first format
is HTML) the HTML digest, the rest the text digest, which Apprise escapes for services that
read Markdown or HTML. A delivery with several URLs is retried only for the URLs that have not
accepted it yet (within the process; after a restart all of them are tried again, as every
channel resends with the same id).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from alerts.channels.base import Channel
from alerts.channels.settings import AppriseSettings, scheme, shown
from alerts.errors import DeliveryError
from alerts.records import Digest

log = logging.getLogger(__name__)

DELIVERY_HEADER = "X-News-Monitor-Delivery"  # for services that post to a URL of the user's
_ERROR_CHARS = 300
_URL_IN_TEXT = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*)://\S+")
_REMEMBERED = 1000  # deliveries whose accepted URLs are kept for a retry


def wants_html(plugin: Any) -> bool:
    """Whether a service takes a whole HTML document: its first format is HTML (mail)."""
    import apprise

    formats = plugin.notify_format
    formats = tuple(formats) if isinstance(formats, tuple | list) else (formats,)
    return (
        bool(formats)
        and formats[0] == apprise.NotifyFormat.HTML
        and (len(formats) == 1 or apprise.NotifyFormat.TEXT in formats)
    )


class AppriseChannel(Channel[AppriseSettings]):
    """Sends each digest to every configured Apprise URL; raises unless all accepted it."""

    settings_model = AppriseSettings

    def __init__(self, name: str, settings: AppriseSettings) -> None:
        super().__init__(name, settings)
        self._accepted: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def send(self, digest: Digest, delivery_id: str) -> None:
        from alerts.render import subject

        title = subject(digest)
        bodies: dict[bool, str] = {}
        failed = []
        for i, secret in enumerate(self.settings.urls):
            if i in self._accepted.get(delivery_id, set()):
                continue
            url = secret.get_secret_value()
            try:
                html = self._send_one(url, delivery_id, title, bodies, digest)
            except DeliveryError as exc:
                failed.append(str(exc))
                continue
            self._remember(delivery_id, i)
            log.info("apprise sent channel=%s service=%s html=%s", self.name, scheme(url), html)
        if failed:
            raise DeliveryError(f"apprise {self.name}: " + "; ".join(failed))
        with self._lock:
            self._accepted.pop(delivery_id, None)

    def _send_one(
        self, url: str, delivery_id: str, title: str, bodies: dict[bool, str], digest: Digest
    ) -> bool:
        import apprise

        from alerts.render import render_html, render_text

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise DeliveryError(f"{shown(url)} is not a URL Apprise can send to")
        # Apprise's own default is 4 s to connect and to read; the channel's timeout rules.
        plugin.socket_connect_timeout = min(self.settings.timeout, 10.0)
        plugin.socket_read_timeout = self.settings.timeout
        headers = getattr(plugin, "headers", None)  # json://, xml://, form:// and the like
        if isinstance(headers, dict):
            headers[DELIVERY_HEADER] = delivery_id
        html = wants_html(plugin)
        if html not in bodies:
            bodies[html] = render_html(digest) if html else render_text(digest)
        sender = apprise.Apprise()
        sender.add(plugin)
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = sender.notify(
                body=bodies[html],
                title=title,
                body_format=apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT,
            )
            said = captured.getvalue() if hasattr(captured, "getvalue") else ""
        if not ok:
            raise DeliveryError(f"{shown(url)} refused the digest{_reason(said)}")
        return html

    def _remember(self, delivery_id: str, index: int) -> None:
        with self._lock:
            if delivery_id not in self._accepted and len(self._accepted) >= _REMEMBERED:
                self._accepted.pop(next(iter(self._accepted)))
            self._accepted.setdefault(delivery_id, set()).add(index)


def _reason(text: str) -> str:
    """Apprise's last warning, without any URL in it (they carry tokens)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    last = _URL_IN_TEXT.sub(lambda m: f"{m[1]}://***", lines[-1].split(" - ", 2)[-1])
    return f": {last[:_ERROR_CHARS]}"
