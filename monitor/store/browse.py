"""The reads behind the analysts' web page: recent matches, one story, the outbox, in pages.

Only reads, in portable SQL (`?` placeholders, no SQLite-only functions), so a PostgreSQL
backend can answer the same statements (full-text search stays `Store.fts_candidates`, which
each backend answers with its own engine). Rows come back as records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.store.outbox import Delivery, recent_deliveries
from monitor.store.records import (
    ArticleSource,
    MatchedRow,
    StoredArticle,
    StoredMatch,
    decoded,
    from_iso,
    iso,
    matched_row,
    stored_article,
)
from monitor.store.runs import MATCH_COLUMNS
from monitor.store.sql import CHUNK, chunks, marks
from monitor.store.store import Store


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
    ) -> list[MatchedRow]:
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
            (r["article_id"], r["rule"]): matched_row(r)
            for r in self.db.query(
                f"""SELECT {MATCH_COLUMNS} FROM matches m JOIN articles a ON a.id = m.article_id
                    WHERE m.article_id IN ({marks})""",
                tuple(ids),
            )
        }
        return [rows[k] for k in keys if k in rows]

    def articles_before(
        self,
        since: datetime,
        before: tuple[str, str] | None,
        *,
        limit: int,
        ids: Sequence[str] | None = None,
    ) -> list[StoredArticle]:
        """Articles first seen since a moment and older than `before` (first_seen, id), newest
        first; of `ids` only, when given (at most CHUNK of them)."""
        where = ["first_seen >= ?"]
        params: list = [iso(since)]
        if before is not None:
            where.append("(first_seen < ? OR (first_seen = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        if ids is not None:
            if not ids:
                return []
            where.append(f"id IN ({','.join('?' * len(ids))})")
            params += list(ids)
        return [
            stored_article(r)
            for r in self.db.query(
                f"""SELECT * FROM articles WHERE {" AND ".join(where)}
                    ORDER BY first_seen DESC, id DESC LIMIT ?""",
                (*params, int(limit)),
            )
        ]

    def match_counts(
        self, rules: Sequence[str], bounds: Sequence[datetime]
    ) -> dict[str, list[int]]:
        """Matches of each rule in each interval [bounds[i], bounds[i + 1]), counted by the
        database in one pass (parsing every match's time in Python cost most of /rules)."""
        if not rules or len(bounds) < 2:
            return {rule: [] for rule in rules}
        stamps = [iso(b) for b in bounds]
        sums = ", ".join(
            "SUM(CASE WHEN matched_at >= ? AND matched_at < ? THEN 1 ELSE 0 END)"
            for _ in stamps[1:]
        )
        params = [v for i in range(len(stamps) - 1) for v in (stamps[i], stamps[i + 1])]
        marks = ",".join("?" * len(rules))
        found = {
            r[0]: [int(n or 0) for n in tuple(r)[1:]]
            for r in self.db.query(
                f"""SELECT rule, {sums} FROM matches
                    WHERE matched_at >= ? AND matched_at < ? AND rule IN ({marks}) GROUP BY rule""",
                (*params, stamps[0], stamps[-1], *rules),
            )
        }
        return {rule: found.get(rule, [0] * (len(stamps) - 1)) for rule in rules}

    def article(self, article_id: str) -> StoredArticle | None:
        rows = self.db.query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return stored_article(rows[0]) if rows else None

    def story_articles(self, article: StoredArticle) -> list[StoredArticle]:
        """The article and the near duplicates folded into its story, first seen first."""
        if not article.cluster_id:
            return [article]
        rows = self.db.query(
            "SELECT * FROM articles WHERE cluster_id = ? OR id = ? ORDER BY first_seen, id",
            (article.cluster_id, article.id),
        )
        return [stored_article(r) for r in rows]

    def sources(self, article_ids: Sequence[str]) -> list[ArticleSource]:
        """Every (feed, guid, url) that delivered these articles, with the feed's stored name."""
        return [
            ArticleSource(
                article_id=r["article_id"],
                feed=r["feed"],
                guid=r["guid"] or "",
                url=r["url"] or "",
                first_seen=from_iso(r["first_seen"]),
                feed_name=r["feed_name"],
            )
            for r in self._rows_for(
                article_ids,
                """SELECT s.article_id, s.feed, s.guid, s.url, s.first_seen, f.name AS feed_name
                   FROM article_sources s LEFT JOIN feeds f ON f.url = s.feed
                   WHERE s.article_id IN ({marks}) ORDER BY s.first_seen, s.feed""",
            )
        ]

    def matches_of(self, article_ids: Sequence[str]) -> list[StoredMatch]:
        """The rules these articles matched, with their terms and hits."""
        return [
            StoredMatch(
                article_id=r["article_id"],
                rule=r["rule"],
                digest=r["digest"],
                terms=decoded(r["terms"]),
                hits=decoded(r["hits"]),
                matched_at=from_iso(r["matched_at"]),
                run_id=r["run_id"],
            )
            for r in self._rows_for(
                article_ids,
                """SELECT article_id, rule, digest, terms, hits, matched_at, run_id FROM matches
                   WHERE article_id IN ({marks}) ORDER BY matched_at""",
            )
        ]

    def _rows_for(self, article_ids: Sequence[str], sql: str) -> list[Any]:
        """``sql`` run over the ids in chunks of CHUNK (``{marks}`` is the IN list)."""
        return [
            r
            for chunk in chunks(list(article_ids), CHUNK)
            for r in self.db.query(sql.format(marks=marks(chunk)), tuple(chunk))
        ]

    def deliveries(self, *, limit: int, offset: int = 0) -> list[Delivery]:
        """Outbox rows newest first (their payload left out: it is the whole digest)."""
        return recent_deliveries(self.db, limit=limit, offset=offset)

    def article_count(self) -> int:
        return int(self.db.query("SELECT COUNT(*) FROM articles")[0][0])
