"""Articles and their sources: what a feed's items are known as, storing a batch with the
story each joins, page text arriving later, and the reads over articles and sources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.feeds import write_poll
from monitor.store.records import (
    FeedPoll,
    Known,
    SourceUpdate,
    StoredArticle,
    StorySources,
    iso,
    stored_article,
)
from monitor.store.sql import CHUNK, chunks, insert_rows, marks
from monitor.store.stories import BatchPlan, decide, plan_batch, rename_stories
from monitor.store.tombstones import mark_listed, tombstone_keys, tombstoned
from monitor.stories.folding import Newcomer
from monitor.stories.identity import article_id as key_of
from monitor.stories.identity import publisher
from monitor.stories.urls import canonical_url, clean_link

# Plans of a batch made outside the write lock before the last is made under it: on a busy
# archive another batch often files under a key this one looks up between plan and write.
PLAN_ATTEMPTS = 3


class ArticlesMixin:
    db: Database

    def known(self, feed: str, guids: Sequence[str], ids: Sequence[str]) -> Known:
        """What the store already knows about a feed's items, in one read: the guids this feed
        delivered before, which article ids exist, and which of those still lack full text."""
        seen_guids: set[str] = set()
        existing: set[str] = set()
        lacking: set[str] = set()
        conn = self.db.connection()
        for chunk in chunks(list(guids), CHUNK):
            seen_guids |= {
                r[0]
                for r in conn.execute(
                    f"SELECT guid FROM article_sources WHERE feed = ? AND guid IN ({marks(chunk)})",
                    (feed, *chunk),
                )
            }
        for chunk in chunks(list(ids), CHUNK):
            for article_id, has_text in conn.execute(
                f"SELECT id, COALESCE(full_text_status, '') = 'ok' FROM articles WHERE id IN ({marks(chunk)})",
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
        fold_since: datetime | None = None,
        poll: FeedPoll | None = None,
        tombstones: Iterable[str] = (),
    ) -> list[StoredArticle]:
        """One transaction: insert new articles and every source row; returns those really new.

        Another feed may have stored the same article a moment ago: the ids are checked again
        under the write lock, and the loser only adds its source row. With ``fold_since``, each
        new article joins the story (cluster) monitor.stories.folding picks among those filed
        since then, stored before or earlier in this batch, and a story that gains a smaller id
        is renamed to it; in the same transaction, so two copies stored at once still fold. ``poll``, the feed's row after this poll, is
        written in the same transaction, and so is the note that the feed still lists the
        pruned items whose ``tombstones`` (``Known.tombstones``) it hit.

        The stories are worked out first, from this thread's own snapshot, outside the write
        lock; under it they are only checked (no article of this batch stored, no index key it
        looks up filed, no story it joins renamed since) and worked out again in the rare case
        one was. The rows then go in a handful of
        statements: this transaction holds the process's only write lock, which every poll
        thread waits for.
        """
        stamp = iso(now)
        # The caller passes articles it found unstored: the plan assumes none is, and the
        # check under the lock catches another feed that stored one meanwhile.
        plan = plan_batch(self.db.connection(), new, fold_since, stored=set())
        for attempt in range(1, PLAN_ATTEMPTS + 1):
            # Named lock: on PostgreSQL two workers' batches fold one after the other, as two
            # threads' do behind SQLite's single writer.
            with self.db.write(lock="stories") as conn:
                stored = existing_ids(conn, [a.id for a in new])
                holds = plan.holds(conn, stored)
                if not holds and attempt == PLAN_ATTEMPTS:
                    plan = plan_batch(conn, new, fold_since, stored=stored)  # under the lock
                if holds or attempt == PLAN_ATTEMPTS:
                    plan.write(conn)
                    _write_sources(conn, feed, new, seen_again, full_texts, stamp, plan)
                    if poll is not None:
                        write_poll(conn, poll)
                    mark_listed(conn, feed, list(tombstones), stamp or "")
                    return plan.inserted
            # Another batch filed under a key this one looks up: worked out again from a
            # fresh snapshot, outside the lock, while the other poll threads write.
            plan = plan_batch(self.db.connection(), new, fold_since, stored=stored)
        raise AssertionError("unreachable: the last attempt plans under the lock")

    def refile(self, articles: Sequence[StoredArticle], *, fold_since: datetime) -> None:
        """Stored articles whose page text arrived later, each with the sketch of its title and
        that text: the sketch replaces the old one, its new keys are filed, and an article that
        was a story of its own joins the story its text repeats (an extended copy)."""
        if not articles:
            return
        with self.db.write(lock="stories") as conn:
            placed: list[tuple[StoredArticle, str]] = []
            batch: list[Newcomer] = []
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
                placed.append((a, first_seen))
                batch.append(
                    Newcomer(id=a.id, fingerprint=a.fingerprint, story=None if alone else cluster)
                )
            folding, _ = decide(conn, batch, fold_since)
            rename_stories(conn, dict(folding.renamed))
            for (a, first_seen), joined in zip(placed, folding.joined, strict=True):
                conn.execute(
                    "UPDATE articles SET fingerprint = ?, cluster_id = ? WHERE id = ?",
                    (a.fingerprint, joined.story, a.id),
                )
                insert_rows(
                    conn,
                    "INSERT INTO story_keys (key, article_id, first_seen)",
                    [(key, a.id, first_seen) for key in joined.keys],
                    "ON CONFLICT (key, article_id) DO NOTHING",
                )

    def forget_story_keys(self, before: datetime) -> int:
        """Drop index keys of articles too old to be folded into; returns how many went."""
        with self.db.write() as conn:
            return conn.execute(
                "DELETE FROM story_keys WHERE first_seen < ?", (iso(before),)
            ).rowcount

    def articles_since(
        self, since: datetime, ids: Sequence[str] | None = None
    ) -> list[StoredArticle]:
        """Articles first seen since ``since`` (of ``ids`` only, when given), newest first."""
        if ids is not None:
            out: list[StoredArticle] = []
            for chunk in chunks(list(ids), CHUNK):
                out += [
                    stored_article(r)
                    for r in self.db.query(
                        f"SELECT * FROM articles WHERE id IN ({marks(chunk)}) AND first_seen >= ?",
                        (*chunk, iso(since)),
                    )
                ]
            return out
        return [
            stored_article(r)
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
        language (``db.search.query_for(rule)``), newest first."""
        return self.db.search_ids(fts_query, iso(since), limit)

    def sources_of(self, article_ids: Sequence[str]) -> dict[str, list[str]]:
        """Feed URLs that delivered each article, first source first."""
        out: dict[str, list[str]] = {}
        for chunk in chunks(list(article_ids), CHUNK):
            in_list = marks(chunk)
            for r in self.db.query(
                f"SELECT article_id, feed FROM article_sources WHERE article_id IN ({in_list}) ORDER BY first_seen, feed",
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

    def moved(self, urls: Sequence[str]) -> dict[str, str]:
        """The stored article whose key each of ``urls`` (canonical) is, where its id is not
        the one that URL gives: a wrapped Google News item whose link was decoded (relink)."""
        found: dict[str, str] = {}
        conn = self.db.connection()
        for chunk in chunks(list(urls), CHUNK):
            for stored_id, url in conn.execute(
                f"SELECT id, url FROM articles WHERE url IN ({marks(chunk)})", chunk
            ):
                if stored_id != key_of(url):
                    found[url] = stored_id
        return found

    def relink(self, article_id: str, link: str) -> None:
        """Point an article (and every source row of it) at ``link``: a wrapped link decoded.
        The page's canonical URL becomes the article's key too unless another article has it
        already, so that the publisher's own copy, when it comes, is this article (``moved``)."""
        page = canonical_url(link)
        with self.db.write() as conn:
            conn.execute("UPDATE articles SET link = ? WHERE id = ?", (link, article_id))
            conn.execute(
                "UPDATE articles SET url = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM articles WHERE url = ?)",
                (page, article_id, page),
            )
            conn.execute(
                "UPDATE article_sources SET url = ? WHERE article_id = ?", (link, article_id)
            )


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


def existing_ids(conn: Connection, ids: list[str]) -> set[str]:
    existing: set[str] = set()
    for chunk in chunks(ids, CHUNK):
        existing |= {
            r[0]
            for r in conn.execute(f"SELECT id FROM articles WHERE id IN ({marks(chunk)})", chunk)
        }
    return existing


def _write_sources(
    conn: Connection,
    feed: str,
    new: Sequence[StoredArticle],
    seen_again: Sequence[SourceUpdate],
    full_texts: dict[str, tuple[str, str]],
    stamp: str | None,
    plan: BatchPlan,
) -> None:
    """A batch's source rows, and the page text of its articles stored before."""
    # One row per article: PostgreSQL refuses to update a row twice in one statement
    # (SQLite let the last one win, as this does).
    sources = {a.id: (a.id, feed, a.guid, a.link or a.url, stamp, a.source_name) for a in new}
    sources |= {s.article_id: (s.article_id, feed, s.guid, s.url, stamp, None) for s in seen_again}
    insert_rows(
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
