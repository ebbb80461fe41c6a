"""Masking secrets in anything shown: the one function every output path calls (`mask`).

A secret is the userinfo of a URL, the value of a query parameter with a secret-looking name,
or a value the loaded config marked secret (a password, a header value, anything substituted
from `${VAR}`). The config's values are registered here when it is loaded, so that a log line,
an error, a page or a payload can be masked without knowing where its text came from.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
SECRET_PARAMS = frozenset(
    {"key", "apikey", "api_key", "token", "access_token", "auth", "sig", "signature"}
    | {"password", "secret"}
)
# Shorter values are too likely to be ordinary words or numbers to replace in free text; URLs
# are still masked by their structure whatever the length of the secret in them.
MIN_SECRET_LENGTH = 4
# A URL in free text: a scheme, then anything up to whitespace, a quote or a bracket.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>()\[\]{}]+")
# A secret parameter in free text, with or without its URL (urllib3 writes "url: /f?apikey=…";
# HTML writes "&amp;token=…"): only secret names match, so ordinary text costs one scan.
_PARAM_IN_TEXT = re.compile(
    r"(?<=[?&;])(" + "|".join(sorted(SECRET_PARAMS)) + r")=[^&\s\"'<>#]+", re.IGNORECASE
)

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
    return name.strip().lower() in SECRET_PARAMS


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


def mask(text: str) -> str:
    """`text` fit to show: every URL in it masked, every registered secret value as ***."""
    if not text:
        return text
    if "@" in text and "://" in text:  # userinfo; secret parameters are the next step's
        text = _URL_IN_TEXT.sub(lambda m: mask_url(m[0]) if "@" in m[0] else m[0], text)
    if "=" in text:
        text = _PARAM_IN_TEXT.sub(lambda m: f"{m[1]}={MASK}", text)
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
