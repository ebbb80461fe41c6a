"""Every read and write of feeds, articles, their sources and matches (the outbox lives in outbox.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.db import FTS_WATERMARK, Database


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0
    next_check_at: datetime | None = None
    redirect_to: str | None = None
    gone: bool = False
    backlog_done: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedPoll:
    """What one poll changes in a feed's row."""

    url: str
    name: str
    polled_at: datetime
    status: int | None
    outcome: str  # ok, not_modified, unchanged, error, gone
    next_check_at: datetime | None
    failures: int
    error: str | None = None
    warning: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    redirect_to: str | None = None
    entries_seen: int = 0
    keep_validators: bool = False  # a failed poll must not forget the ETag of the last good one


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredArticle:
    id: str
    url: str
    link: str
    guid: str
    feed: str
    title: str
    summary: str
    text: str
    author: str | None
    language: str | None
    published: datetime | None
    first_seen: datetime
    fingerprint: bytes | None = None
    cluster_id: str | None = None
    full_text_status: str | None = None
    story_keys: tuple[int, ...] = ()  # near-duplicate index keys (not a column)


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchRow:
    article_id: str
    rule: str
    digest: str
    cluster_id: str | None
    terms: tuple[str, ...]
    hits: tuple[dict, ...]
    matched_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUpdate:
    """A known article seen again, possibly through another feed."""

    article_id: str
    guid: str
    url: str
    extra: dict = field(default_factory=dict)


# Chooses, among (article id, fingerprint bytes) candidates, the one a new article repeats.
Fold = Callable[["StoredArticle", list[tuple[str, bytes]]], str | None]


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    # feeds -----------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        rows = self.db.query("SELECT * FROM feeds WHERE url = ?", (url,))
        if not rows:
            return None
        r = rows[0]
        return FeedState(
            url=r["url"],
            etag=r["etag"],
            last_modified=r["last_modified"],
            body_hash=r["body_hash"],
            consecutive_failures=r["consecutive_failures"],
            next_check_at=from_iso(r["next_check_at"]),
            redirect_to=r["redirect_to"],
            gone=bool(r["gone"]),
            backlog_done=bool(r["backlog_done"]),
        )

    def due_feeds(self, urls: Iterable[str], now: datetime) -> list[str]:
        """Configured feeds whose next check has come (or that were never polled), oldest first."""
        known = {r["url"]: r for r in self.db.query("SELECT url, next_check_at, gone FROM feeds")}
        due: list[tuple[str, str]] = []
        for url in urls:
            row = known.get(url)
            if row is None:
                due.append(("", url))
            elif not row["gone"] and row["next_check_at"] and row["next_check_at"] <= iso(now):
                due.append((row["next_check_at"], url))
        return [url for _, url in sorted(due)]

    def record_poll(self, poll: FeedPoll) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feeds (url, name) VALUES (?, ?)", (poll.url, poll.name)
            )
            validators = (
                ""
                if poll.keep_validators
                else ", etag = :etag, last_modified = :last_modified, body_hash = COALESCE(:body_hash, body_hash)"
            )
            conn.execute(
                f"""UPDATE feeds SET name = :name, last_polled_at = :polled_at, last_status = :status,
                    last_outcome = :outcome, last_error = :error, last_warning = :warning,
                    consecutive_failures = :failures, next_check_at = :next_check_at,
                    redirect_to = COALESCE(:redirect_to, redirect_to), gone = :gone,
                    backlog_done = backlog_done OR :ok, entries_seen = entries_seen + :entries {validators}
                    WHERE url = :url""",
                {
                    "url": poll.url,
                    "name": poll.name,
                    "polled_at": iso(poll.polled_at),
                    "status": poll.status,
                    "outcome": poll.outcome,
                    "error": poll.error,
                    "warning": poll.warning,
                    "failures": poll.failures,
                    "next_check_at": iso(poll.next_check_at),
                    "redirect_to": poll.redirect_to,
                    "gone": int(poll.outcome == "gone"),
                    "ok": int(poll.outcome in ("ok", "unchanged", "not_modified")),
                    "entries": poll.entries_seen,
                    "etag": poll.etag,
                    "last_modified": poll.last_modified,
                    "body_hash": poll.body_hash,
                },
            )

    def feed_health(self) -> list[dict]:
        return [
            dict(r)
            for r in self.db.query(
                """SELECT f.*, (SELECT COUNT(*) FROM article_sources s WHERE s.feed = f.url) AS articles
                   FROM feeds f ORDER BY f.url"""
            )
        ]

    # articles --------------------------------------------------------------

    def known_ids(
        self, feed: str, guids: Sequence[str], ids: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these guids this feed delivered before, and which of these article ids exist."""
        seen_guids: set[str] = set()
        existing: set[str] = set()
        conn = self.db.connection()
        for chunk in _chunks(list(guids), 500):
            marks = ",".join("?" * len(chunk))
            seen_guids |= {
                r[0]
                for r in conn.execute(
                    f"SELECT guid FROM article_sources WHERE feed = ? AND guid IN ({marks})",
                    (feed, *chunk),
                )
            }
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            existing |= {
                r[0] for r in conn.execute(f"SELECT id FROM articles WHERE id IN ({marks})", chunk)
            }
        return seen_guids, existing

    def articles_missing_text(self, ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            out |= {
                r[0]
                for r in self.db.query(
                    f"SELECT id FROM articles WHERE id IN ({marks}) AND COALESCE(full_text_status, '') != 'ok'",
                    tuple(chunk),
                )
            }
        return out

    def save_articles(
        self,
        feed: str,
        new: Sequence[StoredArticle],
        seen_again: Sequence[SourceUpdate],
        full_texts: dict[str, tuple[str, str]],
        now: datetime,
        *,
        fold: Fold | None = None,
        fold_since: datetime | None = None,
    ) -> list[StoredArticle]:
        """One transaction: insert new articles and every source row; returns those really new.

        Another feed may have stored the same article a moment ago: INSERT OR IGNORE on the
        computed primary key settles that race, and the loser only adds its source row.
        Each new article joins the story (cluster) of the near duplicate `fold` picks among
        those sharing an index key since `fold_since`; in the same transaction, so two copies
        stored at once still fold.
        """
        inserted: list[StoredArticle] = []
        with self.db.write() as conn:
            for a in new:
                a = replace(a, cluster_id=self._cluster(conn, a, fold, fold_since))
                cursor = conn.execute(
                    """INSERT OR IGNORE INTO articles (id, url, link, guid, feed, title, summary, text, author,
                       language, published, first_seen, fingerprint, cluster_id, full_text_status)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (
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
                    ),
                )
                if cursor.rowcount:
                    inserted.append(a)
                    conn.executemany(
                        "INSERT OR IGNORE INTO story_keys (key, article_id, first_seen) VALUES (?,?,?)",
                        [(key, a.id, iso(a.first_seen)) for key in a.story_keys],
                    )
                self._add_source(conn, a.id, feed, a.guid, a.link or a.url, now)
            for s in seen_again:
                self._add_source(conn, s.article_id, feed, s.guid, s.url, now)
            for article_id, (text, status) in full_texts.items():
                conn.execute(
                    "UPDATE articles SET text = CASE WHEN ? = 'ok' THEN ? ELSE text END, full_text_status = ? WHERE id = ?",
                    (status, text, status, article_id),
                )
        return inserted

    @staticmethod
    def _cluster(conn, article: StoredArticle, fold: Fold | None, since: datetime | None) -> str:
        if fold is None or not article.story_keys:
            return article.cluster_id or article.id
        marks = ",".join("?" * len(article.story_keys))
        rows = conn.execute(
            f"""SELECT a.id, a.cluster_id, a.fingerprint FROM articles a
                WHERE a.id IN (SELECT DISTINCT article_id FROM story_keys
                               WHERE key IN ({marks}) AND first_seen >= ?)
                ORDER BY a.first_seen, a.rowid""",
            (*article.story_keys, iso(since) or ""),
        ).fetchall()
        chosen = fold(article, [(r[0], r[2]) for r in rows]) if rows else None
        clusters = {r[0]: r[1] or r[0] for r in rows}
        return clusters[chosen] if chosen else article.id

    def forget_story_keys(self, before: datetime) -> int:
        """Drop index keys of articles too old to be folded into; returns how many went."""
        with self.db.write() as conn:
            return conn.execute(
                "DELETE FROM story_keys WHERE first_seen < ?", (iso(before),)
            ).rowcount

    @staticmethod
    def _add_source(conn, article_id: str, feed: str, guid: str, url: str, now: datetime) -> None:
        conn.execute(
            """INSERT INTO article_sources (article_id, feed, guid, url, first_seen) VALUES (?,?,?,?,?)
               ON CONFLICT (article_id, feed) DO UPDATE SET guid = excluded.guid, url = excluded.url""",
            (article_id, feed, guid, url, iso(now)),
        )

    def articles_since(self, since: datetime, ids: Sequence[str] | None = None) -> list[dict]:
        if ids is not None:
            out: list[dict] = []
            for chunk in _chunks(list(ids), 500):
                marks = ",".join("?" * len(chunk))
                out += [
                    dict(r)
                    for r in self.db.query(
                        f"SELECT * FROM articles WHERE id IN ({marks}) AND first_seen >= ?",
                        (*chunk, iso(since)),
                    )
                ]
            return out
        return [
            dict(r)
            for r in self.db.query(
                "SELECT * FROM articles WHERE first_seen >= ? ORDER BY first_seen DESC",
                (iso(since),),
            )
        ]

    def index_new_articles(self) -> int:
        """Add every article stored since the last call to the full-text index, in one
        transaction (a single FTS segment flush); returns how many were indexed."""
        with self.db.write() as conn:
            added = conn.execute(
                f"""INSERT INTO articles_fts (rowid, title, summary, text)
                    SELECT rowid, title, summary, text FROM articles
                    WHERE rowid > {FTS_WATERMARK} ORDER BY rowid"""
            ).rowcount
            if added:
                conn.execute(
                    "UPDATE fts_state SET indexed_rowid = (SELECT MAX(rowid) FROM articles)"
                )
        return added

    def fts_candidates(
        self, fts_query: str, since: datetime, limit: int | None = None
    ) -> list[str]:
        sql = """SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
                 WHERE articles_fts MATCH ? AND a.first_seen >= ? ORDER BY a.first_seen DESC"""
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self.db.query(sql, (fts_query, iso(since)))]

    def sources_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        """Feed URLs that delivered each article, first source first."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(article_ids), 500):
            marks = ",".join("?" * len(chunk))
            for r in self.db.query(
                f"SELECT article_id, feed FROM article_sources WHERE article_id IN ({marks}) ORDER BY first_seen, feed",
                tuple(chunk),
            ):
                out.setdefault(r[0], []).append(r[1])
        return out

    # matches ---------------------------------------------------------------

    def save_matches(self, matches: Sequence[MatchRow]) -> list[MatchRow]:
        """Store matches; a story (cluster) already matched by a rule is not matched again. Returns those saved."""
        saved: list[MatchRow] = []
        with self.db.write() as conn:
            for m in matches:
                if (
                    m.cluster_id
                    and conn.execute(
                        "SELECT 1 FROM matches WHERE cluster_id = ? AND rule = ? LIMIT 1",
                        (m.cluster_id, m.rule),
                    ).fetchone()
                ):
                    continue
                cursor = conn.execute(
                    """INSERT OR IGNORE INTO matches (article_id, rule, cluster_id, digest, terms, hits, hit_count, matched_at)
                       VALUES (?,?,?,?,?,?,?,?)""",
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


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
