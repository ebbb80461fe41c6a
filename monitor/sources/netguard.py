"""Connection-level protection against hostile servers: refusing loopback, private, link-local
and metadata addresses for links taken from feeds, and cutting any connection at its deadline.

The address check runs at connect time on the address the socket is about to reach, so a name that
resolves to a public address when looked at and to a private one a moment later gains nothing:
the vetted address is the one connected to, and no second lookup happens.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import parse_url
from urllib3.util.connection import create_connection

from monitor.errors import BlockedAddressError, FetchError
from monitor.secrets import mask_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# Ranges that ipaddress does not flag as non-global in every Python version we support.
_EXTRA_FORBIDDEN_V4 = (_V4("100.64.0.0/10"), _V4("192.0.0.0/24"), _V4("198.18.0.0/15"))
_EXTRA_FORBIDDEN_V6 = (
    _V6("64:ff9b:1::/48"),  # local-use NAT64: translates into the operator's own networks
    _V6("::/96"),  # deprecated IPv4-compatible form
    _V6("fec0::/10"),  # site-local
    _V6("2001::/32"),  # Teredo: the client address is obfuscated, so it cannot be vetted
)
_NAT64 = _V6("64:ff9b::/96")
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


def is_forbidden_address(ip: IPAddress) -> bool:
    """True for any address a link from feed content must not reach."""
    if ip in METADATA_ADDRESSES:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_forbidden_address(embedded)
        if any(ip in net for net in _EXTRA_FORBIDDEN_V6) or ip.is_site_local:
            return True
    elif any(ip in net for net in _EXTRA_FORBIDDEN_V4):
        return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address leads to, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host:port (TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressGuard:
    """How names are resolved and which addresses are refused; both replaceable in tests."""

    resolve: Resolver = system_resolver
    forbidden: Callable[[IPAddress], bool] = is_forbidden_address

    def vetted_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve host once and refuse it if any of its addresses is forbidden."""
        literal = _literal_address(host)
        found = [literal] if literal else [_parse(a) for a in self.resolve(host, port)]
        if not found:
            raise socket.gaierror(f"no address for {host}")
        for ip in found:
            if self.forbidden(ip):
                named = f"{host} is" if literal else f"{host} resolves to {ip}, which is"
                raise BlockedAddressError(f"{named} not a public address")
        return found

    def connect(
        self,
        host: str,
        port: int,
        *,
        timeout: float | None,
        source_address: tuple[str, int] | None = None,
        socket_options: list[tuple[int, int, int | bytes]] | None = None,
    ) -> socket.socket:
        """A socket connected to one of host's vetted addresses, never to anything else."""
        last_error: OSError | None = None
        for ip in self.vetted_addresses(host, port):
            try:
                return create_connection(
                    (str(ip), port),
                    timeout,
                    source_address=source_address,
                    socket_options=socket_options,
                )
            except OSError as exc:
                last_error = exc
        assert last_error is not None  # vetted_addresses never returns an empty list
        raise last_error


def vet_url(guard: AddressGuard, url: str) -> None:
    """Raise FetchError unless every address ``url``'s host resolves to is one ``guard`` allows
    (BlockedAddressError when one is forbidden), for a URL checked without being fetched; a
    name that does not resolve cannot be vetted."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
        # the host urllib3 connects to, which is not always urlsplit's: in
        # "http://127.0.0.1\\@example.org/" one reads 127.0.0.1 and the other example.org
        connected = parse_url(url).host or ""
    except (ValueError, LocationParseError) as exc:
        raise FetchError("http", f"{mask_url(url)}: not a URL that can be fetched") from exc
    if not host or scheme not in ("http", "https"):
        raise FetchError("http", f"{mask_url(url)}: not an http or https URL with a host")
    if connected.strip("[]").lower() != host:
        raise FetchError("http", f"{mask_url(url)}: its host reads two ways")
    try:
        guard.vetted_addresses(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchError("connect", f"{mask_url(url)}: cannot resolve {host}") from exc


def _literal_address(host: str) -> IPAddress | None:
    try:
        return _parse(host.strip("[]"))
    except ValueError:
        return None


def _parse(address: str) -> IPAddress:
    # A zone index (fe80::1%eth0) does not change which network the address is in.
    return ipaddress.ip_address(address.split("%", 1)[0])


def _guarded_new_conn(conn: HTTPConnection, guard: AddressGuard) -> socket.socket:
    """urllib3's _new_conn, connecting only to addresses the guard vetted."""
    try:
        return guard.connect(
            conn._dns_host,
            conn.port or 0,
            timeout=conn.timeout,  # type: ignore[arg-type]
            source_address=conn.source_address,
            socket_options=conn.socket_options,
        )
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    except TimeoutError as exc:
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out") from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc


# The deadline in force for the exchange running on this thread; connections report their
# sockets to it so that it can cut them when time is up.
_active = threading.local()


class Deadline:
    """A total time limit for one exchange; when it passes, the sockets in use are shut down.

    Socket timeouts restart on every byte, so a server trickling one byte a second (or sending
    headers forever) would otherwise hold the worker indefinitely. Use as a context manager on
    the thread that makes the request.
    """

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + max(seconds, 0.0)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._fired = False
        self._done = False

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self._fired or self.remaining() <= 0

    @property
    def done(self) -> bool:
        return self._done

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            if self._fired:
                _shut(sock)
            self._sockets.append(sock)

    def expire(self) -> None:
        """Shut every socket in use down now (the watchdog calls this when time is up)."""
        with self._lock:
            if self._done:
                return
            self._fired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Deadline:
        _active.deadline = self
        _watchdog.watch(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        _active.deadline = None


class _Watchdog:
    """One thread for every Deadline of the process, asleep until the earliest one passes.

    A timer thread per request cost 150 µs of CPU to start and cancel, more than the rest of a
    conditional GET's own work; finished deadlines are dropped when they reach the front.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._queue: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties never compare two Deadlines
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._queue, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif self._queue[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._queue and self._queue[0][2].done:
                    heapq.heappop(self._queue)
                if not self._queue:
                    self._wake.wait()
                    continue
                delay = self._queue[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                heapq.heappop(self._queue)[2].expire()


_watchdog = _Watchdog()


def _shut(sock: socket.socket) -> None:
    # The plain socket method, also for TLS sockets: SSLSocket.shutdown would drop its SSL
    # object under the reading thread's feet; this only makes the pending read see EOF.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_active, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _Guarded:
    """Vets where it connects when ``address_guard`` is set; always obeys the Deadline.
    Mixed into urllib3's HTTP and HTTPS connections (TLS still verifies the original host)."""

    address_guard: ClassVar[AddressGuard | None] = None
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        if self.address_guard is None:
            return super()._new_conn()  # type: ignore[misc]
        return _guarded_new_conn(self, self.address_guard)  # type: ignore[arg-type]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a connection reused from the pool is already connected
        super().request(*args, **kwargs)  # type: ignore[misc]


class GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


def _pool_classes(guard: AddressGuard | None) -> dict[str, type[HTTPConnectionPool]]:
    http = type("HTTPConnection", (GuardedHTTPConnection,), {"address_guard": guard})
    https = type("HTTPSConnection", (GuardedHTTPSConnection,), {"address_guard": guard})
    return {
        "http": type("HTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("HTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }


class GuardedAdapter(HTTPAdapter):
    """Pooled connections that obey the Deadline and, given a guard, vet every address."""

    def __init__(self, guard: AddressGuard | None) -> None:
        self._pools = _pool_classes(guard)
        super().__init__(pool_connections=64, pool_maxsize=8)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = self._pools
        return manager
