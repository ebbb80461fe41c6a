"""Room for the cheap pages: at most a few searches and rule trials run at once.

The server has a handful of threads. A search or a rule trial can take seconds (bounded by
monitor.rules.limits and the search's time budget); were every thread busy with one, /healthz
and the other pages would queue behind them. Past the limit such a request is told to come
back (503 with Retry-After) at once, and a thread stays free for everything else.
"""

from __future__ import annotations

import threading

from flask import Flask, Response, g, request

from monitor.service.web.server import THREADS

COSTLY_PATHS = ("/search", "/rules/try")
AT_ONCE = max(1, THREADS - 2)


class Gate:
    def __init__(self, at_once: int = AT_ONCE) -> None:
        self.slots = threading.BoundedSemaphore(at_once)

    def install(self, app: Flask) -> None:
        app.extensions["news_monitor_gate"] = self
        app.before_request(self._enter)
        app.teardown_request(self._leave)

    def _enter(self) -> Response | None:
        costly = request.path == "/rules/preview" or (  # the editor's live backtest
            request.path in COSTLY_PATHS and request.args.get("q")
        )
        if not costly:
            return None
        if not self.slots.acquire(blocking=False):
            response = Response(
                "Busy with other searches; try again in a moment.\n",
                status=503,
                mimetype="text/plain",
            )
            response.headers["Retry-After"] = "2"
            return response
        g.news_monitor_slot = True
        return None

    def _leave(self, _error: BaseException | None) -> None:
        if g.pop("news_monitor_slot", False):
            self.slots.release()
