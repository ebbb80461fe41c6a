"""Which story (cluster) each new article joins: the near-duplicate index as a batch sees
it, and the plan of a batch as it would be stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.store.dialect import Connection
from monitor.store.records import StoredArticle, iso
from monitor.store.sql import CHUNK, chunks, marks

# Chooses, among (article id, fingerprint bytes) candidates, the one a new article repeats;
# called with ``common=``, the index keys too common to count as shared text.
Fold = Callable[..., str | None]


@dataclass(frozen=True, slots=True)
class BatchPlan:
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
                f"SELECT 1 FROM story_keys WHERE key IN ({marks(chunk)}) AND rowid > ? LIMIT 1",
                (*chunk, self.watermark),
            ).fetchone()
            for chunk in chunks(keys, CHUNK)
        )


def plan_batch(
    conn: Connection,
    new: Sequence[StoredArticle],
    fold: Fold | None,
    since: datetime | None,
    *,
    stored: set[str],
) -> BatchPlan:
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
    return BatchPlan(
        existing=frozenset(stored),
        watermark=watermark,
        keys=frozenset(key for a in new for key in a.lookup_keys),
        inserted=inserted,
        article_rows=[article_row(a) for a in inserted],
        key_rows=[row for a in inserted for row in story_key_rows(a)],
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
        for chunk in chunks(keys, CHUNK):
            for key, article_id, cluster, rowid in conn.execute(
                f"""SELECT k.key, k.article_id, COALESCE(a.cluster_id, a.id), a.rowid
                    FROM story_keys k JOIN articles a ON a.id = k.article_id
                    WHERE k.key IN ({marks(chunk)}) AND k.first_seen >= ?""",
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
        for chunk in chunks(missing, CHUNK):
            for article_id, blob in self._conn.execute(
                f"SELECT id, fingerprint FROM articles WHERE id IN ({marks(chunk)})", chunk
            ):
                self._blobs[article_id] = blob or b""


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
