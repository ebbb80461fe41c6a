"""SQLite's search index, split by rowid into partitions of about PART_ROWS articles each.

An FTS5 merge step ends only at a term's boundary, so its length grows with the number of
articles a common term is in: one index over a million articles made a prune's merge steps
take up to 270 ms while every writer waited. A partition is an FTS5 table of its own
(``search_N``) over one rowid range of ``articles``, so a merge never reads more than a
partition's doclists. New articles go into the newest ("open") partition; once it holds
PART_ROWS, the next one opens. A prune drains old partitions; drained neighbours are folded
into one (built beside them in short steps, then swapped in) so their number stays bounded.

`search_parts` holds one row per partition: its range, its rows, and its state:
- ``live``: searched and kept up to date over [lo, hi] (hi NULL: the open one, up to the
  watermark in ``fts_state``);
- ``building``: a fold under way over [lo, hi], filled in rowid order up to ``built`` and kept
  up to date that far, not searched until it replaces the live partitions of its range;
- ``retired``: replaced by a fold; neither searched nor kept up to date, emptied in short
  steps and then dropped.
Triggers on ``articles`` keep each partition right; they are written from `search_parts`
(``install``) whenever it changes, so each names its partition's range as constants. Each
partition's content is a view of its range, so FTS5's own integrity-check compares it with
the articles it should hold.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from monitor.store.dialect import Connection

# Articles per partition. A merge step reads at least one term's doclist of one partition:
# at 50,000 the longest write of a prune of 890,000 of a million articles was 64 ms.
PART_ROWS = 50_000
FOLD_ROWS = PART_ROWS // 4  # neighbours holding fewer rows than this together become one
TOKENIZE = "unicode61 remove_diacritics 2"
WATERMARK = "(SELECT indexed_rowid FROM fts_state)"  # articles up to this rowid are indexed
_NO_END = 1 << 62


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    part: int
    lo: int
    hi: int | None  # None: the open partition
    built: int | None  # building: rows up to here are in it
    rows: int
    state: str  # live | building | retired

    @property
    def table(self) -> str:
        return f"search_{self.part}"


def create_schema(conn: Connection) -> None:
    """The partition table (the migration's work: the old single index is dropped and every
    article indexed again, once, by the next index_new())."""
    conn.execute(
        """CREATE TABLE search_parts (
               part INTEGER PRIMARY KEY, lo INTEGER NOT NULL, hi INTEGER, built INTEGER,
               rows INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'live')"""
    )
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    conn.execute("UPDATE fts_state SET indexed_rowid = 0")
    install(conn)


def parts(conn: Connection, *states: str) -> list[Part]:
    """The partitions in these states (by default the kept ones: live and building), by range."""
    wanted = states or ("live", "building")
    rows = conn.execute(
        "SELECT part, lo, hi, built, rows, state FROM search_parts ORDER BY lo, part"
    ).fetchall()
    found = [Part(part=r[0], lo=r[1], hi=r[2], built=r[3], rows=r[4], state=r[5]) for r in rows]
    return [p for p in found if p.state in wanted]


# the triggers and views, written from search_parts -----------------------------------------


def _upper(part: Part) -> str:
    """The last rowid the partition holds now, as SQL."""
    if part.state == "building":
        return f"(SELECT built FROM search_parts WHERE part = {part.part})"
    return str(part.hi) if part.hi is not None else WATERMARK


def _fts_write(part: Part, command: str, prefix: str) -> str:
    """A statement for a trigger body: the ``prefix`` row (old or new) written into ``part``,
    with FTS5's ``command`` ('delete') or as an insert ('')."""
    t = part.table
    values = f"{prefix}.rowid, {prefix}.title, {prefix}.summary, {prefix}.text"
    if command:
        return f"INSERT INTO {t} ({t}, rowid, title, summary, text) VALUES ('{command}', {values});"
    return f"INSERT INTO {t} (rowid, title, summary, text) VALUES ({values});"


# Deleting the newest rows lets SQLite hand their rowids out again: the watermark comes down
# with them so the new rows count as not yet indexed. Every deleted row runs this once, in the
# trigger of its partition (after the row left the index) or, past the watermark, in
# articles_ad: whatever order they fire in, the last leaves the watermark at the newest row.
_LOWER_WATERMARK = """UPDATE fts_state SET indexed_rowid = (SELECT COALESCE(MAX(rowid), 0) FROM articles)
              WHERE indexed_rowid > (SELECT COALESCE(MAX(rowid), 0) FROM articles);"""


def install(conn: Connection) -> None:
    """Write the triggers and content views for the partitions as `search_parts` has them.

    One trigger per partition and change, whose WHEN names its range: SQLite tests each WHEN
    before running a trigger's body, so an article deleted or changed costs one body, not one
    statement per partition."""
    for (name,) in conn.execute(
        """SELECT name FROM sqlite_master WHERE type = 'trigger'
           AND (name IN ('articles_ad', 'articles_au') OR name GLOB 'search_*')"""
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(
        f"""CREATE TRIGGER articles_ad AFTER DELETE ON articles
            WHEN old.rowid > {WATERMARK} BEGIN
              {_LOWER_WATERMARK}
            END"""
    )
    for part in parts(conn):
        t, lower = part.table, "" if part.state == "building" else _LOWER_WATERMARK
        # an FTS5 'delete' must repeat the terms once inserted: a row not yet indexed (past
        # the watermark, or past a fold's progress) is outside every range
        inside = f"old.rowid >= {part.lo} AND old.rowid <= {_upper(part)}"
        conn.execute(
            f"""CREATE TRIGGER {t}_ad AFTER DELETE ON articles WHEN {inside} BEGIN
                  {_fts_write(part, "delete", "old")}
                  UPDATE search_parts SET rows = rows - 1 WHERE part = {part.part};
                  {lower}
                END"""
        )
        conn.execute(
            f"""CREATE TRIGGER {t}_au AFTER UPDATE OF title, summary, text ON articles
                WHEN {inside} BEGIN
                  {_fts_write(part, "delete", "old")}
                  {_fts_write(part, "", "new")}
                END"""
        )
        conn.execute(f"DROP VIEW IF EXISTS {t}_rows")
        conn.execute(
            f"""CREATE VIEW {t}_rows AS SELECT rowid AS id, title, summary, text FROM articles
                WHERE rowid >= {part.lo} AND rowid <= {_upper(part)}"""
        )


def _create(conn: Connection, *, lo: int, hi: int | None, state: str) -> Part:
    built = lo - 1 if state == "building" else None
    cursor = conn.execute(
        "INSERT INTO search_parts (lo, hi, built, state) VALUES (?, ?, ?, ?)",
        (lo, hi, built, state),
    )
    part = Part(part=int(cursor.lastrowid or 0), lo=lo, hi=hi, built=built, rows=0, state=state)
    conn.execute(
        f"""CREATE VIRTUAL TABLE {part.table} USING fts5(title, summary, text,
              content='{part.table}_rows', content_rowid='id', tokenize='{TOKENIZE}')"""
    )
    install(conn)
    return part


def _drop(conn: Connection, part: Part) -> None:
    conn.execute("DELETE FROM search_parts WHERE part = ?", (part.part,))
    conn.execute(f"DROP TABLE IF EXISTS {part.table}")
    conn.execute(f"DROP VIEW IF EXISTS {part.table}_rows")


# indexing ------------------------------------------------------------------------------------


def index_new(conn: Connection, limit: int | None = None) -> int:
    """Index up to ``limit`` (a partition's worth) articles past the watermark into the open
    partition, opening a new one when it is full, inside the caller's transaction; returns
    how many."""
    limit = limit or PART_ROWS
    watermark = int(conn.execute(f"SELECT {WATERMARK}").fetchone()[0])
    last = conn.execute("SELECT MAX(rowid) FROM articles").fetchone()[0]
    if last is None or last <= watermark:
        return 0
    _clamp(conn, watermark)
    open_ = next((p for p in parts(conn, "live") if p.hi is None), None)
    if open_ is not None and open_.rows >= PART_ROWS:
        conn.execute("UPDATE search_parts SET hi = ? WHERE part = ?", (watermark, open_.part))
        open_ = None  # _create writes its triggers anew with this range closed
    if open_ is None:
        open_ = _create(conn, lo=watermark + 1, hi=None, state="live")
    added, new_mark = _copy(conn, open_, after=watermark, upto=_NO_END, limit=limit)
    conn.execute("UPDATE search_parts SET rows = rows + ? WHERE part = ?", (added, open_.part))
    conn.execute("UPDATE fts_state SET indexed_rowid = ?", (new_mark,))
    return added


def _copy(
    conn: Connection, part: Part, *, after: int, upto: int, limit: int
) -> tuple[int, int | None]:
    """Index into ``part`` the first ``limit`` articles with rowids in (after, upto]; returns
    how many and the last rowid indexed (None: there were none)."""
    last = conn.execute(
        """SELECT MAX(rowid) FROM (SELECT rowid FROM articles WHERE rowid > ? AND rowid <= ?
           ORDER BY rowid LIMIT ?)""",
        (after, upto, limit),
    ).fetchone()[0]
    if last is None:
        return 0, None
    copied = conn.execute(
        f"""INSERT INTO {part.table} (rowid, title, summary, text)
            SELECT rowid, title, summary, text FROM articles
            WHERE rowid > ? AND rowid <= ? ORDER BY rowid""",
        (after, last),
    ).rowcount
    return int(copied), int(last)


def _clamp(conn: Connection, watermark: int) -> None:
    """Deleting the newest articles brings the watermark down and lets SQLite hand their
    rowids out again: the ranges past it hold no indexed row any more, so they end at the
    watermark and the open partition starts right after it, to take those rowids."""
    stale = [
        p for p in parts(conn) if p.lo > watermark + 1 or (p.hi is not None and p.hi > watermark)
    ]
    if not stale:
        return
    for part in stale:
        if part.state == "building" or (part.hi is not None and part.lo > watermark):
            _drop(conn, part)  # a fold starts again later; a closed range emptied goes
        elif part.hi is None:
            conn.execute(
                "UPDATE search_parts SET lo = ? WHERE part = ?", (watermark + 1, part.part)
            )
        else:
            conn.execute("UPDATE search_parts SET hi = ? WHERE part = ?", (watermark, part.part))
    install(conn)


# searching -----------------------------------------------------------------------------------


def search_sql(conn: Connection, first: int) -> str | None:
    """A query of the rowids that an FTS5 expression (parameter 1) finds at or past rowid
    ``first`` in every live partition; None when no partition reaches that far. Each
    partition is asked within its own range, since a fold leaves stale rows behind it."""
    selects = [
        f"SELECT rowid FROM {p.table} WHERE {p.table} MATCH ?1"
        f" AND rowid >= {max(p.lo, first)}" + (f" AND rowid <= {p.hi}" if p.hi is not None else "")
        for p in parts(conn, "live")
        if p.hi is None or p.hi >= first
    ]
    return " UNION ALL ".join(selects) if selects else None


# keeping partitions small and few --------------------------------------------------------------


def holding(conn: Connection, rowids: Iterable[int]) -> list[Part]:
    """The kept partitions that hold any of ``rowids``."""
    wanted = sorted(rowids)
    out = []
    for p in parts(conn):
        end = p.built if p.state == "building" else p.hi
        end = _NO_END if end is None else end
        if any(p.lo <= r <= end for r in wanted):
            out.append(p)
    return out


def merge_step(conn: Connection, part: Part, pages: int) -> int:
    """One FTS5 merge of about ``pages`` pages in a kept partition ('merge', negative: down to
    one segment); returns the rows it changed (under 2: nothing was left to merge)."""
    if not holds(conn, part, "live", "building"):
        return 0
    t, lite = part.table, cast(sqlite3.Connection, conn)
    before = lite.total_changes
    conn.execute(f"INSERT INTO {t} ({t}, rank) VALUES ('merge', ?)", (pages,))
    return lite.total_changes - before


def set_automerge(conn: Connection, segments: int) -> None:
    """FTS5's automerge in every kept partition (0: merges only when asked)."""
    for t in (p.table for p in parts(conn)):
        conn.execute(f"INSERT INTO {t} ({t}, rank) VALUES ('automerge', ?)", (segments,))


def fold_candidates(conn: Connection) -> list[Part]:
    """The first run of neighbouring closed partitions worth folding into one: two or more
    holding fewer than FOLD_ROWS rows together, or one holding none."""

    def worth(run: list[Part]) -> bool:
        return len(run) >= 2 or (len(run) == 1 and run[0].rows == 0)

    run: list[Part] = []
    for part in (p for p in parts(conn, "live") if p.hi is not None):
        if sum(p.rows for p in run) + part.rows < FOLD_ROWS:
            run.append(part)
            continue
        if worth(run):
            return run
        run = [part] if part.rows < FOLD_ROWS else []
    return run if worth(run) else []


def begin_fold(conn: Connection) -> Part | None:
    """The fold under way, else a new one over the first run worth folding, else None."""
    under_way = parts(conn, "building")
    if under_way:
        return under_way[0]
    while run := fold_candidates(conn):
        if len(run) > 1:
            return _create(conn, lo=run[0].lo, hi=run[-1].hi, state="building")
        _retire(conn, run)  # empty: nothing to fold in
    return None


def _retire(conn: Connection, run: list[Part]) -> None:
    """No longer searched nor kept up to date (drop_step empties and drops them later)."""
    for part in run:
        conn.execute("UPDATE search_parts SET state = 'retired' WHERE part = ?", (part.part,))
    install(conn)


def fold_step(conn: Connection, part: Part, limit: int) -> int:
    """Copy up to ``limit`` more rows of its range into a building partition; when none are
    left, put it in place of the live partitions of its range, which retire. Returns the rows
    copied (0: it is live now)."""
    built = conn.execute("SELECT built FROM search_parts WHERE part = ?", (part.part,)).fetchone()
    if built is None or built[0] is None:
        return 0  # another process finished it
    hi = part.hi if part.hi is not None else _NO_END
    copied, last = _copy(conn, part, after=built[0], upto=hi, limit=limit)
    if last is not None:
        conn.execute(
            "UPDATE search_parts SET built = ?, rows = rows + ? WHERE part = ?",
            (last, copied, part.part),
        )
        return copied
    conn.execute(
        "UPDATE search_parts SET state = 'live', built = NULL WHERE part = ?", (part.part,)
    )
    _retire(
        conn,
        [
            p
            for p in parts(conn, "live")
            if p.hi is not None and p.part != part.part and part.lo <= p.lo and p.hi <= hi
        ],
    )
    return 0


def holds(conn: Connection, part: Part, *states: str) -> bool:
    """Whether ``part`` is still there in one of these states (another process's prune may
    have folded or dropped it since it was listed)."""
    return any(p.part == part.part for p in parts(conn, *states))


def drop_step(conn: Connection, part: Part, limit: int) -> int:
    """Empty a retired partition by up to ``limit`` of its index blocks (a DROP of a large
    one frees every page in one transaction); once empty, drop it. Returns blocks removed."""
    if not holds(conn, part, "retired"):
        return 0
    removed = conn.execute(
        f"""DELETE FROM {part.table}_data WHERE id IN (
              SELECT id FROM {part.table}_data ORDER BY id DESC LIMIT ?)""",
        (limit,),
    ).rowcount
    if removed:
        return int(removed)
    _drop(conn, part)
    return 0


def check(conn: Connection) -> None:
    """Raise sqlite3.DatabaseError unless every indexed article is in exactly one live
    partition's range, each partition holds exactly the articles of its range (FTS5's own
    integrity-check against its content view) and counts them right."""
    watermark = int(conn.execute(f"SELECT {WATERMARK}").fetchone()[0])
    live = parts(conn, "live")
    ends = [(p.lo, p.hi if p.hi is not None else watermark) for p in live]
    for (_, end), (start, _) in itertools.pairwise(ends):
        if start <= end:
            raise sqlite3.DatabaseError(f"search partitions overlap at rowid {start}")
    covered = " OR ".join(f"rowid BETWEEN {lo} AND {hi}" for lo, hi in ends) or "0"
    lost = conn.execute(
        f"SELECT COUNT(*) FROM articles WHERE rowid <= ? AND NOT ({covered})", (watermark,)
    ).fetchone()[0]
    if lost:
        raise sqlite3.DatabaseError(f"{lost} indexed articles are in no search partition")
    for part in parts(conn):
        t = part.table
        conn.execute(f"INSERT INTO {t} ({t}, rank) VALUES ('integrity-check', 1)")
        held = conn.execute(f"SELECT COUNT(*) FROM {t}_rows").fetchone()[0]
        if held != part.rows:
            raise sqlite3.DatabaseError(f"{t} counts {part.rows} rows but holds {held}")
