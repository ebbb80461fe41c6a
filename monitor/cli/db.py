"""`news-monitor db copy`: moving an SQLite archive into PostgreSQL."""

from __future__ import annotations

import click

from monitor.cli.common import fail, handle_errors, say


@click.group()
def db() -> None:
    """The database itself."""


@db.command("copy")
@click.argument("sqlite_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("postgres_url")
@handle_errors
def copy(sqlite_file: str, postgres_url: str) -> None:
    """Copy the SQLite archive SQLITE_FILE into POSTGRES_URL: articles, sources, matches, the
    outbox, feed state. Rows already there are kept, so an interrupted copy is run again."""
    from monitor.store.backend import open_database
    from monitor.store.copy import copy_archive
    from monitor.store.dialect import is_postgres

    if not is_postgres(postgres_url):
        fail(f"not a postgresql:// URL: {postgres_url}")
    counts = copy_archive(open_database(sqlite_file), open_database(postgres_url))
    for table, rows in counts.items():
        say(f"{table:16} {rows:>10,}")
    say(f"copied: {sum(counts.values()):,} rows in {len(counts)} tables")
