"""Tombstones: what is left of a pruned article (DESIGN §11), its id and a hash of each
(feed, guid) it came by, so that a feed still listing it never brings it back as new."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from monitor.store.dialect import Connection
from monitor.store.sql import CHUNK, chunks, marks


def tombstone_keys(feed: str, guids: Iterable[str]) -> dict[str, str]:
    """The compact tombstone key of each (feed, guid): 16 bytes of hash, as 32 hex chars
    (article ids are 20, so the two kinds never collide)."""
    return {
        guid: hashlib.blake2b(f"{feed}\n{guid}".encode(), digest_size=16).hexdigest()
        for guid in guids
    }


def tombstoned(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` (article ids or tombstone_keys) belong to pruned articles."""
    found: set[str] = set()
    for chunk in chunks(list(keys), CHUNK):
        found |= {
            r[0]
            for r in conn.execute(
                f"SELECT key FROM tombstones WHERE key IN ({marks(chunk)})", chunk
            )
        }
    return found


def mark_listed(conn: Connection, feed: str, keys: Sequence[str], now: str) -> None:
    """``feed`` was just read, listing the pruned items whose tombstone ``keys`` it hit: those
    stay while it lists them; the others of this feed may go (once past their grace)."""
    conn.execute(
        """INSERT INTO feed_readings (feed, read_at) VALUES (?, ?)
           ON CONFLICT (feed) DO UPDATE SET read_at = excluded.read_at""",
        (feed, now),
    )
    for chunk in chunks(list(keys), CHUNK):
        conn.execute(
            f"UPDATE tombstones SET listed_at = ?, feed = ? WHERE key IN ({marks(chunk)})",
            (now, feed, *chunk),
        )
