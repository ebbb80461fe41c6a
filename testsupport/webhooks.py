"""A webhook endpoint on loopback that verifies every Standard Webhooks signature with the
reference `standardwebhooks` package: the tests' receiver, and the workers benchmark's count of
deliveries by id."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


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
