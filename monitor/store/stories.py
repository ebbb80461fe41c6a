"""The story index's rows: the snapshot a batch's folding reads (monitor.stories.folding
decides), the check that it still holds under the write lock, and the writes it asks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.store.dialect import Connection
from monitor.store.records import StoredArticle, iso
from monitor.store.sql import CHUNK, chunks, insert_rows, marks
from monitor.stories.folding import (
    Filed,
    Folding,
    Newcomer,
    fold,
    lookup_keys,
    members_to_compare,
)
from monitor.stories.neardup import Fingerprint


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """A batch as it would be stored: the articles not stored yet, each with its story, and
    the stored stories to rename; with what it read, to check under the write lock."""

    existing: frozenset[str]  # ids of the batch taken as already stored
    watermark: int  # the newest story_keys row the plan saw
    keys: tuple[int, ...]  # every key the batch looks its near duplicates up by
    stories: frozenset[str]  # the stored stories it joins or renames, by the id it read
    inserted: list[StoredArticle]
    renamed: dict[str, str]
    article_rows: list[tuple]
    key_rows: list[tuple[int, str, str | None]]

    def holds(self, conn: Connection, stored: set[str]) -> bool:
        """Whether the plan is still right: the batch's ids ``stored`` now are those it took as
        stored, no article was filed under a key it looks up by (a story it could join), and
        every story it joins still goes by the id it read (none was renamed meanwhile)."""
        if stored != self.existing:
            return False
        if newest_key(conn) < self.watermark:
            return False  # rows were deleted and their rowids may be handed out again
        # One row at most: every row fetched is a step that gives the GIL away under the lock.
        for chunk in chunks(list(self.keys), CHUNK):
            if conn.execute(
                f"SELECT 1 FROM story_keys WHERE key IN ({marks(chunk)}) AND rowid > ? LIMIT 1",
                (*chunk, self.watermark),
            ).fetchone():
                return False
        return all(
            conn.execute(
                "SELECT 1 FROM articles WHERE cluster_id = ? OR (id = ? AND cluster_id IS NULL) LIMIT 1",
                (story, story),
            ).fetchone()
            for story in self.stories
        )

    def write(self, conn: Connection) -> None:
        """Rename the stories, insert the articles and file their keys."""
        rename_stories(conn, self.renamed)
        insert_rows(
            conn,
            """INSERT INTO articles (id, url, link, guid, feed, title, summary, text, author,
               language, published, first_seen, fingerprint, cluster_id, full_text_status)""",
            self.article_rows,
            "ON CONFLICT DO NOTHING",
        )
        insert_rows(
            conn,
            "INSERT INTO story_keys (key, article_id, first_seen)",
            self.key_rows,
            "ON CONFLICT DO NOTHING",
        )


def plan_batch(
    conn: Connection,
    new: Sequence[StoredArticle],
    since: datetime | None,
    *,
    stored: set[str],
) -> BatchPlan:
    """Which of ``new`` to insert and the story each joins, as ``conn`` sees the database,
    taking the ids in ``stored`` as already stored; folding only with a ``since`` (the oldest
    index rows that count)."""
    watermark = newest_key(conn)
    seen = set(stored)
    fresh: list[StoredArticle] = []
    for a in new:
        if a.id not in seen:
            seen.add(a.id)
            fresh.append(a)
    batch = [Newcomer(id=a.id, fingerprint=a.fingerprint) for a in fresh]
    if since is None:  # not folded: each its own story, filed under the keys it came with
        inserted = [replace(a, cluster_id=a.cluster_id or a.id) for a in fresh]
        folding, read = Folding(joined=(), renamed={}), set[str]()
    else:
        folding, read = decide(conn, batch, since)
        inserted = [
            replace(a, cluster_id=j.story, story_keys=j.keys)
            for a, j in zip(fresh, folding.joined, strict=True)
        ]
    return BatchPlan(
        existing=frozenset(stored),
        watermark=watermark,
        keys=tuple(lookup_keys(batch)) if since else (),
        stories=frozenset(read),
        inserted=inserted,
        renamed=dict(folding.renamed),
        article_rows=[article_row(a) for a in inserted],
        key_rows=[row for a in inserted for row in story_key_rows(a)],
    )


def decide(
    conn: Connection, batch: Sequence[Newcomer], since: datetime
) -> tuple[Folding, set[str]]:
    """Load the snapshot ``batch`` needs (index rows under its keys since ``since``, then the
    fingerprints of the members to compare), fold it, and say which stored stories the result
    joins or renames."""
    filed: list[Filed] = []
    for chunk in chunks(lookup_keys(batch), CHUNK):
        filed += [
            Filed(key=key, article_id=article_id, story=story)
            for key, article_id, story in conn.execute(
                f"""SELECT k.key, k.article_id, COALESCE(a.cluster_id, a.id)
                    FROM story_keys k JOIN articles a ON a.id = k.article_id
                    WHERE k.key IN ({marks(chunk)}) AND k.first_seen >= ?""",
                (*chunk, iso(since)),
            )
        ]
    fingerprints: dict[str, Fingerprint | bytes] = {}
    for chunk in chunks(sorted(members_to_compare(filed, batch)), CHUNK):
        for article_id, blob in conn.execute(
            f"SELECT id, fingerprint FROM articles WHERE id IN ({marks(chunk)})", chunk
        ):
            if blob:
                fingerprints[article_id] = blob
    folding = fold(filed, fingerprints, batch)
    stored = {row.story for row in filed}
    read = {j.story for j in folding.joined if j.story in stored} | set(folding.renamed)
    return folding, read


def rename_stories(conn: Connection, renamed: dict[str, str]) -> None:
    """A story that gained a member with a smaller id goes by that id (its articles and its
    matches), so that a story's id does not depend on which copy was stored first."""
    for old, new in renamed.items():
        conn.execute(
            "UPDATE articles SET cluster_id = ? WHERE cluster_id = ? OR (id = ? AND cluster_id IS NULL)",
            (new, old, old),
        )
        conn.execute("UPDATE matches SET cluster_id = ? WHERE cluster_id = ?", (new, old))


def newest_key(conn: Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM story_keys").fetchone()[0]


def article_row(a: StoredArticle) -> tuple:
    return (
        a.id,
        a.url,
        a.link,
        a.guid,
        a.feed,
        a.title,
        a.summary,
        a.text,
        a.author,
        a.language,
        iso(a.published),
        iso(a.first_seen),
        a.fingerprint,
        a.cluster_id,
        a.full_text_status,
    )


def story_key_rows(a: StoredArticle) -> list[tuple[int, str, str | None]]:
    first_seen = iso(a.first_seen)
    return [(key, a.id, first_seen) for key in a.story_keys]
