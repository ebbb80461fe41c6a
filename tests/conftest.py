"""Shared test helpers: the corpus location, config files and RSS documents built in the test."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
# bench/ is part of the repository, not of the installed package; the tests share its throwaway
# PostgreSQL cluster and webhook receiver with the workers benchmark.
sys.path.insert(0, str(REPO))


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


def write_config(directory: Path, body: str, name: str = "monitor.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


class FeedServer:
    """Feeds served on 127.0.0.1 with ETag / Last-Modified, like a well-behaved publisher."""

    def __init__(self, httpserver) -> None:  # noqa: ANN001
        self.http = httpserver
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.requests: dict[str, int] = {}

    def url(self, path: str) -> str:
        return self.http.url_for(path)

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        import hashlib

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


@pytest.fixture
def feeds(httpserver) -> FeedServer:  # noqa: ANN001
    return FeedServer(httpserver)


# PostgreSQL (DESIGN §15): one throwaway cluster per session, a database per test ------------


@pytest.fixture(scope="session")
def postgres_cluster():  # noqa: ANN201
    from bench.postgres import SKIP_REASON, Cluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed (pip install -e '.[dev]')")
    cluster = Cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:  # noqa: ANN001
    """A fresh, empty PostgreSQL database."""
    return postgres_cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:  # noqa: ANN001
    """The ``database`` setting of a fresh store on each backend: tests taking it run twice."""
    if request.param == "sqlite":
        return str(tmp_path / "monitor.db")
    return request.getfixturevalue("postgres_url")


# A signed-webhook receiver (tests/servers.py), for the alert tests --------------------------

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hook():  # noqa: ANN201
    """A webhook receiver on 127.0.0.1 that verifies each signature made with WEBHOOK_SECRET."""
    from servers import WebhookReceiver

    receiver = WebhookReceiver(WEBHOOK_SECRET)
    yield receiver
    receiver.close()
