"""Canonical article URLs (the URL half of the dedupe key) and unwrapping of redirector links.

A fragment names a place in a page and is dropped, except a route: `#!/…` (hashbang) and `#/…`
are how a single-page site names its pages, so `https://x.example/#!/a/status/1` and
`#!/search/gmail` are two articles, and a reader's link keeps the route.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import idna

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
# Characters left as they are in each component; everything else is percent-encoded.
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_KEY_SAFE = _UNRESERVED | (_SUB_DELIMS - {"&", "="}) | frozenset(":@/?")
_QUERY_VALUE_SAFE = _QUERY_KEY_SAFE | {"="}
_FRAGMENT_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/?")
_HEX = frozenset("0123456789abcdefABCDEF")

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that only say where a click came from, never which page it is.
_TRACKING_NAMES = """
    fbclid gclid dclid gbraid wbraid msclkid yclid igshid twclid ttclid li_fat_id mc_cid mc_eid
    _ga _gl _hsenc _hsmi _openstat mkt_tok oly_anon_id oly_enc_id rb_clickid s_cid sc_cid
    vero_conv vero_id wickedid ref_src ref_url cmpid ocid smid sr_share guccounter guce_referrer
    guce_referrer_sig at_medium at_campaign ns_mchannel ns_source ns_campaign ns_linkname ns_fee
    spm ito __twitter_impression hsctatracking
"""
_TRACKING_PARAMS = frozenset(_TRACKING_NAMES.split())
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_custom", "stm_")


def canonical_url(url: str) -> str:
    """The form of ``url`` under which an article is stored once.

    Input that is not an absolute http(s) URL comes back only trimmed of whitespace.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = _canonical_host(parts.hostname)
    if host is None:
        return url
    netloc = _userinfo(parts.netloc) + host
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_normalise_percent(parts.path, _PATH_SAFE)) or "/"
    fragment = _normalise_percent(_route(parts.fragment), _FRAGMENT_SAFE)
    return urlunsplit((parts.scheme, netloc, path, _canonical_query(parts.query), fragment))


def clean_link(url: str) -> str:
    """``url`` as a reader should be sent to it: without tracking parameters or fragment, and
    otherwise as the publisher wrote it (unlike ``canonical_url``, nothing is re-ordered)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in _DEFAULT_PORTS:
        return url
    kept = [f for f in parts.query.split("&") if f and not _is_tracking_param(f.partition("=")[0])]
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, "&".join(kept), _route(parts.fragment))
    )


def _route(fragment: str) -> str:
    """The fragment when it is a route (`!/…`, `/…`, a bare `!…` hashbang), else nothing."""
    return fragment if fragment.startswith(("!", "/")) else ""


def site_of(url: str) -> str:
    """The host of ``url`` in its canonical (ASCII, lower-case) form, without a leading ``www.``."""
    try:
        hostname = urlsplit(url.strip()).hostname
    except ValueError:
        return ""
    host = _canonical_host(hostname) if hostname else None
    if host is None:
        return ""
    return host.removeprefix("www.")


def _canonical_host(hostname: str) -> str | None:
    host = hostname.rstrip(".").lower()
    if not host:
        return None
    if ":" in host:  # an IPv6 literal, brackets stripped by urlsplit
        return f"[{host}]"
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return None


def _userinfo(netloc: str) -> str:
    userinfo, at, _ = netloc.rpartition("@")
    return userinfo + at


def _canonical_query(query: str) -> str:
    pairs: list[tuple[str, str | None]] = []
    for field in query.split("&"):
        if not field:
            continue
        key, eq, value = field.partition("=")
        if _is_tracking_param(key):
            continue
        pairs.append(
            (
                _normalise_percent(key, _QUERY_KEY_SAFE),
                _normalise_percent(value, _QUERY_VALUE_SAFE) if eq else None,
            )
        )
    pairs.sort(key=lambda pair: (pair[0], pair[1] is not None, pair[1] or ""))
    return "&".join(key if value is None else f"{key}={value}" for key, value in pairs)


def _is_tracking_param(key: str) -> bool:
    name = unquote(key.replace("+", " ")).strip().lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _normalise_percent(component: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape what must be."""
    out: list[str] = []
    i = 0
    while i < len(component):
        char = component[i]
        if char == "%" and component[i + 1 : i + 2] in _HEX and component[i + 2 : i + 3] in _HEX:
            byte = int(component[i + 1 : i + 3], 16)
            decoded = chr(byte)
            out.append(decoded if byte < 128 and decoded in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, so that ``/a/./b/../c`` and ``/a/c`` are one page."""
    if "." not in path:
        return path
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.split("/")[-1] in (".", ".."):
        output.append("")
    result = "/".join(output)
    return result if result.startswith("/") or not path.startswith("/") else "/" + result


# --- redirector links -------------------------------------------------------------------------

# host (without www.) -> (path prefix, query parameters that may carry the target, in order)
_REDIRECTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "google.com": ("/url", ("url", "q")),
    "news.google.com": ("/news/url", ("url",)),
    "l.facebook.com": ("/l.php", ("u",)),
    "lm.facebook.com": ("/l.php", ("u",)),
    "m.facebook.com": ("/l.php", ("u",)),
    "facebook.com": ("/l.php", ("u",)),
    "l.instagram.com": ("/", ("u",)),
    "youtube.com": ("/redirect", ("q",)),
    "t.umblr.com": ("/redirect", ("z",)),
    "out.reddit.com": ("/", ("url",)),
    "away.vk.com": ("/away.php", ("to",)),
    "vk.com": ("/away.php", ("to",)),
    "getpocket.com": ("/redirect", ("url",)),
    "duckduckgo.com": ("/l/", ("uddg",)),
    "slack-redir.net": ("/link", ("url",)),
    "steamcommunity.com": ("/linkfilter/", ("url", "u")),
    "safelinks.protection.outlook.com": ("/", ("url",)),
}
_SAFELINKS_SUFFIX = ".safelinks.protection.outlook.com"
_GOOGLE_NEWS_ARTICLE = re.compile(r"^/(?:rss/)?articles/([A-Za-z0-9_-]+)")
_GOOGLE_HOST = re.compile(r"^google\.(?:com?\.)?[a-z]{2,3}$")
_EMBEDDED_URL = re.compile(rb"https?://[\x21-\x7e]+")
_MAX_UNWRAPS = 4


def unwrap_link(url: str) -> str:
    """The target of a redirector link (Google News/Alerts, Facebook, ...) when the link itself
    carries it, else ``url`` unchanged."""
    current = url
    for _ in range(_MAX_UNWRAPS):
        target = _unwrap_once(current)
        if target is None:
            break
        current = target
    return current


def google_news_id(url: str) -> str | None:
    """The article id of a Google News link that does not carry its target (the newer
    ``AU_yqL…`` ids: only a request to Google can tell where it leads), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    found = _GOOGLE_NEWS_ARTICLE.match(parts.path) if host == "news.google.com" else None
    return found.group(1) if found else None


def _unwrap_once(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if host == "news.google.com" and (match := _GOOGLE_NEWS_ARTICLE.match(parts.path)):
        return _google_news_target(match.group(1))
    rule = _REDIRECTORS.get(_redirector_key(host))
    if rule is None or not parts.path.startswith(rule[0]):
        return None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in rule[1]:
        target = params.get(name, "").strip()
        if _is_http_url(target):
            return target
    return None


def _redirector_key(host: str) -> str:
    if _GOOGLE_HOST.match(host):
        return "google.com"  # every country domain serves the same /url redirector
    if host.endswith(_SAFELINKS_SUFFIX):
        return "safelinks.protection.outlook.com"  # one host per region: eur01., nam02., ...
    return host


def _google_news_target(article_id: str) -> str | None:
    """Older Google News ids are base64 protobufs with the article URL inside; newer ones
    (``AU_yqL…``) need a request to Google and are left alone."""
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except ValueError:
        return None
    match = _EMBEDDED_URL.search(raw)
    if match is None:
        return None
    start = match.start()
    length = _field_length(raw, start)
    candidate = raw[start : start + length] if 0 < length <= len(raw) - start else match.group()
    try:
        target = candidate.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return target if _is_http_url(target) else None


def _field_length(raw: bytes, start: int) -> int:
    """The length of the protobuf string field (tag 0x22) whose value begins at ``start``;
    0 when the bytes before it are not such a header."""
    if start >= 2 and raw[start - 2] == 0x22 and raw[start - 1] < 0x80:
        return raw[start - 1]
    if start >= 3 and raw[start - 3] == 0x22 and raw[start - 2] >= 0x80:
        return (raw[start - 2] & 0x7F) | (raw[start - 1] << 7)
    return 0


def _is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in _DEFAULT_PORTS and bool(parts.hostname)
