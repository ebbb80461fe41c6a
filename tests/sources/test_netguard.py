"""The address guard: which addresses are refused, and fetch(guard=True) refusing them for real."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer

from monitor.errors import BlockedAddressError, FetchError
from monitor.sources.fetch import FetchSession, fetch, make_session
from monitor.sources.netguard import AddressGuard, Deadline, IPAddress, is_forbidden_address

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "169.254.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "100.100.100.200",  # metadata in CGNAT space
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.0.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # cloud metadata over IPv6
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    ],
)
def test_forbidden_addresses(address: str):
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:81c::200e",
        "::ffff:8.8.8.8",  # mapped form of a public address
        "64:ff9b::808:808",  # NAT64 of a public address
        "2002:808:808::1",  # 6to4 of a public address
    ],
)
def test_public_addresses_are_allowed(address: str):
    assert not is_forbidden_address(ipaddress.ip_address(address))


# --- fetch with the guard ----------------------------------------------------------------------

LOOPBACK = ipaddress.ip_address("127.0.0.1")


class FakeDNS:
    """Names the test controls; every lookup is counted."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        return self.table[host]


def loopback_is_public(ip: IPAddress) -> bool:
    """The policy, except that the test server's own address counts as public."""
    return ip != LOOPBACK and is_forbidden_address(ip)


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS(
        {
            "news.test": ["127.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "mixed.test": ["127.0.0.1", "10.0.0.7"],
        }
    )


@pytest.fixture
def session(dns: FakeDNS) -> Iterator[FetchSession]:
    s = make_session(
        "guard-test/1", address_guard=AddressGuard(resolve=dns, forbidden=loopback_is_public)
    )
    yield s
    s.close()


@pytest.fixture
def strict_session() -> Iterator[FetchSession]:
    s = make_session("guard-test/1")  # the real policy and the system resolver
    yield s
    s.close()


def test_guard_refuses_loopback(httpserver: HTTPServer, strict_session: FetchSession):
    httpserver.expect_request("/secret").respond_with_data("internal")
    url = f"http://127.0.0.1:{httpserver.port}/secret"
    with pytest.raises(BlockedAddressError) as caught:
        fetch(strict_session, url, guard=True)
    assert caught.value.kind == "blocked"
    assert httpserver.log == []
    # The same URL written into the config by the operator is trusted.
    assert fetch(strict_session, url, guard=False).body == b"internal"


def test_guard_refuses_localhost_by_name(httpserver: HTTPServer, strict_session: FetchSession):
    httpserver.expect_request("/secret").respond_with_data("internal")
    with pytest.raises(BlockedAddressError):
        fetch(strict_session, f"http://localhost:{httpserver.port}/secret", guard=True)
    assert httpserver.log == []


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[::1]"]
)
def test_guard_refuses_forbidden_literals(httpserver, strict_session: FetchSession, host: str):
    with pytest.raises(BlockedAddressError):
        fetch(strict_session, f"http://{host}:{httpserver.port}/latest/meta-data/", guard=True)
    assert httpserver.log == []


def test_guarded_fetch_connects_to_the_vetted_address(httpserver, session, dns: FakeDNS):
    httpserver.expect_request("/story").respond_with_data(FEED)
    result = fetch(session, f"http://news.test:{httpserver.port}/story", guard=True)
    # news.test exists only in the test's resolver: the socket went to the address it vetted,
    # with no second lookup for a rebinding name to answer differently.
    assert result.body == FEED
    assert dns.lookups == ["news.test"]


def test_a_name_with_any_private_address_is_refused(httpserver, session: FetchSession):
    httpserver.expect_request("/story").respond_with_data(FEED)
    with pytest.raises(BlockedAddressError):
        fetch(session, f"http://mixed.test:{httpserver.port}/story", guard=True)
    assert httpserver.log == []


@pytest.mark.parametrize(
    "target",
    [
        "http://metadata.test/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://[64:ff9b::7f00:1]:{port}/secret",
        "http://mixed.test:{port}/secret",
    ],
)
def test_redirect_from_allowed_host_to_forbidden_one(httpserver, session: FetchSession, target):
    location = target.format(port=httpserver.port)
    httpserver.expect_request("/story").respond_with_data(
        "", status=302, headers={"Location": location}
    )
    httpserver.expect_request("/secret").respond_with_data("internal")
    with pytest.raises(FetchError) as caught:
        fetch(session, f"http://news.test:{httpserver.port}/story", guard=True)
    assert caught.value.kind == "blocked"
    assert [request.path for request, _ in httpserver.log] == ["/story"]


def test_redirect_between_allowed_hosts_is_followed(httpserver, session: FetchSession):
    port = httpserver.port
    httpserver.expect_request("/story").respond_with_data(
        "", status=301, headers={"Location": f"http://news.test:{port}/moved"}
    )
    httpserver.expect_request("/moved").respond_with_data(FEED)
    result = fetch(session, f"http://news.test:{port}/story", guard=True)
    assert result.body == FEED
    assert result.permanent_redirect == f"http://news.test:{port}/moved"


def test_unguarded_fetch_skips_the_guard(httpserver, session, dns: FakeDNS):
    # allow_private_networks: true
    httpserver.expect_request("/feed").respond_with_data(FEED)
    assert fetch(session, httpserver.url_for("/feed"), guard=False).body == FEED
    assert dns.lookups == []


def test_a_trusted_url_is_fetched_but_its_redirect_is_vetted(httpserver, strict_session):
    # The operator wrote the first URL into the config; the server chose the second.
    httpserver.expect_request("/feed").respond_with_data(FEED)
    httpserver.expect_request("/moved").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/feed")}
    )
    assert fetch(strict_session, httpserver.url_for("/feed"), trusted=True).body == FEED
    with pytest.raises(BlockedAddressError) as caught:
        fetch(strict_session, httpserver.url_for("/moved"), trusted=True)
    assert f"redirect to {httpserver.url_for('/feed')} refused" in str(caught.value)
    assert [request.path for request, _ in httpserver.log] == ["/feed", "/moved"]


# --- HTTPS through the guard -------------------------------------------------------------------


class _TLSHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for news.test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=news.test",
         "-addext", "subjectAltName=DNS:news.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TLSHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], str(cert)
    server.shutdown()
    server.server_close()


@pytest.fixture
def tls_session(session: FetchSession, tls_server: tuple[int, str]) -> FetchSession:
    session.verify = tls_server[1]
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the test certificate
    return session


def test_guarded_https_verifies_the_original_host_name(tls_session, tls_server, dns: FakeDNS):
    port = tls_server[0]
    assert fetch(tls_session, f"https://news.test:{port}/", guard=True).body == FEED
    # The socket goes to the vetted address; the certificate is still checked against the name.
    dns.table["other.test"] = ["127.0.0.1"]
    with pytest.raises(FetchError) as caught:
        fetch(tls_session, f"https://other.test:{port}/", guard=True)
    assert caught.value.kind == "tls"


def test_trickle_over_tls_is_cut_at_the_deadline(tls_session, tls_server):
    port = tls_server[0]
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(tls_session, f"https://news.test:{port}/slow", guard=True, timeout=1.0)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 3.0
    # The pool recovers: the next request gets a fresh connection.
    assert fetch(tls_session, f"https://news.test:{port}/", guard=True).body == FEED


def test_a_short_deadline_set_after_a_long_one_still_cuts_on_time() -> None:
    long_running = threading.Event()
    finish = threading.Event()

    def hold_a_long_deadline() -> None:
        with Deadline(60):
            long_running.set()
            finish.wait(10)

    holder = threading.Thread(target=hold_a_long_deadline)
    holder.start()
    long_running.wait(5)
    ours, theirs = socket.socketpair()
    try:
        started = time.monotonic()
        with Deadline(0.3) as deadline:
            deadline.watch(ours)
            assert ours.recv(1) == b""  # the shut-down socket reads as closed
        assert 0.25 <= time.monotonic() - started < 5
        assert deadline.expired
    finally:
        finish.set()
        holder.join()
        ours.close()
        theirs.close()


def test_a_finished_deadline_leaves_its_sockets_alone() -> None:
    ours, theirs = socket.socketpair()
    try:
        with Deadline(0.1) as deadline:
            deadline.watch(ours)
        time.sleep(0.3)  # past the deadline that already ended
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"
    finally:
        ours.close()
        theirs.close()
