"""The records the store takes and gives back (frozen dataclasses), and the time format of
its columns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any  # a row of either backend: by column name, like sqlite3.Row


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
    # near-duplicate index keys it is filed under (not a column): those folding chose, or,
    # stored without folding, those it came with
    story_keys: tuple[int, ...] = ()
    source_name: str | None = None  # the publisher its source named (article_sources.source_name)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class StorySources:
    """Who carried a story, as a digest entry names them (DESIGN §6)."""

    publisher: str  # feed url: the article's own site's feed, else the first that carried it
    link: str  # the article as the publisher links it, without tracking or fragment
    others: tuple[str, ...]  # every other feed of the story (its near duplicates too), first first
    publisher_name: str | None = None  # the publisher a search source named (Google News)


def stored_article(row: Any) -> StoredArticle:
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
        first_seen=from_iso(row["first_seen"]) or datetime.min.replace(tzinfo=UTC),
        fingerprint=row["fingerprint"],
        cluster_id=row["cluster_id"],
        full_text_status=row["full_text_status"],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchedRow:
    """A stored match joined with its article, its JSON columns decoded."""

    article_id: str
    rule: str
    digest: str | None
    terms: tuple[str, ...]
    hits: tuple[dict, ...]
    matched_at: datetime | None
    run_id: str | None  # the digest run that took it; None while undelivered
    title: str
    link: str
    url: str
    feed: str
    summary: str
    text: str
    published: datetime | None
    first_seen: datetime | None
    cluster_id: str | None  # the article's story
    language: str = ""  # the feed's, else detected at ingest


def matched_row(row: Any) -> MatchedRow:
    """A row of runs.MATCH_COLUMNS as its record."""
    return MatchedRow(
        article_id=row["article_id"],
        rule=row["rule"],
        digest=row["digest"],
        terms=decoded(row["terms"]),
        hits=decoded(row["hits"]),
        matched_at=from_iso(row["matched_at"]),
        run_id=row["run_id"],
        title=row["title"] or "",
        link=row["link"] or "",
        url=row["url"] or "",
        feed=row["feed"] or "",
        summary=row["summary"] or "",
        text=row["text"] or "",
        published=from_iso(row["published"]),
        first_seen=from_iso(row["first_seen"]),
        cluster_id=row["acluster"],
        language=row["language"] or "",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleSource:
    """One feed that delivered an article: its guid and link there, and the feed's stored name."""

    article_id: str
    feed: str
    guid: str
    url: str
    first_seen: datetime | None
    feed_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMatch:
    """A stored match, its JSON columns decoded; ``run_id``: the digest run that took it."""

    article_id: str
    rule: str
    digest: str | None
    terms: tuple[str, ...]
    hits: tuple[dict, ...]
    matched_at: datetime | None
    run_id: str | None


def decoded(text: str | None) -> tuple:
    """A JSON list column as a tuple; a row that holds none (or garbage) as ()."""
    try:
        found = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(found) if isinstance(found, list) else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedHealth:
    """A feed's row as `news-monitor feeds`, /healthz and the web page show it."""

    url: str
    name: str | None
    last_polled_at: datetime | None
    last_status: int | None
    last_outcome: str | None  # ok, not_modified, unchanged, error, gone; None: never polled
    last_error: str | None
    last_warning: str | None
    consecutive_failures: int
    next_check_at: datetime | None
    redirect_to: str | None
    gone: bool
    articles: int  # stored articles it delivered

    @property
    def failing(self) -> bool:
        return self.last_outcome == "error" or self.gone

    @classmethod
    def unpolled(cls, url: str) -> FeedHealth:
        """A configured feed the store has no row of yet."""
        return cls(
            url=url,
            name=None,
            last_polled_at=None,
            last_status=None,
            last_outcome=None,
            last_error=None,
            last_warning=None,
            consecutive_failures=0,
            next_check_at=None,
            redirect_to=None,
            gone=False,
            articles=0,
        )
