"""The service's HTTP side door: /healthz for orchestrators and /metrics for Prometheus."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST

from monitor import metrics
from monitor.errors import ListenError
from monitor.secrets import mask
from monitor.store.outbox import backlog
from monitor.store.records import FeedHealth

log = logging.getLogger("monitor.health")


class ServiceView(Protocol):
    """What the health server reads of the running service."""

    app: Any
    last_tick: datetime | None

    def healthy(self) -> bool: ...


def feed_counts(configured: Iterable[str], states: Iterable[FeedHealth]) -> dict[str, int]:
    """Configured feeds by health: ok, failing (last poll an error, or gone), never polled yet."""
    by_url = {s.url: s for s in states}
    counts = {"ok": 0, "failing": 0, "never_polled": 0}
    for url in configured:
        state = by_url.get(url)
        if state is None or state.last_polled_at is None:
            counts["never_polled"] += 1
        elif state.failing:
            counts["failing"] += 1
        else:
            counts["ok"] += 1
    return counts


def health_report(service: ServiceView) -> tuple[bool, dict[str, Any]]:
    app = service.app
    healthy = service.healthy()
    feeds = feed_counts((f.url for f in app.config.feeds), app.store.feed_health())
    return healthy, {
        "status": "ok" if healthy else "unhealthy",
        "feeds": feeds,
        "outbox_backlog": backlog(app.db),
        "last_tick": service.last_tick.isoformat() if service.last_tick else None,
    }


def _handler(service: ServiceView) -> type[BaseHTTPRequestHandler]:
    class HealthHandler(BaseHTTPRequestHandler):
        server_version = "news-monitor"

        def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches on)
            try:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    healthy, report = health_report(service)
                    self._send(
                        200 if healthy else 503, "application/json", json.dumps(report).encode()
                    )
                elif path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, metrics.exposition())
                else:
                    self._send(
                        404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n"
                    )
            except Exception:  # a request is a loop boundary: report it, keep serving
                log.exception("health endpoint failed path=%s", self.path)
                self._send(500, "text/plain; charset=utf-8", b"internal error\n")
            finally:
                # Each request runs on its own thread: drop that thread's SQLite connection.
                service.app.db.close()

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            body = mask(body.decode("utf-8")).encode("utf-8")  # the last gate before the wire
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # Probes hit this every few seconds; keep them out of the service log.
            log.debug("health request %s", format % args)

    return HealthHandler


def serve_health(service: ServiceView, port: int, host: str | None = None) -> ThreadingHTTPServer:
    """Serve /healthz and /metrics from a daemon thread; `server.shutdown()` stops it.

    The address defaults to loopback; $NEWS_MONITOR_HEALTH_HOST widens it (0.0.0.0 in a container,
    where Prometheus scrapes from outside).
    """
    host = host or os.environ.get("NEWS_MONITOR_HEALTH_HOST") or "127.0.0.1"
    metrics.watch_backlog(lambda: backlog(service.app.db))
    try:
        server = ThreadingHTTPServer((host, port), _handler(service))
    except OSError as exc:
        raise ListenError(host, port, exc, setting="--health-port") from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="health", daemon=True)
    thread.start()
    log.info("health endpoint listening on http://%s:%d/healthz", host, server.server_address[1])
    return server
