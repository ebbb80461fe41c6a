"""Opening the database a config names: a file path (SQLite, the default) or a postgresql://
URL (psycopg 3, imported only then: SQLite needs nothing installed)."""

from __future__ import annotations

from monitor.errors import MissingExtraError
from monitor.store.db import Database
from monitor.store.dialect import is_postgres


def open_database(setting: str) -> Database:
    """The backend for a ``database`` setting, migrated and ready."""
    if is_postgres(setting):
        try:
            from monitor.store.postgres import PostgresDatabase
        except ImportError as exc:  # the optional extra is missing
            raise MissingExtraError("postgres") from exc
        return PostgresDatabase(setting)
    return Database(setting)
