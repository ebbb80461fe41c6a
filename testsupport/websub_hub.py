"""A WebSub hub of our own on loopback (W3C WebSub), for the tests and the latency benchmark:
it takes subscription requests, verifies intent on the subscriber's callback, and delivers
what a publisher hands it to every verified subscriber, signed with the subscriber's secret.

Verification runs on a thread after the 202, as most hubs do; ``publish`` delivers at once
and returns each subscriber's answer. ``forge`` and ``verify_unasked`` play an attacker.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import requests


@dataclass(kw_only=True)
class HubSubscription:
    callback: str
    topic: str
    secret: str
    lease_seconds: int
    verified: bool = False
    expires_at: float = 0.0


@dataclass(kw_only=True)
class HubLog:
    """What the hub saw and did, for the tests to assert on."""

    requests: list[dict[str, str]] = field(default_factory=list)  # every form POSTed to it
    verifications: list[tuple[str, str, int]] = field(default_factory=list)  # (mode, topic, status)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (callback, status)


class WebSubHub:
    """``url`` is the hub; ``lease_seconds`` the lease it grants whatever is asked."""

    def __init__(self, *, lease_seconds: int = 3600, algorithm: str = "sha256") -> None:
        self.lease_seconds = lease_seconds
        self.algorithm = algorithm
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}  # (topic, callback)
        self.log = HubLog()
        self._lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                hub.log.requests.append(form)
                status = hub._accept(form)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    # the subscriber's side -------------------------------------------------------------

    def _accept(self, form: dict[str, str]) -> int:
        mode, topic, callback = (form.get(k, "") for k in ("hub.mode", "hub.topic", "hub.callback"))
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return 400
        threading.Thread(target=self._verify, args=(form,), daemon=True).start()
        return 202

    def _verify(self, form: dict[str, str]) -> None:
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        challenge = secrets.token_urlsafe(16)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(self.lease_seconds)
        status = self._ask(callback, query, challenge)
        self.log.verifications.append((mode, topic, status))
        if status != 200:
            return
        with self._lock:
            if mode == "unsubscribe":
                self.subscriptions.pop((topic, callback), None)
                return
            self.subscriptions[(topic, callback)] = HubSubscription(
                callback=callback,
                topic=topic,
                secret=form.get("hub.secret", ""),
                lease_seconds=self.lease_seconds,
                verified=True,
                expires_at=time.monotonic() + self.lease_seconds,
            )

    @staticmethod
    def _ask(callback: str, query: dict[str, str], challenge: str) -> int:
        """The GET of a verification: 200 only when the body echoes the challenge."""
        sep = "&" if "?" in callback else "?"
        try:
            answer = requests.get(f"{callback}{sep}{urlencode(query)}", timeout=10)
        except requests.RequestException:
            return 0
        if answer.status_code == 200 and answer.text != challenge:
            return -1  # a 200 without the challenge is no confirmation
        return answer.status_code

    # the publisher's side --------------------------------------------------------------

    def publish(
        self, topic: str, body: bytes, content_type: str = "application/rss+xml"
    ) -> list[int]:
        """Deliver ``body`` to each verified subscriber of ``topic``, signed; their statuses."""
        with self._lock:
            targets = [s for s in self.subscriptions.values() if s.topic == topic and s.verified]
        return [self._deliver(s.callback, topic, body, content_type, s.secret) for s in targets]

    def forge(self, callback: str, topic: str, body: bytes, secret: str = "not the secret") -> int:
        """A delivery signed with the wrong secret, as an attacker would send it."""
        return self._deliver(callback, topic, body, "application/rss+xml", secret)

    def verify_unasked(self, callback: str, topic: str, mode: str = "subscribe") -> int:
        """A verification of intent for a subscription nobody asked for; the status."""
        challenge = secrets.token_urlsafe(16)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        return self._ask(callback, query, challenge)

    def subscribers(self, topic: str) -> list[str]:
        with self._lock:
            return [s.callback for s in self.subscriptions.values() if s.topic == topic]

    def _deliver(
        self, callback: str, topic: str, body: bytes, content_type: str, secret: str
    ) -> int:
        digest = getattr(hashlib, self.algorithm)
        signature = hmac.new(secret.encode(), body, digest).hexdigest()
        headers = {
            "Content-Type": content_type,
            "X-Hub-Signature": f"{self.algorithm}={signature}",
            "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"',
        }
        try:
            status = requests.post(callback, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException:
            status = 0
        self.log.deliveries.append((callback, status))
        return status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
