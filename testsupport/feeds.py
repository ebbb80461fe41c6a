"""Feeds for the tests and the benchmark: RSS documents built in code, feeds served on
127.0.0.1 with validators, and feeds recorded as polled."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from monitor.config.load import Config
from monitor.store.store import FeedPoll, Store


def rss(items: Iterable[dict], *, title: str = "Test feed", ttl: int | None = None) -> bytes:
    """An RSS 2.0 document; each item dict may give title, link, guid, description, pubDate (datetime)."""
    parts = []
    for item in items:
        fields = []
        for key in ("title", "link", "guid", "description", "author"):
            if key in item:
                fields.append(f"<{key}>{escape(item[key])}</{key}>")
        if "pubDate" in item:
            fields.append(f"<pubDate>{format_datetime(item['pubDate'])}</pubDate>")
        parts.append("<item>" + "".join(fields) + "</item>")
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/</link>{ttl_el}"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


class FeedServer:
    """Feeds served on 127.0.0.1 with ETag / Last-Modified, like a well-behaved publisher."""

    def __init__(self, httpserver: Any) -> None:
        self.http = httpserver
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.requests: dict[str, int] = {}

    def url(self, path: str) -> str:
        return self.http.url_for(path)

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        from werkzeug.wrappers import Response

        self.bodies[path] = (body, content_type)

        def handler(request):  # noqa: ANN001, ANN202
            self.requests[path] = self.requests.get(path, 0) + 1
            data, ctype = self.bodies[path]
            etag = '"' + hashlib.sha1(data).hexdigest() + '"'
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(data, status=200, headers={"ETag": etag, "Content-Type": ctype})

        if path not in self.requests:
            self.requests[path] = 0
            self.http.expect_request(path).respond_with_handler(handler)
        return self.url(path)

    def fail(self, path: str, status: int, headers: dict | None = None) -> str:
        self.http.expect_request(path).respond_with_data("", status=status, headers=headers or {})
        return self.url(path)


def mark_polled(store: Store, config: Config, now: datetime) -> None:
    """Every configured feed polled fine just now, as /feeds and /healthz then show it."""
    for feed in config.feeds:
        store.record_poll(
            FeedPoll(
                url=feed.url,
                name=feed.name,
                polled_at=now,
                status=200,
                outcome="ok",
                next_check_at=now + timedelta(minutes=15),
                failures=0,
            )  # fmt: skip
        )
