"""Who may read the page, and who may edit: the configured tokens, as a bearer header or a
login cookie; and the CSRF token every editing form carries.

The cookie carries a random session id (sessions.py), nothing derived from a token, and every
comparison of a token is constant-time. The reader token reads; the editor token reads and edits
(DESIGN §18); without an editor token nobody edits.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

COOKIE = "news_monitor_session"
CSRF_FIELD = "csrf_token"
Role = Literal["reader", "editor"]


def fingerprint(token: str) -> str:
    """What a session remembers of the token it was opened with: an HMAC of a fixed label under
    the token, so a changed token ends the sessions opened with the old one."""
    return hmac.new(token.encode(), b"news-monitor web session", hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def role(
    token: str | None, editor_token: str | None, authorization: str | None, held: str | None
) -> Role | None:
    """What a request may do: edit, read, or nothing (None: it must sign in). ``held`` is the
    fingerprint of the token its session was opened with, if it has a live one."""

    def carries(secret: str | None) -> bool:
        if secret is None:
            return False
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and same(given.strip(), secret):
            return True
        return held is not None and same(held, fingerprint(secret))

    if carries(editor_token):
        return "editor"
    if token is None or carries(token):
        return "reader"
    return None


def signed_in_as(token: str | None, editor_token: str | None, given: str) -> str | None:
    """The configured token the login form's `given` is (editor first), or None."""
    for secret in (editor_token, token):
        if secret is not None and same(given, secret):
            return secret
    return None


def csrf_token(editor_token: str) -> str:
    """The value every editing form carries: derived from the editor's credential under a
    label of its own, so a page of another site can neither read nor guess it, while the
    editor's cookie alone (sent by the browser on a forged POST) is not enough."""
    return hmac.new(editor_token.encode(), b"news-monitor csrf", hashlib.sha256).hexdigest()


def csrf_ok(editor_token: str, given: str | None) -> bool:
    return given is not None and same(given, csrf_token(editor_token))
