"""Making text fit to show: the one function every output path calls (`mask`).

A secret is the userinfo of a URL, the value of a query parameter with a secret-looking name,
or a value the loaded config marked secret (a password, a header value, anything substituted
from `${VAR}`). The config's values are registered here when it is loaded, so that a log line,
an error, a page or a payload can be masked without knowing where its text came from.

The same gate drops Unicode bidirectional controls, with which a feed's title can make
"invoice <U+202E>gpj.exe" read as "invoice exe.jpg" in a mail, a chat or the page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Parameter names that carry a secret, as compared: percent-decoded, lower case, "-" as "_".
SECRET_PARAMS = frozenset(
    {"key", "apikey", "api_key", "token", "access_token", "auth", "sig", "signature"}
    | {"password", "secret", "passwd", "pwd", "pass", "client_secret", "private_token"}
    | {"refresh_token", "id_token", "auth_token", "authtoken", "apitoken", "api_token"}
    | {"access_key", "secret_key", "private_key", "app_key", "appkey", "app_secret"}
    | {"consumer_key", "consumer_secret", "oauth_token", "oauth_signature", "jwt", "bearer"}
    | {"sessionid", "session_id", "credential", "credentials", "authorization", "x_api_key"}
)
# ... and any name ending like one of these (x_amz_security_token, github_secret, db_password).
# Not every "_key": the masked URL is also a feed's identity, and sort_key=a and sort_key=b
# must stay two feeds.
_SECRET_ENDINGS = (
    *("token", "secret", "password", "passwd", "apikey", "api_key"),
    *("access_key", "secret_key", "private_key", "signature"),
)
# Shorter values are too likely to be ordinary words or numbers to replace in free text; URLs
# are still masked by their structure whatever the length of the secret in them.
MIN_SECRET_LENGTH = 4
# A URL in free text: a scheme, then anything up to whitespace, a quote or a bracket.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>()\[\]{}]+")
# A parameter in free text, with or without its URL (urllib3 writes "url: /f?apikey=…"; HTML
# writes "&amp;token=…"); whether its name is a secret one is decided by is_secret_param.
_PARAM_IN_TEXT = re.compile(r"(?<=[?&;])([A-Za-z0-9_.%+-]{1,64})=([^&\s\"'<>#]+)")

# Embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and the marks (LRM, RLM, ALM):
# nothing a reader needs, and all a title needs to show its words in another order.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_NO_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))

_lock = threading.Lock()
_known: tuple[str, ...] = ()


def mask_url(url: str) -> str:
    """The URL without its userinfo and with secret-looking query parameters' values as ***.

    It is also a feed's identity in the database, so that a changed password or API key does
    not make a known feed (and every article it carried) new.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_query(parts.query), parts.fragment))


def _mask_query(query: str) -> str:
    return "&".join(
        f"{name}={MASK}" if is_secret_param(name) else f"{name}{sep}{value}"
        for name, sep, value in (p.partition("=") for p in query.split("&") if p)
    )


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's name says it carries a secret, however it is spelled:
    any case, percent-encoded (``Api%5Fkey``, even twice), ``-`` for ``_``."""
    plain = name
    for _ in range(3):  # a doubly encoded name decodes in two steps
        decoded = unquote(plain)
        if decoded == plain:
            break
        plain = decoded
    plain = plain.strip().lower().replace("-", "_")
    return plain in SECRET_PARAMS or plain.endswith(_SECRET_ENDINGS)


def secrets_in_url(url: str) -> list[str]:
    """The secret values a URL carries (userinfo parts, secret parameters), to register."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [v for v in (parts.username, parts.password) if v]
    found += [
        value
        for name, _, value in (p.partition("=") for p in parts.query.split("&") if p)
        if is_secret_param(name) and value
    ]
    return found


def register(values: Iterable[str]) -> None:
    """Make `values` the secrets of the running config (replacing those of an earlier one)."""
    global _known
    unique = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    # Longest first, so that a secret containing another is replaced whole.
    with _lock:
        _known = tuple(sorted(unique, key=lambda v: (-len(v), v)))


def registered() -> tuple[str, ...]:
    return _known


def without_bidi_controls(text: str) -> str:
    return text.translate(_NO_BIDI)


def mask(text: str) -> str:
    """`text` fit to show: every URL in it masked, every registered secret value as ***, no
    bidirectional control left."""
    if not text:
        return text
    text = without_bidi_controls(text)
    if "@" in text and "://" in text:  # userinfo; secret parameters are the next step's
        text = _URL_IN_TEXT.sub(lambda m: mask_url(m[0]) if "@" in m[0] else m[0], text)
    if "=" in text:
        text = _PARAM_IN_TEXT.sub(
            lambda m: f"{m[1]}={MASK}" if is_secret_param(m[1]) else m[0], text
        )
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def host_of(url: str) -> str:
    """The host a source is named by where its name is unknown (never its full URL)."""
    try:
        return urlsplit(url).hostname or mask_url(url)
    except ValueError:
        return mask_url(url)
