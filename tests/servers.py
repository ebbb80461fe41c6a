"""Real receivers for end-to-end tests: an SMTP server (aiosmtpd) and a webhook endpoint that
verifies every Standard Webhooks signature with the reference `standardwebhooks` package."""

from __future__ import annotations

import email
import json
import socket
import threading
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str = "application/rss+xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """A threaded HTTP server on 127.0.0.1 running in the background, and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookReceiver:
    """Answers each POST with the next queued status (else 204) and keeps the verified ones."""

    def __init__(self, secret: str) -> None:
        self.verifier = Webhook(secret)
        self.deliveries: list[dict[str, Any]] = []  # verified: {"id", "payload"}
        self.rejected: list[str] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                try:
                    payload = receiver.verifier.verify(body, dict(self.headers.items()))
                except Exception as exc:  # a bad signature is what this receiver exists to catch
                    receiver.rejected.append(str(exc))
                    status = 401
                else:
                    if 200 <= status < 300:
                        receiver.deliveries.append(
                            {"id": self.headers["webhook-id"], "payload": payload}
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpInbox:
    """A real SMTP server on 127.0.0.1 keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.port = free_port()
        inbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                inbox.recipients.append(list(envelope.rcpt_tos))
                inbox.messages.append(
                    email.message_from_bytes(envelope.original_content, policy=default_policy)
                )  # type: ignore[arg-type]
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def webhook_json(delivery: dict[str, Any]) -> dict[str, Any]:
    payload = delivery["payload"]
    return payload if isinstance(payload, dict) else json.loads(payload)
