"""Every read and write of feeds, articles, their sources and matches (the outbox lives in outbox.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.retention import (
    Cutoffs,
    PruneReport,
    mark_listed,
    prune,
    tombstone_keys,
    tombstoned,
)
from monitor.store.stats import DatabaseStats, database_stats
from monitor.stories.identity import publisher
from monitor.stories.urls import clean_link

CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit
MAX_PARAMETERS = 999  # per statement: the limit of SQLite builds before 3.32


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
    last_polled_at: datetime | None = None


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
    story_keys: tuple[int, ...] = ()  # near-duplicate index keys it is filed under (not a column)
    probe_keys: tuple[int, ...] = ()  # keys its near duplicates are looked up by; story_keys if ()
    source_name: str | None = None  # the publisher its source named (article_sources.source_name)

    @property
    def lookup_keys(self) -> tuple[int, ...]:
        return self.probe_keys or self.story_keys


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
class Known:
    """What the store knew about a feed's items before this poll."""

    seen_guids: frozenset[str]  # guids this feed delivered before
    existing: frozenset[str]  # article ids already stored (by any feed)
    lacking_text: frozenset[str]  # of those, the ones whose full text was never stored
    pruned: frozenset[str] = frozenset()  # article ids pruned, whose tombstones this feed hit
    tombstones: frozenset[str] = frozenset()  # the tombstone keys hit (kept while listed)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUpdate:
    """A known article seen again, possibly through another feed."""

    article_id: str
    guid: str
    url: str
    extra: dict = field(default_factory=dict)


# Chooses, among (article id, fingerprint bytes) candidates, the one a new article repeats;
# called with ``common=``, the index keys too common to count as shared text.
Fold = Callable[..., str | None]


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
            last_polled_at=from_iso(r["last_polled_at"]),
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

    def claim_due_feeds(
        self,
        urls: Sequence[str],
        now: datetime,
        *,
        owner: str,
        lease: timedelta,
        limit: int,
        alive: Callable[[str], bool] = lambda holder: True,
    ) -> list[str]:
        """Up to ``limit`` of the configured feeds that are due, claimed for ``owner`` until
        ``now + lease``, most overdue first: several workers on one database each poll a feed
        only while they hold its lease (DESIGN §15). A poll's row ends the lease; a worker
        that dies leaves it to run out, and then another claims the feed.

        Rows other workers are claiming at this moment are skipped, not waited for (``FOR
        UPDATE SKIP LOCKED`` on PostgreSQL; SQLite lets one writer in at a time anyway).
        A lease whose holder is known dead (``alive``: a process of this host that is gone, as
        after a SIGKILL and restart) lapses at once.
        """
        stamp = iso(now)
        rows = {r[0]: r for r in self.db.query(f"SELECT url, {_DUE_COLUMNS} FROM feeds")}
        dead = sorted({r[5] for r in rows.values() if r[5] and r[5] != owner and not alive(r[5])})
        configured = list(dict.fromkeys(urls))
        missing = [(url,) for url in configured if url not in rows]
        if missing:  # a row to hold the lease of a feed never polled
            with self.db.write() as conn:
                _insert_rows(
                    conn, "INSERT INTO feeds (url)", missing, "ON CONFLICT (url) DO NOTHING"
                )
        candidates = [
            ((rows[url][1] or "") if url in rows else "", url)
            for url in configured
            if url not in rows or _claimable(rows[url], stamp, dead)
        ]
        claimed: list[str] = []
        queue = claim_order(candidates)
        while queue and len(claimed) < limit:
            window, queue = queue[: limit - len(claimed)], queue[limit - len(claimed) :]
            with self.db.write() as conn:
                got = {
                    r[0]
                    for r in conn.execute(
                        f"""SELECT url FROM feeds WHERE url IN ({_marks(window)}) AND {_CLAIMABLE}
                            OR leased_by IN ({_marks(dead or [""])}))
                            {self.db.dialect.skip_locked}""",
                        (*window, stamp, stamp, *(dead or [""])),
                    )
                }
                if got:
                    conn.execute(
                        f"UPDATE feeds SET leased_by = ?, leased_until = ? WHERE url IN ({_marks(list(got))})",
                        (owner, iso(now + lease), *got),
                    )
            claimed += [url for url in window if url in got]
        return claimed

    def release_feeds(self, owner: str) -> int:
        """Give up ``owner``'s leases (a worker stopping cleanly): others may poll them now."""
        with self.db.write() as conn:
            return conn.execute(
                "UPDATE feeds SET leased_by = NULL, leased_until = NULL WHERE leased_by = ?",
                (owner,),
            ).rowcount

    def gone_feeds(self) -> set[str]:
        """Feeds that answered 410 Gone: they are not polled again."""
        return {r[0] for r in self.db.query("SELECT url FROM feeds WHERE gone <> 0")}

    def record_poll(self, poll: FeedPoll) -> None:
        with self.db.write() as conn:
            _write_poll(conn, poll)

    def feed_health(self) -> list[dict]:
        return [
            dict(r)
            for r in self.db.query(
                """SELECT f.*, COALESCE(c.articles, 0) AS articles
                   FROM feeds f LEFT JOIN feed_counts c ON c.feed = f.url ORDER BY f.url"""
            )
        ]

    # articles --------------------------------------------------------------

    def known(self, feed: str, guids: Sequence[str], ids: Sequence[str]) -> Known:
        """What the store already knows about a feed's items, in one read: the guids this feed
        delivered before, which article ids exist, and which of those still lack full text."""
        seen_guids: set[str] = set()
        existing: set[str] = set()
        lacking: set[str] = set()
        conn = self.db.connection()
        for chunk in _chunks(list(guids), CHUNK):
            seen_guids |= {
                r[0]
                for r in conn.execute(
                    f"SELECT guid FROM article_sources WHERE feed = ? AND guid IN ({_marks(chunk)})",
                    (feed, *chunk),
                )
            }
        for chunk in _chunks(list(ids), CHUNK):
            for article_id, has_text in conn.execute(
                f"SELECT id, COALESCE(full_text_status, '') = 'ok' FROM articles WHERE id IN ({_marks(chunk)})",
                chunk,
            ):
                existing.add(article_id)
                if not has_text:
                    lacking.add(article_id)
        # Pruned articles (DESIGN §11): a guid this feed delivered counts as seen, an article
        # id as pruned, so that neither comes back as new nor alerts again.
        guid_keys = tombstone_keys(feed, [g for g in guids if g not in seen_guids])
        hit = tombstoned(conn, [*guid_keys.values(), *(i for i in ids if i not in existing)])
        seen_guids |= {guid for guid, key in guid_keys.items() if key in hit}
        return Known(
            seen_guids=frozenset(seen_guids),
            existing=frozenset(existing),
            lacking_text=frozenset(lacking),
            pruned=frozenset(i for i in ids if i in hit),
            tombstones=frozenset(hit),
        )

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
        poll: FeedPoll | None = None,
        tombstones: Iterable[str] = (),
    ) -> list[StoredArticle]:
        """One transaction: insert new articles and every source row; returns those really new.

        Another feed may have stored the same article a moment ago: the ids are checked again
        under the write lock, and the loser only adds its source row. Each new article joins
        the story (cluster) of the near duplicate `fold` picks among those sharing an index key
        since `fold_since`, stored before or earlier in this batch; in the same transaction, so
        two copies stored at once still fold. ``poll``, the feed's row after this poll, is
        written in the same transaction, and so is the note that the feed still lists the
        pruned items whose ``tombstones`` (``Known.tombstones``) it hit.

        The stories are worked out first, from this thread's own snapshot; under the write
        lock they are only checked (no article or index key of this batch added since) and
        worked out again in the rare case one was. The rows then go in a handful of
        statements: this transaction holds the process's only write lock, which every poll
        thread waits for.
        """
        stamp = iso(now)
        # The caller passes articles it found unstored: the plan assumes none is, and the
        # check under the lock catches another feed that stored one meanwhile.
        plan = _plan(self.db.connection(), new, fold, fold_since, stored=set())
        # Named lock: on PostgreSQL two workers' batches fold one after the other, as two
        # threads' do behind SQLite's single writer.
        with self.db.write(lock="stories") as conn:
            stored = _existing_ids(conn, [a.id for a in new])
            if not plan.holds(conn, stored):
                plan = _plan(conn, new, fold, fold_since, stored=stored)
            _insert_rows(
                conn,
                """INSERT INTO articles (id, url, link, guid, feed, title, summary, text, author,
                   language, published, first_seen, fingerprint, cluster_id, full_text_status)""",
                plan.article_rows,
                "ON CONFLICT DO NOTHING",
            )
            _insert_rows(
                conn,
                "INSERT INTO story_keys (key, article_id, first_seen)",
                plan.key_rows,
                "ON CONFLICT DO NOTHING",
            )
            # One row per article: PostgreSQL refuses to update a row twice in one statement
            # (SQLite let the last one win, as this does).
            sources = {
                a.id: (a.id, feed, a.guid, a.link or a.url, stamp, a.source_name) for a in new
            }
            sources |= {
                s.article_id: (s.article_id, feed, s.guid, s.url, stamp, None) for s in seen_again
            }
            _insert_rows(
                conn,
                "INSERT INTO article_sources (article_id, feed, guid, url, first_seen, source_name)",
                list(sources.values()),
                "ON CONFLICT (article_id, feed) DO UPDATE SET guid = excluded.guid, url = excluded.url",
            )
            # Page text for articles stored before (by this feed or, a moment ago, another):
            # text a feed already gave is never replaced, nor its 'ok' by a failure.
            inserted = {a.id for a in plan.inserted}
            conn.executemany(
                """UPDATE articles SET text = CASE WHEN ? = 'ok' THEN ? ELSE text END, full_text_status = ?
                   WHERE id = ? AND COALESCE(full_text_status, '') <> 'ok'""",
                [
                    (status, text, status, aid)
                    for aid, (text, status) in full_texts.items()
                    if aid not in inserted
                ],
            )
            if poll is not None:
                _write_poll(conn, poll)
            mark_listed(conn, feed, list(tombstones), stamp or "")
        return plan.inserted

    def refile(
        self,
        articles: Sequence[StoredArticle],
        *,
        fold: Fold,
        fold_since: datetime | None,
    ) -> None:
        """Stored articles whose page text arrived later, each with the sketch of its title and
        that text: the sketch replaces the old one, its new keys are filed, and an article that
        was a story of its own joins the story its text repeats (an extended copy)."""
        if not articles:
            return
        with self.db.write() as conn:
            stories = _Stories(conn, articles, fold_since)
            for a in articles:
                row = conn.execute(
                    "SELECT COALESCE(cluster_id, id), first_seen FROM articles WHERE id = ?",
                    (a.id,),
                ).fetchone()
                if row is None:
                    continue
                cluster, first_seen = row
                alone = not conn.execute(
                    "SELECT 1 FROM articles WHERE cluster_id = ? AND id <> ? LIMIT 1",
                    (cluster, a.id),
                ).fetchone()
                if alone:
                    cluster, keys = stories.join(replace(a, cluster_id=None), fold)
                else:
                    keys = a.story_keys
                conn.execute(
                    "UPDATE articles SET fingerprint = ?, cluster_id = ? WHERE id = ?",
                    (a.fingerprint, cluster, a.id),
                )
                _insert_rows(
                    conn,
                    "INSERT INTO story_keys (key, article_id, first_seen)",
                    [(key, a.id, first_seen) for key in keys],
                    "ON CONFLICT (key, article_id) DO NOTHING",
                )

    def forget_story_keys(self, before: datetime) -> int:
        """Drop index keys of articles too old to be folded into; returns how many went."""
        with self.db.write() as conn:
            return conn.execute(
                "DELETE FROM story_keys WHERE first_seen < ?", (iso(before),)
            ).rowcount

    # retention -------------------------------------------------------------

    def prune(self, cut: Cutoffs, now: datetime, *, dry_run: bool = False) -> PruneReport:
        """Delete what is past its retention (DESIGN §11) in short batches, leaving tombstones,
        and give the space back; ``dry_run`` only counts."""
        return prune(self.db, cut, now, dry_run=dry_run)

    def stats(self, now: datetime) -> DatabaseStats:
        return database_stats(self.db, now)

    def articles_since(self, since: datetime, ids: Sequence[str] | None = None) -> list[dict]:
        if ids is not None:
            out: list[dict] = []
            for chunk in _chunks(list(ids), CHUNK):
                marks = _marks(chunk)
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
        """Add every article stored (or changed) since the last call to the search index;
        returns how many were indexed."""
        return self.db.index_search()

    def fts_candidates(
        self, fts_query: str, since: datetime, limit: int | None = None
    ) -> list[str]:
        """Articles the backend's full-text index finds for ``fts_query``, written in its
        language (``db.dialect.search``: FTS5 or tsquery), newest first."""
        return self.db.search_ids(fts_query, iso(since), limit)

    def sources_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        """Feed URLs that delivered each article, first source first."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(list(article_ids), CHUNK):
            marks = _marks(chunk)
            for r in self.db.query(
                f"SELECT article_id, feed FROM article_sources WHERE article_id IN ({marks}) ORDER BY first_seen, feed",
                tuple(chunk),
            ):
                out.setdefault(r[0], []).append(r[1])
        return out

    def wrapped_matches(self, feed: str, since: datetime, limit: int) -> list[tuple[str, str]]:
        """(article id, link) of this feed's articles matched since ``since`` whose link is
        still a Google News wrapper, newest match first."""
        rows = self.db.query(
            """SELECT a.id, a.link, MAX(m.matched_at) AS last FROM articles a
               JOIN matches m ON m.article_id = a.id
               JOIN article_sources s ON s.article_id = a.id AND s.feed = ?
               WHERE m.matched_at >= ? AND a.link LIKE 'https://news.google.com/%'
               GROUP BY a.id, a.link ORDER BY last DESC LIMIT ?""",
            (feed, iso(since), limit),
        )
        return [(r["id"], r["link"]) for r in rows]

    def relink(self, article_id: str, link: str) -> None:
        """Point an article (and every source row of it) at ``link``: a wrapped link decoded."""
        with self.db.write() as conn:
            conn.execute("UPDATE articles SET link = ? WHERE id = ?", (link, article_id))
            conn.execute(
                "UPDATE article_sources SET url = ? WHERE article_id = ?", (link, article_id)
            )

    # matches ---------------------------------------------------------------

    def save_matches(self, matches: Sequence[MatchRow]) -> list[MatchRow]:
        """Store matches; a story (cluster) already matched by a rule is not matched again. Returns those saved."""
        saved: list[MatchRow] = []
        # Named lock: two workers matching copies of one story must not both find it unmatched.
        with self.db.write(lock="matches") as conn:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class StorySources:
    """Who carried a story, as a digest entry names them (DESIGN §6)."""

    publisher: str  # feed url: the article's own site's feed, else the first that carried it
    link: str  # the article as the publisher links it, without tracking or fragment
    others: tuple[str, ...]  # every other feed of the story (its near duplicates too), first first
    publisher_name: str | None = None  # the publisher a search source named (Google News)


def story_sources(
    conn: Connection, article_id: str, cluster_id: str | None, link: str
) -> StorySources:
    """The publisher, link and "also reported by" feeds of an article and its story."""
    rows = conn.execute(
        """SELECT s.article_id, s.feed, s.url, s.source_name FROM article_sources s JOIN articles a ON a.id = s.article_id
           WHERE a.id = ? OR (? IS NOT NULL AND a.cluster_id = ?) ORDER BY s.first_seen, s.feed""",
        (article_id, cluster_id, cluster_id),
    ).fetchall()
    own = [(feed, url or link) for aid, feed, url, _ in rows if aid == article_id]
    if not own:
        return StorySources(publisher="", link=clean_link(link), others=())
    chosen, chosen_link = own[publisher(link, own)]
    others = dict.fromkeys(feed for _, feed, _, _ in rows if feed != chosen)
    named = next((n for aid, feed, _, n in rows if aid == article_id and feed == chosen), None)
    return StorySources(
        publisher=chosen,
        link=clean_link(chosen_link or link),
        others=tuple(others),
        publisher_name=named,
    )


# A feed may be claimed when it is due (or never polled), not gone, and nobody's lease runs.
_DUE_COLUMNS = "next_check_at, last_polled_at, gone, leased_until, leased_by"
_CLAIMABLE = """gone = 0 AND (next_check_at <= ? OR (next_check_at IS NULL AND last_polled_at IS NULL))
                AND (leased_until IS NULL OR leased_until <= ?"""  # ... OR a dead holder)


def claim_order(candidates: Iterable[tuple[str, str]]) -> list[str]:
    """Due feeds ``(next_check_at, url)`` in the order to claim them: the most overdue minute
    first, and within a minute one host at a time. Sorted by URL alone, a batch would be one
    publisher's feeds, and the per-host limit would leave all but two poll threads waiting."""
    ranked: Counter[tuple[str, str]] = Counter()
    keyed = []
    for due, url in sorted(candidates):
        minute, host = due[:16], urlsplit(url).netloc
        keyed.append(((minute, ranked[minute, host], due, url), url))
        ranked[minute, host] += 1
    return [url for _, url in sorted(keyed)]


def _claimable(row: Sequence, stamp: str | None, dead: Sequence[str]) -> bool:
    next_check, polled, gone, leased_until, holder = row[1:6]
    due = (next_check is not None and next_check <= stamp) or (next_check is None and not polled)
    free = leased_until is None or leased_until <= stamp or holder in dead
    return bool(due and not gone and free)


def _write_poll(conn: Connection, poll: FeedPoll) -> None:
    conn.execute(
        "INSERT INTO feeds (url, name) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
        (poll.url, poll.name),
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
                failing_since = CASE WHEN :failures = 0 THEN NULL
                                     ELSE COALESCE(failing_since, :polled_at) END,
                redirect_to = COALESCE(:redirect_to, redirect_to), gone = :gone,
                backlog_done = CASE WHEN :ok = 1 THEN 1 ELSE backlog_done END,
                entries_seen = entries_seen + :entries, leased_by = NULL, leased_until = NULL {validators}
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """A batch as it would be stored: the articles not stored yet, each with its story."""

    existing: frozenset[str]  # ids of the batch taken as already stored
    watermark: int  # the newest story_keys row the plan saw
    keys: frozenset[int]  # every key the batch looks its near duplicates up by
    inserted: list[StoredArticle]
    article_rows: list[tuple]
    key_rows: list[tuple[int, str, str | None]]

    def holds(self, conn: Connection, stored: set[str]) -> bool:
        """Whether the plan is still right: the batch's ids ``stored`` now are those it took as
        stored, and no article was filed under a key it looks up by (a story it could join)."""
        if stored != self.existing:
            return False
        newest = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM story_keys").fetchone()[0]
        if newest < self.watermark:
            return False  # rows were deleted and their rowids may be handed out again
        # One row at most: every row fetched is a step that gives the GIL away under the lock.
        keys = list(self.keys)
        return not any(
            conn.execute(
                f"SELECT 1 FROM story_keys WHERE key IN ({_marks(chunk)}) AND rowid > ? LIMIT 1",
                (*chunk, self.watermark),
            ).fetchone()
            for chunk in _chunks(keys, CHUNK)
        )


def _plan(
    conn: Connection,
    new: Sequence[StoredArticle],
    fold: Fold | None,
    since: datetime | None,
    *,
    stored: set[str],
) -> _Plan:
    """Which of ``new`` to insert and the story each joins, as ``conn`` sees the database,
    taking the ids in ``stored`` as already stored."""
    watermark = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM story_keys").fetchone()[0]
    stories = _Stories(conn, new if fold else (), since)
    seen = set(stored)
    inserted: list[StoredArticle] = []
    for a in new:
        if a.id not in seen:
            seen.add(a.id)
            cluster, filed = stories.join(a, fold)
            inserted.append(replace(a, cluster_id=cluster, story_keys=filed))
    return _Plan(
        existing=frozenset(stored),
        watermark=watermark,
        keys=frozenset(key for a in new for key in a.lookup_keys),
        inserted=inserted,
        article_rows=[_article_row(a) for a in inserted],
        key_rows=[row for a in inserted for row in _story_key_rows(a)],
    )


# A key filed by more stories than this within the fold window is boilerplate (a footer, a
# sign-up line, a phrase every outlet uses), not evidence: it makes no candidates and is not
# counted as shared text, and it is filed no more, so its postings stop growing.
HOT_KEY_STORIES = 12
# Stories compared per new article at most, those sharing the most keys with it first: the
# cost of joining a story is one comparison, whatever its number of copies.
MAX_CANDIDATE_STORIES = 6


class _Stories:
    """The near-duplicate index as one batch of new articles sees it: every story filed under
    a key any of them looks up by (read once, in chunks), then each article of the batch as it
    joins a story. Each story is compared once, through its member sharing the most keys with
    the article, and an article files only the keys its story is not filed under yet: copies
    of one story repeat its keys, so its postings grow with what is new, not with copies."""

    def __init__(
        self, conn: Connection, batch: Sequence[StoredArticle], since: datetime | None
    ) -> None:
        self._conn = conn
        self._postings: dict[int, dict[str, list[str]]] = {}  # key -> story -> members
        self._stories: dict[str, str] = {}  # member -> its story (cluster)
        self._blobs: dict[str, bytes] = {}  # member -> fingerprint, loaded when compared
        self._age: dict[str, tuple] = {}  # oldest first: a story grows from its first article
        keys = sorted({key for a in batch for key in a.lookup_keys})
        for chunk in _chunks(keys, CHUNK):
            for key, article_id, cluster, rowid in conn.execute(
                f"""SELECT k.key, k.article_id, COALESCE(a.cluster_id, a.id), a.rowid
                    FROM story_keys k JOIN articles a ON a.id = k.article_id
                    WHERE k.key IN ({_marks(chunk)}) AND k.first_seen >= ?""",
                (*chunk, iso(since) or ""),
            ):
                self._postings.setdefault(key, {}).setdefault(cluster, []).append(article_id)
                self._stories[article_id] = cluster
                self._age[article_id] = (0, rowid)
        self._load({member for a in batch for member in self._candidates(a.lookup_keys, a.id)[0]})

    def join(self, article: StoredArticle, fold: Fold | None) -> tuple[str, tuple[int, ...]]:
        """The cluster ``article`` belongs to and the keys to file it under; from now on it is
        a candidate for the rest of the batch."""
        if fold is None or not article.lookup_keys:
            return article.cluster_id or article.id, article.story_keys
        members, hot = self._candidates(article.lookup_keys, article.id)
        self._load(members)
        candidates = [(m, self._blobs[m]) for m in members if self._blobs.get(m)]
        chosen = fold(article, candidates, common=hot) if candidates else None
        cluster = self._stories[chosen] if chosen else article.id
        self._stories[article.id] = cluster
        self._blobs[article.id] = article.fingerprint or b""
        self._age[article.id] = (1, len(self._age))
        filed = []
        for key in article.story_keys:
            stories = self._postings.setdefault(key, {})
            if cluster not in stories and len(stories) <= HOT_KEY_STORIES:
                filed.append(key)
            stories.setdefault(cluster, []).append(article.id)
        return cluster, tuple(filed)

    def _candidates(self, keys: Sequence[int], own: str) -> tuple[list[str], frozenset[int]]:
        """One member per candidate story (the one sharing most keys, the oldest on a tie),
        oldest first, and the hot keys among ``keys``."""
        shared: dict[str, dict[str, int]] = {}
        hot = set()
        for key in keys:
            stories = self._postings.get(key)
            if not stories:
                continue
            if len(stories) > HOT_KEY_STORIES:
                hot.add(key)
                continue
            for story, members in stories.items():
                counts = shared.setdefault(story, {})
                for member in members:
                    if member != own:
                        counts[member] = counts.get(member, 0) + 1
        best = [
            min(counts, key=lambda m: (-counts[m], self._age[m]))
            for counts in shared.values()
            if counts
        ]
        best.sort(key=lambda m: (-shared[self._stories[m]][m], self._age[m]))
        return sorted(best[:MAX_CANDIDATE_STORIES], key=self._age.__getitem__), frozenset(hot)

    def _load(self, members: Iterable[str]) -> None:
        missing = sorted(m for m in members if m not in self._blobs)
        for chunk in _chunks(missing, CHUNK):
            for article_id, blob in self._conn.execute(
                f"SELECT id, fingerprint FROM articles WHERE id IN ({_marks(chunk)})", chunk
            ):
                self._blobs[article_id] = blob or b""


def _existing_ids(conn: Connection, ids: list[str]) -> set[str]:
    existing: set[str] = set()
    for chunk in _chunks(ids, CHUNK):
        existing |= {
            r[0]
            for r in conn.execute(f"SELECT id FROM articles WHERE id IN ({_marks(chunk)})", chunk)
        }
    return existing


def _article_row(a: StoredArticle) -> tuple:
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


def _story_key_rows(a: StoredArticle) -> list[tuple[int, str, str | None]]:
    first_seen = iso(a.first_seen)
    return [(key, a.id, first_seen) for key in a.story_keys]


def _insert_rows(conn: Connection, head: str, rows: Sequence[tuple], tail: str = "") -> None:
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


def _marks(chunk: list) -> str:
    return ",".join("?" * len(chunk))


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def stored_article(row: Mapping) -> StoredArticle:
    """An articles row as the record the stages pass around."""
    return StoredArticle(
        id=row["id"],
        url=row["url"],
        link=row["link"] or "",
        guid=row["guid"] or "",
        feed=row["feed"],
        title=row["title"] or "",
        summary=row["summary"] or "",
        text=row["text"] or "",
        author=row["author"],
        language=row["language"],
        published=from_iso(row["published"]),
        first_seen=from_iso(row["first_seen"]) or datetime.min,
        fingerprint=row["fingerprint"],
        cluster_id=row["cluster_id"],
        full_text_status=row["full_text_status"],
    )
