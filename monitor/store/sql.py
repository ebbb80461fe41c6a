"""Helpers every store module builds its statements with: IN (...) lists in chunks and
multi-row INSERTs bounded by the parameter limit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.store.dialect import Connection

CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit
MAX_PARAMETERS = 999  # per statement: the limit of SQLite builds before 3.32


def insert_rows(conn: Connection, head: str, rows: Sequence[tuple], tail: str = "") -> None:
    """``head VALUES (...), (...), ... tail`` for every row, as few statements as the bound
    parameter limit allows. executemany steps once per row, and every step hands the GIL to
    the poll threads and waits to get it back while this thread holds the write lock."""
    if not rows:
        return
    width = len(rows[0])
    per_statement = max(1, MAX_PARAMETERS // width)
    row_marks = "(" + ",".join("?" * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = ",".join([row_marks] * len(chunk))
        conn.execute(f"{head} VALUES {values} {tail}", [v for row in chunk for v in row])


def marks(chunk: list) -> str:
    return ",".join("?" * len(chunk))


def chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
