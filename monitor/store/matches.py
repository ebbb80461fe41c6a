"""Matches: a rule's hits on an article, stored once per story and rule."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from monitor.store.db import Database
from monitor.store.records import MatchRow, iso


class MatchesMixin:
    db: Database

    def save_matches(self, matches: Sequence[MatchRow]) -> list[MatchRow]:
        """Store matches; a story (cluster) already matched by a rule is not matched again. Returns those saved."""
        saved: list[MatchRow] = []
        # Named lock: two workers matching copies of one story must not both find it unmatched.
        with self.db.write(lock="matches") as conn:
            for m in matches:
                # The story as it is now, not as the match was made: a story is renamed when
                # it gains a member with a smaller id (store/stories.py), perhaps meanwhile.
                row = conn.execute(
                    "SELECT COALESCE(cluster_id, id) FROM articles WHERE id = ?", (m.article_id,)
                ).fetchone()
                m = replace(m, cluster_id=row[0]) if row else m
                if (
                    m.cluster_id
                    and conn.execute(
                        """SELECT 1 FROM articles a JOIN matches x ON x.article_id = a.id
                           WHERE (a.cluster_id = ? OR a.id = ?) AND x.rule = ? LIMIT 1""",
                        (m.cluster_id, m.cluster_id, m.rule),
                    ).fetchone()
                ):
                    continue
                cursor = conn.execute(
                    """INSERT INTO matches (article_id, rule, cluster_id, digest, terms, hits, hit_count, matched_at)
                       VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING""",
                    (
                        m.article_id,
                        m.rule,
                        m.cluster_id,
                        m.digest,
                        json.dumps(list(m.terms), ensure_ascii=False),
                        json.dumps(list(m.hits), ensure_ascii=False),
                        len(m.hits),
                        iso(m.matched_at),
                    ),
                )
                if cursor.rowcount:
                    saved.append(m)
        return saved
