"""HTTP for feeds and pages: total deadline, decompressed-size cap, conditional GET, redirects.

Redirects are followed here, one hop at a time, so that every hop goes through the address guard
and so that a chain of only permanent redirects can be reported to the caller. The one hop that
may skip the guard is the first one to a URL the operator wrote (``trusted``): where that URL
redirects is the server's word, not the operator's.
HTTP error statuses come back in the FetchResult; only transport failures raise FetchError.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from monitor.errors import BlockedAddressError, FetchError
from monitor.secrets import mask_url
from monitor.sources.freshness import max_age_seconds, retry_after_seconds, server_now
from monitor.sources.netguard import AddressGuard, Deadline, GuardedAdapter

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_STATUSES = frozenset({301, 308})
_CHUNK = 64 * 1024
# Bodies of errors and redirects up to this size are read so that the connection can be reused.
_DISCARD_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """One completed request, whatever its status.

    ``etag``/``last_modified`` are the validators to send next time. ``permanent_redirect`` is
    set when every hop to ``final_url`` was a 301 or 308, whatever the final status.
    """

    url: str
    final_url: str
    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    permanent_redirect: str | None
    retry_after: float | None
    max_age: float | None
    elapsed: float
    link: str | None = None  # the Link header: a WebSub hub may be named there (DESIGN §17)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Hop:
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    location: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceAuth:
    """A private source's credentials and the one origin they may be sent to.

    The origin is (scheme, host, port) of the source's configured URL, as browsers define it:
    another host name, another port or a switch to plain http is another origin, so neither a
    redirect nor an article link can carry the credentials away.
    """

    origin: tuple[str, str, int]
    headers: Mapping[str, str] = field(repr=False)

    @classmethod
    def for_source(
        cls,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SourceAuth | None:
        sent = dict(headers or {})
        if username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            sent.setdefault("Authorization", f"Basic {token}")
        return cls(origin=origin_of(url), headers=sent) if sent else None

    def headers_for(self, url: str) -> Mapping[str, str]:
        return self.headers if origin_of(url) == self.origin else {}


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


class HostLimiter:
    """At most ``per_host`` requests at once to one host, and ``min_interval`` between starts."""

    def __init__(
        self,
        per_host: int = 2,
        *,
        min_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_host = per_host
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's slots for the duration of the block."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        semaphore.acquire()
        try:
            self._wait_turn(host)
            yield
        finally:
            semaphore.release()

    def _wait_turn(self, host: str) -> None:
        if self.min_interval <= 0:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self.min_interval
        if start > now:
            self._sleep(start - now)


class FetchSession(requests.Session):
    """One shared session: pooled connections, plus a separate guarded pool for feed links."""

    def __init__(self, *, user_agent: str, address_guard: AddressGuard) -> None:
        super().__init__()
        self.headers["User-Agent"] = user_agent
        self.address_guard = address_guard
        self.plain_adapter = GuardedAdapter(None)
        self.guarded_adapter = GuardedAdapter(address_guard)
        self.mount("http://", self.plain_adapter)
        self.mount("https://", self.plain_adapter)

    def close(self) -> None:
        super().close()
        self.guarded_adapter.close()


def make_session(user_agent: str, *, address_guard: AddressGuard | None = None) -> FetchSession:
    """The session every fetch shares; ``address_guard`` replaces DNS and the policy in tests."""
    return FetchSession(user_agent=user_agent, address_guard=address_guard or AddressGuard())


def fetch(
    session: FetchSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    guard: bool = True,
    trusted: bool = False,
    limiter: HostLimiter | None = None,
    accept: str = FEED_ACCEPT,
    auth: SourceAuth | None = None,
) -> FetchResult:
    """GET ``url``, following up to MAX_REDIRECTS redirects, within ``timeout`` seconds in all.

    Waiting for a HostLimiter slot does not count against the timeout; talking to servers does.
    ``auth`` goes with every hop to its own origin and with no other. With ``guard`` every hop
    must reach a public address, except the first when ``trusted`` (the operator wrote ``url``);
    ``guard=False`` is ``allow_private_networks: true``.
    """
    started = time.monotonic()
    headers = _request_headers(accept, etag, last_modified)
    budget, current = timeout, url
    redirects: list[int] = []
    for number in range(MAX_REDIRECTS + 1):
        vetted = guard and not (trusted and number == 0)
        with limiter.slot(current) if limiter else nullcontext(), Deadline(budget) as deadline:
            sent = {**headers, **auth.headers_for(current)} if auth else headers
            try:
                hop = _exchange(session, current, sent, deadline, max_bytes=max_bytes, guard=vetted)
            except BlockedAddressError as exc:
                if not redirects:
                    raise
                raise BlockedAddressError(
                    f"{mask_url(url)}: redirect to {mask_url(current)} refused: {exc}"
                ) from exc
        budget = deadline.remaining()
        if hop.location is None:
            return _result(url, current, hop, redirects, etag, last_modified, started)
        redirects.append(hop.status)
        current = hop.location
    raise FetchError("redirects", f"{mask_url(url)}: more than {MAX_REDIRECTS} redirects")


def _request_headers(accept: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _exchange(
    session: FetchSession,
    url: str,
    headers: dict[str, str],
    deadline: Deadline,
    *,
    max_bytes: int,
    guard: bool,
) -> _Hop:
    """One request and its response, inside the deadline."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError("http", f"{mask_url(url)}: only http and https URLs can be fetched")
    if deadline.expired:
        raise FetchError("timeout", f"{mask_url(url)}: no time left for the request")
    request = session.prepare_request(requests.Request("GET", url, headers=headers))
    settings = session.merge_environment_settings(url, {}, True, None, None)
    # With the guard on, a proxy would be the address we connect to; go direct instead.
    proxies = {} if guard else settings["proxies"]
    adapter = session.guarded_adapter if guard else session.plain_adapter
    per_socket = max(deadline.remaining(), 0.001)
    try:
        response = adapter.send(
            request,
            stream=True,
            timeout=(per_socket, per_socket),
            verify=settings["verify"],
            cert=settings["cert"],
            proxies=proxies,
        )
        with response:
            hop = _read_hop(response, url, deadline, max_bytes)
    except (requests.RequestException, OSError) as exc:
        raise _transport_error(exc, url, deadline) from exc
    if deadline.expired:
        raise FetchError("timeout", f"{mask_url(url)}: no complete response within the deadline")
    return hop


def _read_hop(response: requests.Response, url: str, deadline: Deadline, max_bytes: int) -> _Hop:
    status = response.status_code
    location = response.headers.get("Location") if status in _REDIRECT_STATUSES else None
    body = _read_body(response, url, deadline, max_bytes) if 200 <= status < 300 else None
    if body is None:
        _discard_body(response)
    target = urljoin(url, _decode_header(location)) if location else None
    return _Hop(status=status, headers=response.headers, body=body, location=target)


def _read_body(response: requests.Response, url: str, deadline: Deadline, max_bytes: int) -> bytes:
    """The decompressed body, refused once it passes max_bytes."""
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if not encoded and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"{mask_url(url)}: {declared} bytes is more than {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", f"{mask_url(url)}: body is more than {max_bytes} bytes")
        if deadline.expired:
            raise FetchError("timeout", f"{mask_url(url)}: body not complete within the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def _discard_body(response: requests.Response) -> None:
    # A short body read to its end lets the connection go back to the pool; a long one is
    # cut by closing the response.
    read = 0
    for chunk in response.iter_content(_CHUNK):
        read += len(chunk)
        if read > _DISCARD_LIMIT:
            return


def _decode_header(value: str) -> str:
    # http.client decodes header bytes as latin-1; servers send UTF-8 in Location.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _transport_error(exc: BaseException, url: str, deadline: Deadline) -> FetchError:
    if deadline.expired or _is_timeout(exc):
        return FetchError("timeout", f"{mask_url(url)}: timed out")
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError("tls", f"{mask_url(url)}: TLS failed: {_root_cause(exc)}")
    if isinstance(exc, requests.ConnectionError):
        return FetchError("connect", f"{mask_url(url)}: connection failed: {_root_cause(exc)}")
    return FetchError("http", f"{mask_url(url)}: bad response: {_root_cause(exc)}")


def _root_cause(exc: BaseException) -> str:
    """The innermost reason, without urllib3's pool and retry wrapping (one readable line)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    if isinstance(exc, socket.gaierror) or "NameResolution" in type(exc).__name__:
        return "cannot resolve the host name"
    text = str(exc).split(": ", 1)[-1] if "HTTPConnection" in str(exc) else str(exc)
    return (text or type(exc).__name__).splitlines()[0][:200]


def _is_timeout(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, NewConnectionError):  # urllib3 files a refusal under timeouts
            return False
        if isinstance(exc, requests.Timeout | TimeoutError | Urllib3TimeoutError):
            return True
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return False


def _result(
    url: str,
    final_url: str,
    hop: _Hop,
    redirects: list[int],
    etag: str | None,
    last_modified: str | None,
    started: float,
) -> FetchResult:
    headers = hop.headers
    not_modified = hop.status == 304
    now = server_now(headers)
    permanent = bool(redirects) and all(s in _PERMANENT_STATUSES for s in redirects)
    return FetchResult(
        url=url,
        final_url=final_url,
        status=hop.status,
        body=hop.body,
        # A 304 need not repeat the validators; the ones we sent are still the right ones.
        etag=headers.get("ETag") or (etag if not_modified else None),
        last_modified=headers.get("Last-Modified") or (last_modified if not_modified else None),
        content_type=headers.get("Content-Type"),
        permanent_redirect=final_url if permanent else None,
        retry_after=retry_after_seconds(headers.get("Retry-After"), now),
        max_age=max_age_seconds(headers, now),
        elapsed=time.monotonic() - started,
        link=headers.get("Link"),
    )
