"""Serving the page: waitress on a thread beside the service, or in the foreground alone."""

from __future__ import annotations

import logging
import threading
from typing import Any

from waitress.server import create_server

from monitor.config.schema import is_loopback
from monitor.errors import ConfigError, ListenError

log = logging.getLogger("monitor.web")

THREADS = 4  # each holds its own read connection; SQLite readers never wait for the writer


class WebServer:
    """A bound server; `serve_forever()` in the foreground, or `start()` on a daemon thread."""

    def __init__(self, wsgi_app: object, host: str, port: int, *, token: str | None) -> None:
        if token is None and not is_loopback(host):
            # Checked here too: `news-monitor web --listen` bypasses the config's check.
            raise ConfigError(
                [
                    f"web: refusing to serve {host} without a token: set web.token, or listen on 127.0.0.1"
                ]
            )
        try:
            self._server = create_server(
                wsgi_app,
                host=host,
                port=port,
                threads=THREADS,
                ident="news-monitor",
                # The app itself believes or drops forwarding headers (web.trusted_proxies):
                # waitress trusts one address at most, and would drop them before it looks.
                clear_untrusted_proxy_headers=False,
            )
        except OSError as exc:
            raise ListenError(host, port, exc) from None
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        log.info("web page listening on %s", self.url)
        self._server.run()

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self.serve_forever, name="web", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the requests in flight, then close every connection and the listening socket
        from the server's own loop (waitress is not thread-safe: closing from here would race
        the loop, and a request thread waking the closed loop writes to a stale descriptor)."""
        server: Any = self._server
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

        def close_all() -> None:
            for dispatcher in list(server._map.values()):
                if dispatcher is not server and dispatcher is not server.trigger:
                    dispatcher.close()
            server.close()  # the listening socket and the trigger

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:  # the loop has already stopped
            return
        if self._thread is not None:
            self._thread.join(10)
