"""Trying rules by hand: explaining a match on given text, backtesting and searching the archive."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from monitor.config.load import Config, FeedConfig
from monitor.errors import ConfigError
from monitor.pipeline.matching import document
from monitor.rules import (
    Document,
    Hit,
    Matcher,
    Rule,
    RuleSyntaxError,
    build_rule,
)
from monitor.rules.explain import explained
from monitor.rules.limits import check_text
from monitor.store.backend import open_database
from monitor.store.browse import Browse
from monitor.store.store import CHUNK, Store, StoredArticle, iso


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    matched: bool
    hits: tuple[Hit, ...]
    explanation: str
    document: Document = Document()

    def as_json(self) -> dict:
        """Each hit with the text it covers: for @Name, the inflected word and its base form."""
        return {
            "matched": self.matched,
            "hits": [
                {**asdict(h), "text": getattr(self.document, h.field)[h.start : h.end]}
                for h in self.hits
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundArticle:
    title: str
    url: str
    feed: str
    published: str | None
    first_seen: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]

    @property
    def date(self) -> str:
        """When it was published where that is known, else when it was first seen (ISO, UTC)."""
        return self.published or self.first_seen

    def as_json(self) -> dict:
        out = asdict(self)
        out["terms"] = list(self.terms)
        out["hits"] = [asdict(h) for h in self.hits]
        return out


def resolve_rule(name_or_query: str, config: Config | None, *, by_name: bool = True) -> Rule:
    """A configured rule by name, else the text parsed as a query (naming the config's
    entities as @Name)."""
    if config is not None and by_name:
        for rule in config.rules:
            if rule.name == name_or_query:
                return rule.rule
    try:
        entities = config.entities if config is not None else None
        return build_rule(name="query", query=name_or_query, entities=entities)
    except RuleSyntaxError as exc:
        raise ConfigError(f"query:{exc}") from None


def explain_text(rule: Rule, *, title: str, text: str) -> Explanation:
    """Whether the rule matches this text, and why; raises TextTooLong past MAX_TRY_CHARS."""
    check_text(title, text)
    doc = Document(title=title, text=text)
    hits, explanation = explained(rule, doc)
    return Explanation(
        matched=hits is not None, hits=hits or (), explanation=explanation, document=doc
    )


def backtest(
    config: Config,
    rule: Rule,
    *,
    since: timedelta,
    now: datetime,
    limit: int | None = None,
    track: Callable[[list[StoredArticle]], Iterable[StoredArticle]] = iter,
) -> list[FoundArticle]:
    """What the rule would have matched among stored articles, newest first: FTS narrows, the
    matcher decides. An article's date is when it was published where the feed said so (a
    2017 story first seen today is not in the last 7 days), else when it was first seen.

    ``track`` wraps the candidates as they are checked (the CLI's progress bar).
    """
    store = Store(open_database(config.database))
    store.index_new_articles()  # a service indexes on its tick: what came since counts too
    prefilter = store.db.search.query_for(rule)
    # A stored publication date is never more than a day after first seen (later ones are
    # taken as first seen), so the articles first seen since a day before the start hold
    # every article published since the start.
    start = now - since - _FUTURE_SLACK
    if prefilter:
        ids = store.fts_candidates(prefilter, start)
        rows = store.articles_since(start, ids)
    else:
        rows = store.articles_since(start)
    rows.sort(key=lambda r: (r.first_seen, r.id), reverse=True)  # as the search page
    matcher = Matcher([rule])
    feeds = {f.url: f for f in config.feeds}
    sources = store.sources_of([r.id for r in rows])
    found: list[FoundArticle] = []
    since_iso = iso(now - since) or ""
    for row in track(rows):
        hit = _judge(matcher, feeds, sources, row)
        if hit is not None and hit.date >= since_iso:
            found.append(hit)
    found.sort(key=lambda f: f.date, reverse=True)
    return found[:limit] if limit else found


_FUTURE_SLACK = timedelta(days=1)


def _judge(
    matcher: Matcher,
    feeds: dict[str, FeedConfig],
    sources: dict[str, list[str]],
    article: StoredArticle,
) -> FoundArticle | None:
    """The article as found by the rule through the first of its feeds that lets it match."""
    for feed_url in sources.get(article.id, [article.feed]):
        feed = feeds.get(feed_url) or FeedConfig(
            url=feed_url, name=urlsplit(feed_url).hostname or feed_url
        )
        match = matcher.match(document(article, feed))
        if match:
            return _found(article, feed, match[0].hits)
    return None


# The web page's search reads candidates a chunk at a time, newest first, and stops as soon
# as nothing later can enter the page: a common word among 100,000 articles must not load
# them all. The next page shows what is older than where this one stopped (a cursor of date
# and id); it judges the candidates before it again, which costs a deep page a little more.
_FIRST_CHUNK = 64
_MAX_CHUNK = 1024

Cursor = tuple[str, str]  # (first_seen, id) of the last article a page showed


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    article_id: str
    found: FoundArticle
    text: str  # the `text` field the hits' offsets point into: summary plus full text
    position: Cursor


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    next: Cursor | None  # where the next page starts, when there is one
    stopped: bool = False  # the time budget ran out before the page was full


# The page's search judges articles for at most this long, then shows what it found and says
# it stopped: a query that matches almost nothing over a large archive must not hold one of
# the page's few threads for minutes.
SEARCH_SECONDS = 5.0


def search_page(
    config: Config,
    store: Browse,
    rule: Rule,
    *,
    since: timedelta,
    now: datetime,
    after: Cursor | None,
    limit: int,
    timer: Callable[[], float] = time.monotonic,
    budget: float | None = None,
) -> SearchPage:
    """One page of what the rule finds among stored articles, newest first by their date
    (published, else first seen, as in `backtest`), older than `after` (FTS narrows, the
    matcher decides); past `budget` seconds of `timer`, what it found so far.

    Candidates come newest first by first seen; an article's date is never more than a day
    after it was first seen, so once the candidates are first seen a day before the oldest
    date the page would show, nothing later can enter the page and the reading stops."""
    deadline = timer() + (SEARCH_SECONDS if budget is None else budget)
    matcher = Matcher([rule])
    feeds = {f.url: f for f in config.feeds}
    since_iso = iso(now - since) or ""
    found: list[SearchHit] = []
    for rows in _candidate_chunks(store, rule, now - since - _FUTURE_SLACK):
        sources = store.sources_of([r.id for r in rows])
        for row in rows:
            if timer() > deadline:
                found.sort(key=lambda h: h.position, reverse=True)
                more = found[limit - 1].position if len(found) > limit else None
                return SearchPage(hits=tuple(found[:limit]), next=more, stopped=True)
            hit = _judge(matcher, feeds, sources, row)
            if hit is None or hit.date < since_iso:
                continue
            position = (hit.date, row.id)
            if after is not None and position >= after:
                continue  # shown on an earlier page
            text = "\n\n".join(p for p in (row.summary, row.text) if p)
            found.append(SearchHit(article_id=row.id, found=hit, text=text, position=position))
        found.sort(key=lambda h: h.position, reverse=True)
        del found[limit + 1 :]  # one past the page says that another follows
        if (
            len(found) > limit
            and (iso(rows[-1].first_seen + _FUTURE_SLACK) or "") < (found[-1].position[0])
        ):
            break
    page = found[:limit]
    return SearchPage(hits=tuple(page), next=page[-1].position if len(found) > limit else None)


def _candidate_chunks(store: Browse, rule: Rule, start: datetime) -> Iterator[list[StoredArticle]]:
    """Candidate articles newest first by first seen, in growing chunks."""
    after: Cursor | None = None
    prefilter = store.db.search.query_for(rule)
    chunk = _FIRST_CHUNK
    if prefilter:
        # The index answers newest first; the rows are read a chunk of ids at a time.
        # Articles first seen in the same second may straddle two chunks in any order: the
        # chunk's oldest second waits for the next chunk, so rows come in (first_seen, id) order.
        ids = store.fts_candidates(prefilter, start)
        waiting: list[StoredArticle] = []
        at = 0
        while at < len(ids):
            batch = ids[at : at + min(chunk, CHUNK)]
            at += len(batch)
            chunk = min(chunk * 2, _MAX_CHUNK)
            rows = waiting + store.articles_before(start, None, limit=len(batch), ids=batch)
            rows.sort(key=lambda r: (r.first_seen, r.id), reverse=True)
            waiting = [r for r in rows if at < len(ids) and r.first_seen == rows[-1].first_seen]
            if len(rows) > len(waiting):
                yield rows[: len(rows) - len(waiting)]
        return
    while rows := store.articles_before(start, after, limit=chunk):
        yield rows
        after = (iso(rows[-1].first_seen) or "", rows[-1].id)
        chunk = min(chunk * 2, _MAX_CHUNK)


def search_archive(
    config: Config, rule: Rule, *, since: timedelta, limit: int, now: datetime
) -> list[FoundArticle]:
    return backtest(config, rule, since=since, now=now, limit=limit)


def _found(article, feed: FeedConfig, hits: tuple[Hit, ...]) -> FoundArticle:  # noqa: ANN001
    return FoundArticle(
        title=article.title,
        url=article.link or article.url,
        feed=feed.name,
        published=iso(article.published),
        first_seen=iso(article.first_seen) or "",
        terms=tuple(dict.fromkeys(h.term for h in hits)),
        hits=hits,
    )
