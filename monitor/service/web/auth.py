"""Who may read the page: the configured token, as a bearer header or a login cookie.

The cookie carries a value derived from the token (never the token itself), and every
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

COOKIE = "news_monitor_session"


def session_value(token: str) -> str:
    """What the login cookie holds: an HMAC of a fixed label under the token."""
    return hmac.new(token.encode(), b"news-monitor web session", hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def allowed(token: str | None, authorization: str | None, cookie: str | None) -> bool:
    """Whether a request may read the page: no token configured, or it carries the token."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and same(given.strip(), token):
        return True
    return cookie is not None and same(cookie, session_value(token))
