"""Signed-in browsers: a random session id in the cookie, what it stands for kept here.

The cookie holds nothing derived from a token, so a stolen cookie dies when it expires or at
logout, and it tells nothing about the token. The store is in memory: a restart signs every
browser out, which costs a login. Ids are kept hashed, and compared through a dict look-up of
the hash (the id's own bytes never meet a comparison that could leak their prefix).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=12)  # a working day; then the form again
MAX_SESSIONS = 10_000  # past this the oldest go first: logins need the token, but still


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    credential: str  # fingerprint of the token it was opened with (see auth.fingerprint)
    expires: datetime


class Sessions:
    def __init__(self, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.lifetime = lifetime
        self._open: dict[str, Session] = {}  # sha256 of the id -> session
        self._lock = threading.Lock()

    def open(self, credential: str, now: datetime) -> str:
        """A new session for a browser that just proved it holds a token; returns the id."""
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._drop_expired(now)
            while len(self._open) >= MAX_SESSIONS:
                del self._open[next(iter(self._open))]
            self._open[_key(session_id)] = Session(
                credential=credential, expires=now + self.lifetime
            )
        return session_id

    def credential(self, session_id: str | None, now: datetime) -> str | None:
        """The fingerprint of the token the session was opened with, while it lasts."""
        if not session_id:
            return None
        with self._lock:
            session = self._open.get(_key(session_id))
            if session is None:
                return None
            if session.expires <= now:
                del self._open[_key(session_id)]
                return None
            return session.credential

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._open.pop(_key(session_id), None)

    def _drop_expired(self, now: datetime) -> None:
        for key in [k for k, s in self._open.items() if s.expires <= now]:
            del self._open[key]


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
