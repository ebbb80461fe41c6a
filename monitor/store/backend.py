"""Opening the database a setting names: a file path (SQLite, the default) or a postgresql://
URL (psycopg 3, imported only then: SQLite needs nothing installed)."""

from __future__ import annotations

from monitor.errors import MissingExtraError
from monitor.store.db import Database
from monitor.store.dialect import is_postgres
from monitor.store.interface import Backend


def open_backend(setting: str) -> Backend:
    if is_postgres(setting):
        try:
            from monitor.store.postgres import PostgresBackend
        except ImportError as exc:  # the optional extra is missing
            raise MissingExtraError("postgres") from exc
        return PostgresBackend(setting)
    from monitor.store.sqlite import SQLiteBackend

    return SQLiteBackend(setting)


def open_database(setting: str) -> Database:
    """The database a ``database`` setting names, migrated and ready."""
    return Database(open_backend(setting))
