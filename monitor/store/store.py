"""The Store API: one object over the store's modules, each owning a group of tables (feeds
and leases, articles and sources, matches), plus retention and statistics. The records it
takes and returns are defined in records.py and named here too, so callers import one module."""

from __future__ import annotations

from datetime import datetime

from monitor.store.articles import ArticlesMixin, story_sources
from monitor.store.db import Database
from monitor.store.feeds import FeedsMixin, claim_order
from monitor.store.matches import MatchesMixin
from monitor.store.records import (
    FeedPoll,
    FeedState,
    Known,
    MatchRow,
    SourceUpdate,
    StoredArticle,
    StorySources,
    from_iso,
    iso,
    stored_article,
)
from monitor.store.retention import Cutoffs, PruneReport, prune
from monitor.store.sql import CHUNK
from monitor.store.stats import DatabaseStats, database_stats
from monitor.store.subscriptions import SubscriptionsMixin

__all__ = [
    "CHUNK",
    "FeedPoll",
    "FeedState",
    "Known",
    "MatchRow",
    "SourceUpdate",
    "Store",
    "StoredArticle",
    "StorySources",
    "claim_order",
    "from_iso",
    "iso",
    "story_sources",
    "stored_article",
]


class Store(FeedsMixin, ArticlesMixin, MatchesMixin, SubscriptionsMixin):
    def __init__(self, db: Database) -> None:
        self.db = db

    def prune(self, cut: Cutoffs, now: datetime, *, dry_run: bool = False) -> PruneReport:
        """Delete what is past its retention (DESIGN §11) in short batches, leaving tombstones,
        and give the space back; ``dry_run`` only counts."""
        return prune(self.db, cut, now, dry_run=dry_run)

    def stats(self, now: datetime) -> DatabaseStats:
        return database_stats(self.db, now)
