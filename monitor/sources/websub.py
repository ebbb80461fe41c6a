"""WebSub (W3C Recommendation), what a subscriber says to hubs and reads from them: a feed's
hub and topic, a subscription request, the signature of a pushed body (DESIGN §17). When to
subscribe, renew or leave is decided by the service; the callbacks are served by the web page.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from monitor.errors import FetchError
from monitor.secrets import mask_url
from monitor.sources.fetch import FetchSession
from monitor.sources.netguard import Deadline

# Hubs still sign with SHA-1 more often than not (the W3C text says so, and WordPress's hub
# does): refusing it would drop every push from them. HMAC-SHA1 has no known forgery (the
# collisions found in SHA-1 do not carry over to HMAC), so it is accepted beside the SHA-2s.
ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
HEAD_BYTES = 64 * 1024  # a feed names its hub in its head, before the first entry
_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.I)
_FIRST_ENTRY = re.compile(rb"<(?:[\w.-]+:)?(?:entry|item)[\s>/]", re.I)
_LINK_TAG = re.compile(rb"<(?:[\w.-]+:)?link\b([^>]*)>", re.I)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, slots=True, kw_only=True)
class HubLinks:
    """Where a feed is pushed from (``hub``) and the URL it is known by there (``topic``)."""

    hub: str
    topic: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HubAnswer:
    status: int
    text: str  # the start of the body, to show why a hub refused


def callback_id(feed_url: str) -> str:
    """The feed's id in its callback URL, ``/websub/<id>``: the same for every worker and
    across restarts, and no URL (whose query might hold a key) in the callback."""
    return hashlib.blake2b(feed_url.encode(), digest_size=10).hexdigest()


def discover(*, url: str, link_header: str | None, body: bytes | None) -> HubLinks | None:
    """The hub and topic a fetched feed names: in its HTTP ``Link`` header, which the
    specification puts first, else in ``<link rel="hub">`` / ``<atom:link rel="hub">`` of the
    document's head. The topic is its ``rel="self"`` URL, else the URL fetched."""
    for links in (_header_links(link_header or ""), _document_links(body or b"")):
        hubs = [_absolute(href, url) for rel, href in links if rel == "hub"]
        hub = next((h for h in hubs if h), None)
        if hub:
            selves = [_absolute(href, url) for rel, href in links if rel == "self"]
            return HubLinks(hub=hub, topic=next((s for s in selves if s), None) or url)
    return None


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature`` (``method=hex``) is the HMAC of ``body`` with ``secret``."""
    method, _, given = (header or "").strip().partition("=")
    digest = ALGORITHMS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def hub_request(
    session: FetchSession,
    hub: str,
    form: dict[str, str],
    *,
    guard: bool,
    timeout: float = 20.0,
) -> HubAnswer:
    """POST a subscription request (``hub.mode``, ``hub.topic``, ``hub.callback``, ...) to a
    hub; a hub found in feed content goes through the address guard (``guard``) like any link
    from content. Raises FetchError when no answer came."""
    if urlsplit(hub).scheme.lower() not in ("http", "https"):
        raise FetchError("http", f"{mask_url(hub)}: a hub must be an http or https URL")
    request = session.prepare_request(requests.Request("POST", hub, data=form))
    settings = session.merge_environment_settings(hub, {}, True, None, None)
    adapter = session.guarded_adapter if guard else session.plain_adapter
    try:
        with Deadline(timeout):
            response = adapter.send(
                request,
                stream=True,
                timeout=(timeout, timeout),
                verify=settings["verify"],
                cert=settings["cert"],
                proxies={} if guard else settings["proxies"],
            )
            with response:
                text = response.raw.read(500, decode_content=True) or b""
    except (requests.RequestException, OSError) as exc:
        raise FetchError("http", f"{mask_url(hub)}: {type(exc).__name__}: {exc}") from exc
    return HubAnswer(status=response.status_code, text=text.decode("utf-8", "replace").strip())


def _header_links(header: str) -> list[tuple[str, str]]:
    found = []
    for target, params in _LINK_VALUE.findall(header):
        for rel in _REL.findall(params):
            found += [(name.lower(), target.strip()) for name in "".join(rel).split()]
    return found


def _document_links(body: bytes) -> list[tuple[str, str]]:
    head = body[:HEAD_BYTES]
    entry = _FIRST_ENTRY.search(head)
    head = head[: entry.start()] if entry else head
    found = []
    for attributes in _LINK_TAG.findall(head):
        values = {
            name.lower().split(b":")[-1]: (double or single)
            for name, double, single in _ATTRIBUTE.findall(attributes)
        }
        rel, href = values.get(b"rel"), values.get(b"href")
        if rel and href:
            text = html.unescape(href.decode("utf-8", "replace")).strip()
            found += [(name.lower(), text) for name in rel.decode("ascii", "replace").split()]
    return found


def _absolute(href: str, base: str) -> str | None:
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None
