"""The SQL both backends take, and which backend a ``database`` setting names.

Portable SQL (every statement of the store's modules): ``?`` or ``:name`` placeholders,
``INSERT ... ON CONFLICT ... DO NOTHING / DO UPDATE``, integers for flags (``gone <> 0``,
never a bare ``WHERE gone``), ISO-8601 text for times, no engine-only functions. What truly
differs is the backend's (backend.py).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_SCHEME = "sqlite"
# A scheme is letters then letters, digits, + - . and a colon; one letter is a drive (C:\...).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


class Connection(Protocol):
    """What both backends' connections offer: sqlite3's execute/executemany, portable SQL in,
    a cursor out (fetchone, fetchall, rowcount, iteration; rows by index, by name, dict())."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


def scheme(database: str) -> str:
    """The URL scheme of a ``database`` setting; "" for a plain file path."""
    found = _SCHEME.match(database)
    return found.group(1).lower() if found else ""


def is_postgres(database: str) -> bool:
    return scheme(database) in POSTGRES_SCHEMES


def sqlite_path(database: str) -> str:
    """The file a SQLite ``database`` setting names: a path, or ``sqlite:///path``."""
    if scheme(database) == SQLITE_SCHEME:
        rest = database.split(":", 1)[1]
        return rest[2:] if rest.startswith("//") else rest
    return database
