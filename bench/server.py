"""A threaded loopback HTTP server that serves the benchmark world with conditional GET."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.world import FeedDocument, World, changed, feed_path, render


class WorldServer:
    """Serves every feed of a world on loopback; ``change()`` moves the world on one step.

    Feeds are spread over ``hosts`` loopback addresses (127.0.0.1, 127.0.0.2, ...) because real
    feeds come from many publishers and the poller limits requests per host. Bodies are rendered
    up front so that serving costs the measured client as little CPU as a distant publisher would.
    """

    def __init__(self, world: World, *, hosts: int = 8) -> None:
        self.world = world
        self._documents = self._first_documents()
        self._lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        handler = _handler_for(self)
        self._servers = [
            ThreadingHTTPServer((f"127.0.0.{n + 1}", 0), handler) for n in range(max(1, hosts))
        ]
        self._threads = []
        for httpd in self._servers:
            httpd.daemon_threads = True
            self._threads.append(threading.Thread(target=httpd.serve_forever, daemon=True))

    def _first_documents(self) -> dict[str, FeedDocument]:
        return _render_all(self.world)

    def _path(self, index: int) -> str:
        return feed_path(index)

    def url(self, index: int) -> str:
        host, port = self._servers[index % len(self._servers)].server_address[:2]
        return f"http://{host}:{port}{self._path(index)}"

    def urls(self) -> list[str]:
        return [self.url(index) for index in range(self.world.feeds)]

    def validators(self) -> dict[str, str]:
        """Each feed URL's current ETag, for a client that polled it before."""
        return {self.url(i): self._documents[feed_path(i)].etag for i in range(self.world.feeds)}

    def document(self, path: str) -> FeedDocument | None:
        return self._documents.get(path)

    def change(self) -> None:
        """Every feed replaces a fifth of its items (new ETag and Last-Modified too)."""
        world = changed(self.world)
        documents = _render_all(world)
        with self._lock:
            self.world, self._documents = world, documents

    def take_statuses(self) -> Counter[int]:
        """The response statuses counted since the last call."""
        with self._lock:
            counted, self.statuses = self.statuses, Counter()
        return counted

    def count(self, status: int) -> None:
        with self._lock:
            self.statuses[status] += 1

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        for httpd, thread in zip(self._servers, self._threads, strict=True):
            httpd.shutdown()
            httpd.server_close()
            thread.join()


@contextmanager
def serving(world: Any, *, hosts: int = 8, kind: type[WorldServer] | None = None) -> Iterator[Any]:
    """A started server of ``kind`` (WorldServer unless told) for the world, stopped after."""
    server = (kind or WorldServer)(world, hosts=hosts)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def not_modified(
    doc: FeedDocument, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since does."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or doc.etag in tags
    if if_modified_since is None:
        return False
    try:
        return parsedate_to_datetime(doc.last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def _render_all(world: World) -> dict[str, FeedDocument]:
    documents = (render(world, index) for index in range(world.feeds))
    return {doc.path: doc for doc in documents}


def _handler_for(server: WorldServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a client's connection pool expects

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            doc = server.document(self.path.split("?", 1)[0])
            if doc is None:
                self._respond(404, b"not found", {"Content-Type": "text/plain"})
            elif not_modified(
                doc, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            ):
                self._respond(304, b"", {"ETag": doc.etag, "Last-Modified": doc.last_modified})
            else:
                headers = {
                    "Content-Type": doc.content_type,
                    "ETag": doc.etag,
                    "Last-Modified": doc.last_modified,
                }
                self._respond(200, doc.body, headers)

        def _respond(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            server.count(status)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # a thousand request lines per pass would only drown the report

    return Handler
