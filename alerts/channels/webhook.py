"""The webhook channel: a signed JSON POST (Standard Webhooks), or a Slack/Discord message."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from alerts.channels.base import Channel
from alerts.channels.settings import WebhookSettings
from alerts.errors import DeliveryError
from alerts.payloads import digest_payload, discord_payload, slack_payload
from alerts.records import Digest
from alerts.signing import signing_key, webhook_headers

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

PAYLOADS: dict[str, Callable[[Digest], dict[str, Any]]] = {
    "json": digest_payload,
    "slack": slack_payload,
    "discord": discord_payload,
}
_MAX_REDIRECTS = 3
_ERROR_EXCERPT = 200
_USER_AGENT = "news-monitor webhook"


def origin(url: str) -> str:
    """The part of a URL safe to show in logs and errors: scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class WebhookChannel(Channel[WebhookSettings]):
    """POSTs each digest to one URL; 2xx is accepted, anything else raises `DeliveryError`."""

    settings_model = WebhookSettings

    def __init__(
        self,
        name: str,
        settings: WebhookSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import requests  # with the channel, not with the config that only validates its settings

        super().__init__(name, settings)
        self._session = session or requests.Session()
        self._clock = clock
        secret = settings.secret.get_secret_value() if settings.secret else None
        self._key = signing_key(secret) if secret else None

    def send(self, digest: Digest, delivery_id: str) -> None:
        if any(char in delivery_id for char in "\r\n"):
            raise DeliveryError(f"webhook {self.name}: delivery id has a line break")
        payload = PAYLOADS[self.settings.format](digest)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            **webhook_headers(self._key, delivery_id, int(self._clock()), body),
        }
        response = self._post(self.settings.url.get_secret_value(), body, headers)
        with response:
            self._check(response)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        import requests

        timeout = (min(self.settings.timeout, 10.0), self.settings.timeout)
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                response = self._session.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                # requests' messages quote the full URL, and with it a Slack or Discord token.
                raise DeliveryError(
                    f"webhook {self.name}: {origin(url)} unreachable ({type(exc).__name__})"
                ) from None
            target = self._redirect_target(url, response)
            if target is None:
                return response
            response.close()
            url = target
        raise DeliveryError(f"webhook {self.name}: too many redirects from {origin(url)}")

    def _redirect_target(self, url: str, response: requests.Response) -> str | None:
        if not response.is_redirect:
            return None
        target = urljoin(url, response.headers.get("Location", ""))
        # Only 307/308 keep a POST a POST, and only the same host may receive the digest:
        # anything else means the configured URL is out of date, which the operator must see.
        same_host = urlsplit(target).netloc == urlsplit(url).netloc
        upgrade_only = urlsplit(target).scheme in {urlsplit(url).scheme, "https"}
        if response.status_code in {307, 308} and same_host and upgrade_only:
            return target
        response.close()
        raise DeliveryError(
            f"webhook {self.name}: HTTP {response.status_code} redirect from {origin(url)} "
            f"to {origin(target)} not followed; update the channel's url"
        )

    def _check(self, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        where = f"webhook {self.name}: {origin(response.url or '')} answered HTTP {status}"
        if status == 410:
            raise DeliveryError(f"{where} (gone); disabling the channel", disable=True)
        if status in {429, 503}:
            wait = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
            raise DeliveryError(f"{where}{_excerpt(response)}", retry_after=wait)
        raise DeliveryError(f"{where}{_excerpt(response)}")


def _excerpt(response: requests.Response) -> str:
    import urllib3

    try:
        raw = response.raw.read(_ERROR_EXCERPT * 4, decode_content=True) or b""
    except (OSError, urllib3.exceptions.HTTPError):  # the excerpt is a courtesy
        return ""
    text = " ".join(raw.decode("utf-8", "replace").split())[:_ERROR_EXCERPT]
    return f": {text}" if text else ""
