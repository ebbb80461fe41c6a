"""The reads behind the analysts' web page: recent matches, one story, the outbox, in pages.

Only reads, in portable SQL (`?` placeholders, no SQLite-only functions), so a PostgreSQL
backend can answer the same statements (full-text search stays `Store.fts_candidates`, which
each backend answers with its own engine). Rows come back as dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.store.store import CHUNK, Store, iso

# The columns digest selection reads from a match joined with its article (digest/select.py).
_MATCH_COLUMNS = """m.article_id, m.rule, m.digest, m.terms, m.hits, m.matched_at, m.run_id,
    a.title, a.link, a.url, a.feed, a.summary, a.text, a.published, a.first_seen,
    a.cluster_id AS acluster"""


class Browse(Store):
    """The store, plus the paged reads only the web page makes."""

    def recent_matches(
        self,
        *,
        since: datetime,
        until: datetime | None = None,
        rule: str | None = None,
        feed: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[dict]:
        """Matches newest first, optionally of one rule or one feed (any source of the article)."""
        where = ["m.matched_at >= ?"]
        params: list = [iso(since)]
        if until is not None:
            where.append("m.matched_at < ?")
            params.append(iso(until))
        if rule:
            where.append("m.rule = ?")
            params.append(rule)
        if feed:
            where.append(
                "EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = m.article_id AND s.feed = ?)"
            )
            params.append(feed)
        # The page's keys first, from the matches alone: sorting whole joined rows (every
        # article's text) to skip the earlier pages cost most of a deep page.
        keys = [
            (r[0], r[1])
            for r in self.db.query(
                f"""SELECT m.article_id, m.rule FROM matches m WHERE {" AND ".join(where)}
                    ORDER BY m.matched_at DESC, m.article_id, m.rule LIMIT ? OFFSET ?""",
                (*params, int(limit), int(offset)),
            )
        ]
        if not keys:
            return []
        ids = list(dict.fromkeys(k[0] for k in keys))
        marks = ",".join("?" * len(ids))
        rows = {
            (r["article_id"], r["rule"]): dict(r)
            for r in self.db.query(
                f"""SELECT {_MATCH_COLUMNS} FROM matches m JOIN articles a ON a.id = m.article_id
                    WHERE m.article_id IN ({marks})""",
                tuple(ids),
            )
        }
        return [rows[k] for k in keys if k in rows]

    def articles_before(
        self, since: datetime, before: tuple[str, str] | None, *, limit: int
    ) -> list[dict]:
        """Articles first seen since a moment and older than `before` (first_seen, id), newest
        first."""
        where = ["first_seen >= ?"]
        params: list = [iso(since)]
        if before is not None:
            where.append("(first_seen < ? OR (first_seen = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        return [
            dict(r)
            for r in self.db.query(
                f"""SELECT * FROM articles WHERE {" AND ".join(where)}
                    ORDER BY first_seen DESC, id DESC LIMIT ?""",
                (*params, int(limit)),
            )
        ]

    def first_seen_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        """When each article was first seen (ISO text), to order search candidates cheaply."""
        out: dict[str, str] = {}
        for start in range(0, len(article_ids), CHUNK):
            chunk = list(article_ids[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            out.update(
                (r[0], r[1])
                for r in self.db.query(
                    f"SELECT id, first_seen FROM articles WHERE id IN ({marks})", tuple(chunk)
                )
            )
        return out

    def match_times(self, since: datetime, rules: Sequence[str]) -> list[tuple[str, str]]:
        """(rule, matched_at) of every match of these rules since a moment, for counts per day."""
        out: list[tuple[str, str]] = []
        for start in range(0, len(rules), CHUNK):
            chunk = list(rules[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            out += [
                (r[0], r[1])
                for r in self.db.query(
                    f"SELECT rule, matched_at FROM matches WHERE matched_at >= ? AND rule IN ({marks})",
                    (iso(since), *chunk),
                )
            ]
        return out

    def article(self, article_id: str) -> dict | None:
        rows = self.db.query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return dict(rows[0]) if rows else None

    def story_articles(self, article: dict) -> list[dict]:
        """The article and the near duplicates folded into its story, first seen first."""
        if not article.get("cluster_id"):
            return [article]
        rows = self.db.query(
            "SELECT * FROM articles WHERE cluster_id = ? OR id = ? ORDER BY first_seen, id",
            (article["cluster_id"], article["id"]),
        )
        return [dict(r) for r in rows]

    def sources(self, article_ids: Sequence[str]) -> list[dict]:
        """Every (feed, guid, url) that delivered these articles, with the feed's stored name."""
        out: list[dict] = []
        for start in range(0, len(article_ids), CHUNK):
            chunk = list(article_ids[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            out += [
                dict(r)
                for r in self.db.query(
                    f"""SELECT s.article_id, s.feed, s.guid, s.url, s.first_seen, f.name AS feed_name
                        FROM article_sources s LEFT JOIN feeds f ON f.url = s.feed
                        WHERE s.article_id IN ({marks}) ORDER BY s.first_seen, s.feed""",
                    tuple(chunk),
                )
            ]
        return out

    def matches_of(self, article_ids: Sequence[str]) -> list[dict]:
        """The rules these articles matched, with their terms and hits."""
        out: list[dict] = []
        for start in range(0, len(article_ids), CHUNK):
            chunk = list(article_ids[start : start + CHUNK])
            marks = ",".join("?" * len(chunk))
            out += [
                dict(r)
                for r in self.db.query(
                    f"""SELECT article_id, rule, digest, terms, hits, matched_at, run_id FROM matches
                        WHERE article_id IN ({marks}) ORDER BY matched_at""",
                    tuple(chunk),
                )
            ]
        return out

    def deliveries(self, *, limit: int, offset: int = 0) -> list[dict]:
        """Outbox rows newest first (their payload left out: it is the whole digest)."""
        return [
            dict(r)
            for r in self.db.query(
                """SELECT id, digest, channel, status, attempts, created_at, next_attempt_at,
                          sent_at, last_error
                   FROM deliveries ORDER BY created_at DESC, id LIMIT ? OFFSET ?""",
                (int(limit), int(offset)),
            )
        ]

    def article_count(self) -> int:
        return int(self.db.query("SELECT COUNT(*) FROM articles")[0][0])
