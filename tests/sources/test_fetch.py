"""fetch() against real servers on 127.0.0.1: validators, redirects, statuses, deadline, caps."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from email.utils import formatdate

import pytest
from hostile_feeds import RawServer, never_answer
from loopback_guard import loopback_session
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.errors import FetchError
from monitor.sources.fetch import FetchSession, HostLimiter, fetch
from monitor.sources.freshness import max_age_seconds, retry_after_seconds

USER_AGENT = "news-monitor-test/1.0 (+https://example.org/contact)"
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def session() -> Iterator[FetchSession]:
    s = loopback_session(USER_AGENT)  # every hop is vetted; the servers' own address passes
    yield s
    s.close()


# --- conditional GET ---------------------------------------------------------------------------


def test_etag_round_trip_gives_304_without_body(httpserver: HTTPServer, session: FetchSession):
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(FEED, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    httpserver.expect_request("/feed").respond_with_handler(handler)
    first = fetch(session, httpserver.url_for("/feed"))
    assert (first.status, first.body, first.etag) == (200, FEED, '"v1"')
    assert first.content_type == "application/rss+xml"

    second = fetch(session, httpserver.url_for("/feed"), etag=first.etag)
    assert second.status == 304
    assert second.body is None
    assert second.etag == '"v1"'  # kept for the next poll even though the 304 did not repeat it


def test_last_modified_round_trip(httpserver: HTTPServer, session: FetchSession):
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304, headers={"Last-Modified": stamp})
        return Response(FEED, headers={"Last-Modified": stamp})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    first = fetch(session, httpserver.url_for("/feed"))
    assert first.last_modified == stamp and first.body == FEED
    second = fetch(session, httpserver.url_for("/feed"), last_modified=first.last_modified)
    assert (second.status, second.body, second.last_modified) == (304, None, stamp)


def test_user_agent_and_accept_on_every_request(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_data(FEED)
    fetch(session, httpserver.url_for("/old"))
    assert len(httpserver.log) == 2
    for request, _ in httpserver.log:
        assert request.headers["User-Agent"] == USER_AGENT
        assert "application/rss+xml" in request.headers["Accept"]


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chain", "permanent"),
    [
        ([301], True),
        ([308], True),
        ([301, 308, 301], True),
        ([302], False),
        ([301, 302], False),
        ([307, 301], False),
        ([303], False),
    ],
)
def test_redirect_chains(httpserver: HTTPServer, session: FetchSession, chain, permanent):
    for hop, status in enumerate(chain):
        httpserver.expect_request(f"/hop{hop}").respond_with_data(
            "moved", status=status, headers={"Location": f"/hop{hop + 1}"}
        )
    final = httpserver.url_for(f"/hop{len(chain)}")
    httpserver.expect_request(f"/hop{len(chain)}").respond_with_data(FEED)

    result = fetch(session, httpserver.url_for("/hop0"))
    assert (result.status, result.body, result.final_url) == (200, FEED, final)
    assert result.url == httpserver.url_for("/hop0")
    assert result.permanent_redirect == (final if permanent else None)


def test_no_redirect_means_no_permanent_redirect(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/feed").respond_with_data(FEED)
    assert fetch(session, httpserver.url_for("/feed")).permanent_redirect is None


def test_redirect_loop_is_an_error(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    with pytest.raises(FetchError) as caught:
        fetch(session, httpserver.url_for("/loop"))
    assert caught.value.kind == "redirects"
    assert len(httpserver.log) == 6  # the first request and five redirects, then it stops


def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer, session: FetchSession):
    location = {"Location": "file:///etc/passwd"}
    httpserver.expect_request("/feed").respond_with_data("", status=301, headers=location)
    with pytest.raises(FetchError) as caught:
        fetch(session, httpserver.url_for("/feed"))
    assert caught.value.kind == "http"


# --- statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500])
def test_error_statuses_are_returned_not_raised(httpserver, session, status):
    httpserver.expect_request("/feed").respond_with_data("<html>error page</html>", status=status)
    result = fetch(session, httpserver.url_for("/feed"))
    assert (result.status, result.body, result.retry_after) == (status, None, None)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(httpserver: HTTPServer, session: FetchSession, status):
    headers = {"Retry-After": "120"}
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=status, headers=headers
    )
    result = fetch(session, httpserver.url_for("/feed"))
    assert (result.status, result.retry_after) == (status, 120.0)


def test_retry_after_as_http_date(httpserver: HTTPServer, session: FetchSession):
    headers = {"Retry-After": formatdate(time.time() + 90, usegmt=True)}
    httpserver.expect_request("/feed").respond_with_data("busy", status=503, headers=headers)
    retry_after = fetch(session, httpserver.url_for("/feed")).retry_after
    assert retry_after is not None and 85 <= retry_after <= 91


def test_http_dates_are_measured_on_the_servers_clock():
    server_now = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after_seconds("Wed, 21 Oct 2026 07:29:30 GMT", server_now) == 90.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:00:00 GMT", server_now) == 0.0
    assert retry_after_seconds("soon", server_now) is None
    headers = {"Expires": "Wed, 21 Oct 2026 09:28:00 GMT"}
    assert max_age_seconds(headers, server_now) == 7200.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=3600"}, 3600.0),
        ({"Cache-Control": "max-age=3600", "Age": "600"}, 3000.0),
        ({"Cache-Control": "no-cache, max-age=3600"}, None),
        ({}, None),
    ],
)
def test_freshness_hints(httpserver: HTTPServer, session: FetchSession, headers, expected):
    httpserver.expect_request("/feed").respond_with_data(FEED, headers=headers)
    assert fetch(session, httpserver.url_for("/feed")).max_age == expected


# --- hostile servers: deadline -----------------------------------------------------------------


def trickle_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
    conn.sendall(b"Content-Length: 100000\r\n\r\n")
    while not stop.wait(0.2):
        conn.sendall(b" ")


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    n = 0
    while not stop.wait(0.2):
        n += 1
        conn.sendall(f"X-Filler-{n}: y\r\n".encode())


@pytest.mark.parametrize("serve", [trickle_body, trickle_headers, never_answer])
def test_hostile_server_is_cut_at_the_total_deadline(session: FetchSession, serve):
    server = RawServer({"/feed": serve})
    try:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(session, server.url("/feed"), timeout=1.0)
        assert caught.value.kind == "timeout"
        assert time.monotonic() - started < 3.0  # generous: the point is that it returns at all
    finally:
        server.close()


def test_refused_connection_is_a_connect_error(session: FetchSession):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        fetch(session, f"http://127.0.0.1:{port}/feed", timeout=2.0)
    assert caught.value.kind == "connect"


# --- size caps ---------------------------------------------------------------------------------


def test_oversized_body_with_content_length(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/feed").respond_with_data(b"x" * 5000)
    with pytest.raises(FetchError) as caught:
        fetch(session, httpserver.url_for("/feed"), max_bytes=1000)
    assert caught.value.kind == "too_large"


def test_oversized_body_without_content_length(httpserver: HTTPServer, session: FetchSession):
    def stream() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    httpserver.expect_request("/feed").respond_with_response(Response(stream()))
    with pytest.raises(FetchError) as caught:
        fetch(session, httpserver.url_for("/feed"), max_bytes=10_000)
    assert caught.value.kind == "too_large"


def test_body_exactly_at_the_cap_is_accepted(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/feed").respond_with_data(b"x" * 1000)
    assert fetch(session, httpserver.url_for("/feed"), max_bytes=1000).body == b"x" * 1000


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """300 MB of spaces in under 300 KB: thirty 10 MB gzip members, one after another."""
    return gzip.compress(b" " * 10_000_000, compresslevel=9) * 30


def test_gzip_bomb_stops_at_the_decompressed_cap(httpserver, session, gzip_bomb):
    assert len(gzip_bomb) < 1_000_000
    headers = {"Content-Encoding": "gzip"}
    httpserver.expect_request("/feed").respond_with_data(gzip_bomb, headers=headers)
    with pytest.raises(FetchError) as caught:
        fetch(session, httpserver.url_for("/feed"), max_bytes=2_000_000)
    assert caught.value.kind == "too_large"


def test_gzip_body_is_decompressed(httpserver: HTTPServer, session: FetchSession):
    headers = {"Content-Encoding": "gzip"}
    httpserver.expect_request("/feed").respond_with_data(gzip.compress(FEED), headers=headers)
    assert fetch(session, httpserver.url_for("/feed")).body == FEED


# --- per-host limit ----------------------------------------------------------------------------


def test_host_limiter_holds_a_third_request_to_one_host():
    limiter = HostLimiter(per_host=2)
    entered = threading.Event()

    def third() -> None:
        with limiter.slot("http://feeds.example.org/c"):
            entered.set()

    with ExitStack() as held:
        held.enter_context(limiter.slot("http://feeds.example.org/a"))
        held.enter_context(limiter.slot("http://FEEDS.example.org:8080/b"))
        waiter = threading.Thread(target=third)
        waiter.start()
        assert not entered.wait(0.2)
        with limiter.slot("http://other.example.org/"):
            pass  # another host is not held up
    assert entered.wait(5)
    waiter.join()


def test_host_limiter_spaces_requests_to_one_host():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = HostLimiter(per_host=4, min_interval=5.0, clock=lambda: now[0], sleep=sleep)
    for path in ("a", "b", "c"):
        with limiter.slot(f"https://feeds.example.org/{path}"):
            now[0] += 1.0
    with limiter.slot("https://other.example.org/"):
        pass
    assert slept == [4.0, 4.0]


def test_fetch_through_a_limiter(httpserver: HTTPServer, session: FetchSession):
    httpserver.expect_request("/feed").respond_with_data(FEED)
    limiter = HostLimiter(per_host=1)
    results = [fetch(session, httpserver.url_for("/feed"), limiter=limiter) for _ in range(3)]
    assert [r.body for r in results] == [FEED] * 3
