"""The webhook channel against a real HTTP receiver on 127.0.0.1 that verifies signatures."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from alerts.channels import WebhookChannel, WebhookSettings, make_channel
from alerts.channels.webhook import retry_after_seconds
from alerts.errors import DeliveryError
from alerts.records import Digest, digest_from_json
from alerts.render import digest_payload

GOLDEN = Path(__file__).resolve().parent / "golden"
WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
TOKEN_PATH = "/services/T000/B000/SECRETTOKEN"


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST and answers with the queued (status, headers, body) replies, else 204."""

    url: str
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)

    def reply(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.replies.append((status, headers or {}, body))


def start_receiver() -> tuple[ThreadingHTTPServer, Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            status, headers, reply = receiver.replies.pop(0) if receiver.replies else (204, {}, b"")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server, receiver = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def hook(url: str, **settings: Any) -> WebhookChannel:
    made = make_channel(
        "ops-hook", WebhookSettings.model_validate({"type": "webhook", "url": url, **settings})
    )
    assert isinstance(made, WebhookChannel)
    return made


def verified(secret: str | bytes, request: Received) -> Any:
    """What the independent Standard Webhooks library makes of the request (raises if forged)."""
    return Webhook(secret).verify(request.body, request.headers)


def test_json_digest_is_signed_with_a_whsec_secret(receiver: Receiver) -> None:
    hook(receiver.url + "/news", secret=WHSEC).send(sample_digest(), "dlv-42")
    (request,) = receiver.requests
    assert request.path == "/news"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == "dlv-42"
    assert verified(WHSEC, request) == digest_payload(sample_digest())


def test_a_plain_secret_signs_with_its_utf8_bytes(receiver: Receiver) -> None:
    secret = "correct horse ✓ battery"
    hook(receiver.url, secret=secret).send(sample_digest(), "dlv-1")
    (request,) = receiver.requests
    assert verified(secret.encode("utf-8"), request)["id"] == "run-2026-11-28-daily"


def test_a_wrong_secret_does_not_verify(receiver: Receiver) -> None:
    hook(receiver.url, secret=WHSEC).send(sample_digest(), "dlv-1")
    other = "whsec_" + base64.b64encode(b"another key of thirty-two bytes!").decode()
    with pytest.raises(Exception, match="signature"):
        verified(other, receiver.requests[0])


def test_a_resend_carries_the_same_webhook_id(receiver: Receiver) -> None:
    channel = hook(receiver.url, secret=WHSEC)
    channel.send(sample_digest(), "dlv-7")
    channel.send(sample_digest(), "dlv-7")
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["dlv-7", "dlv-7"]
    assert all(verified(WHSEC, r) for r in receiver.requests)


def test_without_a_secret_the_id_is_still_sent(receiver: Receiver) -> None:
    hook(receiver.url).send(sample_digest(), "dlv-1")
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == "dlv-1"
    assert "webhook-signature" not in request.headers
    assert json.loads(request.body)["type"] == "digest"


def test_gone_disables_the_channel(receiver: Receiver) -> None:
    receiver.reply(410)
    with pytest.raises(DeliveryError) as gone:
        hook(receiver.url).send(sample_digest(), "dlv-1")
    assert gone.value.disable is True


def test_too_many_requests_honours_retry_after_seconds(receiver: Receiver) -> None:
    receiver.reply(429, {"Retry-After": "120"})
    with pytest.raises(DeliveryError) as busy:
        hook(receiver.url).send(sample_digest(), "dlv-1")
    assert busy.value.retry_after == 120
    assert busy.value.disable is False


def test_unavailable_honours_retry_after_as_http_date(receiver: Receiver) -> None:
    now = float(int(time.time()))
    receiver.reply(503, {"Retry-After": formatdate(now + 90, usegmt=True)})
    channel = WebhookChannel("ops-hook", hook(receiver.url).settings, clock=lambda: now)
    with pytest.raises(DeliveryError) as busy:
        channel.send(sample_digest(), "dlv-1")
    assert busy.value.retry_after == 90


def test_server_error_is_retryable_and_quotes_the_reply(receiver: Receiver) -> None:
    receiver.reply(500, body=b"database\n on fire")
    with pytest.raises(DeliveryError, match="HTTP 500: database on fire") as failed:
        hook(receiver.url).send(sample_digest(), "dlv-1")
    assert failed.value.retry_after is None and failed.value.disable is False


def test_errors_never_show_the_token_in_the_url(receiver: Receiver) -> None:
    receiver.reply(500)
    with pytest.raises(DeliveryError) as failed:
        hook(receiver.url + TOKEN_PATH).send(sample_digest(), "dlv-1")
    assert "SECRETTOKEN" not in str(failed.value)
    closed = "http://127.0.0.1:9" + TOKEN_PATH  # discard port: nothing listens
    with pytest.raises(DeliveryError) as unreachable:
        hook(closed, timeout="2s").send(sample_digest(), "dlv-1")
    assert "SECRETTOKEN" not in str(unreachable.value)
    assert "SECRETTOKEN" not in repr(hook(closed).settings)


def test_a_redirect_to_another_host_is_not_followed(receiver: Receiver) -> None:
    server, elsewhere = start_receiver()
    try:
        other_host = elsewhere.url.replace("127.0.0.1", "localhost")
        receiver.reply(307, {"Location": other_host + "/steal"})
        with pytest.raises(DeliveryError, match="redirect"):
            hook(receiver.url).send(sample_digest(), "dlv-1")
    finally:
        server.shutdown()
        server.server_close()
    assert elsewhere.requests == []


def test_a_permanent_redirect_on_the_same_host_is_followed_with_the_body(
    receiver: Receiver,
) -> None:
    receiver.reply(308, {"Location": "/moved"})
    hook(receiver.url + "/old", secret=WHSEC).send(sample_digest(), "dlv-1")
    old, moved = receiver.requests
    assert (old.path, moved.path) == ("/old", "/moved")
    assert verified(WHSEC, moved)["id"] == "run-2026-11-28-daily"


def test_a_see_other_redirect_is_refused(receiver: Receiver) -> None:
    receiver.reply(303, {"Location": "/elsewhere"})
    with pytest.raises(DeliveryError, match="303"):
        hook(receiver.url).send(sample_digest(), "dlv-1")
    assert len(receiver.requests) == 1


def test_slack_format_posts_a_slack_message(receiver: Receiver) -> None:
    hook(receiver.url, format="slack", secret=WHSEC).send(sample_digest(), "dlv-1")
    message = verified(WHSEC, receiver.requests[0])
    assert set(message) >= {"text", "blocks"}
    assert message["blocks"][0]["type"] == "header"


def test_discord_format_posts_a_discord_message(receiver: Receiver) -> None:
    hook(receiver.url, format="discord").send(sample_digest(), "dlv-1")
    message = json.loads(receiver.requests[0].body)
    assert set(message) == {"content", "embeds", "allowed_mentions"}
    assert message["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Thu, 01 Jan 1970 00:00:30 GMT", 0.0),  # in the past: retry now
        ("Thu, 01 Jan 1970 00:01:40 GMT", 40.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, now=60.0) == expected


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "ftp://example.org/hook"},
        {"url": "javascript:alert(1)"},
        {"url": "https://example.org/hook", "secret": "whsec_not base64!"},
        {"url": "https://example.org/hook", "format": "teams"},
        {"url": "https://example.org/hook", "timeout": 0},
        {"url": "https://example.org/hook", "headers": {}},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookSettings.model_validate({"type": "webhook", **settings})
    assert "not base64!" not in str(refused.value)
