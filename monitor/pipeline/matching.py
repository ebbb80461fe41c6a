"""Matching stored articles against the configured rules and recording the matches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from monitor import metrics
from monitor.config.load import FeedConfig, RuleConfig
from monitor.rules import Document, Matcher, RuleMatch
from monitor.store.store import MatchRow, Store, StoredArticle


def document(article: StoredArticle, feed: FeedConfig) -> Document:
    """What rules see of an article: `text` is the summary plus the full text."""
    text = "\n\n".join(part for part in (article.summary, article.text) if part)
    return Document(
        title=article.title,
        text=text,
        author=article.author or "",
        feed=feed.name,
        feed_url=feed.url,
        tags=feed.tags,
        url=article.link or article.url,
        lang=article.language or "",
    )


def match_rows(
    matcher: Matcher,
    rules: Sequence[RuleConfig],
    article: StoredArticle,
    feed: FeedConfig,
    now: datetime,
) -> list[MatchRow]:
    digest_of = {r.name: r.digest for r in rules}
    found: list[RuleMatch] = matcher.match(document(article, feed))
    return [
        MatchRow(
            article_id=article.id,
            rule=m.rule,
            digest=digest_of[m.rule],
            cluster_id=article.cluster_id or article.id,
            terms=tuple(dict.fromkeys(h.term for h in m.hits)),
            hits=tuple(asdict(h) for h in m.hits),
            matched_at=now,
        )
        for m in found
        if m.rule in digest_of
    ]


def match_articles(
    matcher: Matcher,
    rules: Sequence[RuleConfig],
    store: Store,
    feed: FeedConfig,
    articles: Sequence[StoredArticle],
    refreshed_ids: Sequence[str],
    now: datetime,
    *,
    backlog: bool,
) -> int:
    """Match new articles (and known ones that just gained their full text); returns matches saved."""
    rows: list[MatchRow] = []
    for article in articles:
        rows += match_rows(matcher, rules, article, feed, now)
    if not backlog:
        for known in store.articles_since(now - feed.max_age, refreshed_ids):
            rows += match_rows(matcher, rules, known, feed, now)
    saved = store.save_matches(rows) if rows else []
    metrics.record_matches(Counter(row.rule for row in saved))
    return len(saved)
