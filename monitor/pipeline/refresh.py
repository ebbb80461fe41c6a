"""One poll of one feed, top to bottom: fetch, parse, extract, dedupe, store, match."""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from monitor import metrics
from monitor.config.load import Config, FeedConfig
from monitor.errors import BlockedAddressError, ExtractError, FetchError, ParseError
from monitor.extract.language import detect_language
from monitor.extract.page import extract_text
from monitor.pipeline.latency import detection_delays
from monitor.pipeline.links import decode_matched_links
from monitor.pipeline.matching import match_articles
from monitor.rules import Matcher
from monitor.sources.feed.parse import Entry, ParsedFeed
from monitor.sources.fetch import FetchResult, FetchSession, HostLimiter, SourceAuth, fetch
from monitor.sources.registry import parse_source, source_type
from monitor.sources.schedule import (
    LONG_WINDOW,
    History,
    adaptive_interval,
    item_times,
    next_check,
)
from monitor.sources.websub import callback_id, discover
from monitor.store.feeds import MAX_RECENT_ITEMS
from monitor.store.store import FeedPoll, FeedState, SourceUpdate, Store, StoredArticle
from monitor.store.subscriptions import Subscription
from monitor.stories.boilerplate import repeated_lines, without_lines
from monitor.stories.identity import Identity, alertable, body_hash, identify
from monitor.stories.neardup import Fingerprint, fingerprints

log = logging.getLogger("monitor.pipeline")

MAX_TEXT_CHARS = 200_000  # a stored article's text; longer pages are cut
# A summary is what a digest quotes and a story page leads with; a feed that puts a whole
# article (or 9 MB of anything) there has it kept as the text, cut like any text.
MAX_SUMMARY_CHARS = 5_000
MAX_TITLE_CHARS = 1_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedOutcome:
    url: str
    outcome: str  # ok, not_modified, unchanged, error, gone
    status: int | None = None
    entries: int = 0
    new_articles: int = 0
    matches: int = 0
    error: str | None = None
    warning: str | None = None
    # articles this poll stored as the feed's backlog (its first poll: stored, never alerted)
    backlog: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingested:
    new: int  # articles stored
    matches: int
    poll: FeedPoll | None  # the feed's row as written with them


@dataclass(kw_only=True)
class Context:
    """The long-lived parts one poll needs; built once by the service or the one-shot run."""

    config: Config
    store: Store
    session: FetchSession
    matcher: Matcher
    limiter: HostLimiter
    page_limiter: HostLimiter
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    rng: random.Random = field(default_factory=random.Random)
    parse: Callable[..., ParsedFeed] = parse_source
    # per source type with an etiquette (GDELT: one request per 5 s), made on first use
    source_limiters: dict[str, HostLimiter] = field(default_factory=dict)
    # fingerprint() of each (title, text); build_app moves that work off the poll threads
    fingerprints: Callable[[Sequence[tuple[str, str]]], list[Fingerprint]] = fingerprints


def refresh_feed(feed: FeedConfig, ctx: Context, pushed: FetchResult | None = None) -> FeedOutcome:
    """Poll one feed and record the outcome, or read the document its WebSub hub ``pushed``
    (DESIGN §17) the same way; never raises for anything the feed does."""
    now = ctx.clock()
    state = ctx.store.feed_state(feed.url) or FeedState(url=feed.url)
    try:
        if pushed is not None:
            return _read_pushed(feed, state, ctx, now, pushed)
        return _refresh(feed, state, ctx, now)
    except Exception as exc:  # a surprise in one feed is recorded as its error, with backoff
        log.exception("poll crashed feed=%s", feed.url)
        error = f"internal error: {type(exc).__name__}: {exc}"
        if pushed is not None:  # the hub's document, not the feed, failed: no backoff
            return FeedOutcome(url=feed.url, outcome="error", error=error)
        return _record_failure(feed, state, ctx, now, status=None, error=error)


def _read_pushed(
    feed: FeedConfig, state: FeedState, ctx: Context, now: datetime, pushed: FetchResult
) -> FeedOutcome:
    """A pushed document goes the way of a polled one (parse, identities, dedupe, full text,
    store, match), so an item pushed and then polled is stored and alerted once. The feed's
    row is left as the last poll wrote it: its validators, body hash and next poll are the
    poll's, which still comes at push_poll to notice a hub gone silent."""
    try:
        parsed = _parse(feed, ctx, pushed)
    except ParseError as exc:
        log.warning("pushed document unreadable feed=%s: %s", feed.url, exc)
        return FeedOutcome(url=feed.url, outcome="error", error=f"parse: {exc}")
    parsed = _dated(parsed, now, fill=feed.type != "feed")
    done = ingest(
        feed, unique_items(feed, parsed.entries), ctx, now, backlog=not state.backlog_done
    )
    return FeedOutcome(
        url=feed.url,
        outcome="pushed",
        status=pushed.status,
        entries=len(parsed.entries),
        new_articles=done.new,
        matches=done.matches,
    )


# The stored body hash of a source's document says what it was, for a type whose documents may
# be indexes: validators are only sent, and an unchanged body only trusted, for one that listed
# no others. (A row without a marker was written before the distinction: read whole once.)
_LEAF = "doc:"
_INDEX = "index:"


def _refresh(feed: FeedConfig, state: FeedState, ctx: Context, now: datetime) -> FeedOutcome:
    kind = source_type(feed.type)
    conditional = not kind.may_be_index or (state.body_hash or "").startswith(_LEAF)
    try:
        result = _fetch_source(feed, state, ctx, now, conditional=conditional)
    except FetchError as exc:
        return _record_failure(
            feed,
            state,
            ctx,
            now,
            status=None,
            error=f"{exc.kind}: {_without_url(str(exc))}",
            retry_after=exc.retry_after,
        )
    if result.status == 304:
        return _record(feed, state, ctx, now, result, "not_modified")
    if result.status == 410:
        return _record(feed, state, ctx, now, result, "gone", error="410 Gone: polling stopped")
    if result.status >= 400 or result.body is None:
        return _record_failure(
            feed,
            state,
            ctx,
            now,
            status=result.status,
            error=f"HTTP {result.status}",
            retry_after=result.retry_after,
            result=result,
        )
    digest = (_LEAF if kind.may_be_index else "") + body_hash(result.body)
    if digest == state.body_hash:
        return _record(feed, state, ctx, now, result, "unchanged", body=digest)
    try:
        parsed = _parse(feed, ctx, result)
        if parsed.follow:
            # An index (a sitemap index) often stays the same while the documents it lists
            # change: what counts as unchanged is the index with every document it lists.
            parsed, listed = _followed(feed, ctx, parsed)
            result = replace(result, etag=None, last_modified=None)
            digest = _INDEX + body_hash(" ".join((digest, *listed)).encode())
            if digest == state.body_hash:
                return _record(feed, state, ctx, now, result, "unchanged", body=digest)
    except ParseError as exc:
        return _record_failure(
            feed, state, ctx, now, status=result.status, error=f"parse: {exc}", result=result
        )
    parsed = _dated(parsed, now, fill=feed.type != "feed")
    if feed.type == "feed" and ctx.config.public_url:
        _note_hub(feed, ctx, result, now)
    items = unique_items(feed, parsed.entries)
    warning = "; ".join(
        w for w in (parsed.warning, skip_note(parsed.entries, kept=len(items))) if w
    )

    def poll(fresh: tuple[datetime, ...]) -> FeedPoll:
        return _poll_of(
            feed,
            state,
            ctx,
            now,
            result,
            "ok",
            body=digest,
            entries=len(parsed.entries),
            warning=warning or None,
            ttl=parsed.ttl,
            fresh=fresh,
        )

    done = ingest(feed, items, ctx, now, backlog=not state.backlog_done, poll=poll)
    if done.matches and feed.type == "google_news":
        decode_matched_links(
            feed,
            store=ctx.store,
            session=ctx.session,
            limiters=ctx.source_limiters,
            now=now,
            guard=not ctx.config.allow_private_networks,
        )
    assert done.poll is not None
    return _outcome_of(
        done.poll, new=done.new, matches=done.matches, backlog=not state.backlog_done
    )


def _note_hub(feed: FeedConfig, ctx: Context, result: FetchResult, now: datetime) -> None:
    """The WebSub hub a feed names, kept for the service to subscribe to (DESIGN §17)."""
    links = discover(url=result.final_url, link_header=result.link, body=result.body)
    if links is None:
        return
    known = ctx.store.subscription(feed.url)
    if known is None or (known.hub, known.topic) != (links.hub, links.topic):
        found = Subscription(
            feed=feed.url,
            callback=callback_id(feed.url),
            hub=links.hub,
            topic=links.topic,
            secret=secrets.token_hex(32),  # this subscription's own, never shown
        )
        if ctx.store.note_hub(found, now):
            log.info("websub hub found feed=%s hub=%s", feed.url, links.hub)


def _fetch_source(
    feed: FeedConfig, state: FeedState, ctx: Context, now: datetime, *, conditional: bool
) -> FetchResult:
    """The source's document, from where it moved permanently, else from its configured URL.
    Only the configured URL is trusted; a stored move the guard refuses now (stored before every
    hop was vetted, or a name that resolves inside today) is passed over for it."""
    kind = source_type(feed.type)
    moved = state.redirect_to
    for url in (moved, feed.request_url) if moved else (feed.request_url,):
        try:
            return fetch(
                ctx.session,
                kind.request_url(url, last_polled=state.last_polled_at, now=now),
                guard=not ctx.config.allow_private_networks,
                trusted=url != moved,
                etag=state.etag if conditional else None,
                last_modified=state.last_modified if conditional else None,
                timeout=feed.timeout.total_seconds(),
                max_bytes=feed.max_bytes,
                limiter=_limiter(feed, ctx),
                accept=kind.accept,
                auth=source_auth(feed),
            )
        except BlockedAddressError as exc:
            if url != moved:
                raise
            log.warning("stored move refused feed=%s: %s", feed.url, exc)
    raise AssertionError("the configured URL is always tried last")


def _limiter(feed: FeedConfig, ctx: Context) -> HostLimiter:
    """The shared per-host limiter, or the stricter one of a type with an etiquette."""
    interval = source_type(feed.type).min_interval
    if interval <= 0:
        return ctx.limiter
    return ctx.source_limiters.setdefault(feed.type, HostLimiter(per_host=1, min_interval=interval))


def _parse(feed: FeedConfig, ctx: Context, result: FetchResult) -> ParsedFeed:
    assert result.body is not None
    if feed.type == "feed":
        return ctx.parse(result.body, url=result.final_url, content_type=result.content_type)
    return ctx.parse(
        result.body,
        url=result.final_url,
        content_type=result.content_type,
        kind=feed.type,
        settings=parser_settings(feed),
        max_bytes=feed.max_bytes,
    )


def parser_settings(feed: FeedConfig) -> SimpleNamespace | None:
    """A type's settings as plain values for its parser: the parser runs in a worker process,
    which should not have to import the config models (pydantic) to read them, and never
    sees the source's credentials."""
    if feed.source is None:
        return None
    return SimpleNamespace(**feed.source.model_dump(exclude={"username", "password", "headers"}))


def _followed(feed: FeedConfig, ctx: Context, index: ParsedFeed) -> tuple[ParsedFeed, list[str]]:
    """The entries of the documents an index lists (one level deep, as many as it kept), each
    fetched and read like the index, and the body hash of each one read; one that fails is a
    warning, the others still count."""
    entries: list[Entry] = list(index.entries)
    hashes: list[str] = []
    problems: list[str] = []
    for url in index.follow:
        try:
            result = fetch(
                ctx.session,
                url,
                timeout=feed.timeout.total_seconds(),
                max_bytes=feed.max_bytes,
                # listed by the index, not written by the operator, even on the index's host
                guard=not ctx.config.allow_private_networks,
                limiter=_limiter(feed, ctx),
                accept=source_type(feed.type).accept,
                auth=source_auth(feed),  # a sitemap on the source's own origin only
            )
            if result.status >= 400 or result.body is None:
                problems.append(f"{url}: HTTP {result.status}")
                continue
            hashes.append(body_hash(result.body))
            entries.extend(_parse(feed, ctx, result).entries)
        except FetchError as exc:
            problems.append(str(exc))
        except ParseError as exc:
            problems.append(f"{url}: {exc}")
    if problems and len(problems) == len(index.follow):
        raise ParseError(
            f"none of the {len(problems)} listed documents could be read: {problems[0]}"
        )
    warning = "; ".join(w for w in (index.warning, *problems[:3]) if w) or None
    return replace(index, entries=tuple(entries), follow=(), warning=warning), hashes


# A date further ahead than this is a wrong clock or a wrong zone, not news from tomorrow.
FUTURE_SLACK = timedelta(days=1)


def _dated(parsed: ParsedFeed, now: datetime, *, fill: bool) -> ParsedFeed:
    """Entries' dates as far as they can be trusted: one more than a day ahead is dropped, so
    the entry is dated when first seen, as one without a date is; ``fill`` writes that time
    in (sources other than feeds often give none, and a digest sorts by date)."""

    def trusted(entry: Entry) -> Entry:
        published = entry.published
        if published is not None and published > now + FUTURE_SLACK:
            published = None
        if published is None and fill:
            published = now
        return entry if published == entry.published else replace(entry, published=published)

    return replace(parsed, entries=tuple(trusted(e) for e in parsed.entries))


def ingest(
    feed: FeedConfig,
    items: list[tuple[Entry, Identity]],
    ctx: Context,
    now: datetime,
    *,
    backlog: bool,
    poll: Callable[[tuple[datetime, ...]], FeedPoll] | None = None,
) -> Ingested:
    """Store what is new among a feed's items (``unique_items``) and match it; the feed's row
    ``poll`` makes, given when this poll's new items appeared (its next check may depend on
    them), is recorded in the same transaction as the articles."""
    # a page whose Google News wrapping was stored and decoded before is that article
    moved = ctx.store.moved([i.url for _, i in items if not i.url.startswith("urn:")])
    if moved:
        items = [(e, replace(i, article_id=moved.get(i.url, i.article_id))) for e, i in items]
    known = ctx.store.known(feed.url, [i.guid for _, i in items], [i.article_id for _, i in items])
    # a pruned article (its tombstone) is neither new nor a source seen again
    unseen = [
        (e, i)
        for e, i in items
        if i.guid not in known.seen_guids and i.article_id not in known.pruned
    ]
    fresh = [(e, i) for e, i in unseen if i.article_id not in known.existing]
    again = [(e, i) for e, i in unseen if i.article_id in known.existing]
    full_texts: dict[str, tuple[str, str]] = {}
    if feed.full_text:
        wanted = [i for _, i in fresh if i.link]
        wanted += [i for _, i in again if i.link and i.article_id in known.lacking_text]
        full_texts = {i.article_id: _full_text(i.link, feed, ctx) for i in wanted}
    furniture = (
        repeated_lines(f"{e.summary}\n{e.content}" for e, _ in items)
        if fresh or full_texts
        else frozenset()
    )
    articles = _articles(fresh, feed, now, full_texts, ctx, furniture)
    row = poll(item_times((e.published, now) for e, _ in fresh)) if poll else None
    stored = ctx.store.save_articles(
        feed.url,
        articles,
        [SourceUpdate(article_id=i.article_id, guid=i.guid, url=i.link or i.url) for _, i in again],
        full_texts,
        now,
        fold_since=now - feed.max_age,
        poll=row,
        tombstones=known.tombstones,
    )
    metrics.record_detection(detection_delays(stored, backlog=backlog))
    to_match = [
        a
        for a in stored
        if alertable(published=a.published, now=now, max_age=feed.max_age, backlog=backlog)
    ]
    # Text this poll fetched for an article stored before it (by another feed, earlier or a
    # moment ago while this poll fetched the page): its full-text match is alerted now.
    inserted = {a.id for a in stored}
    refreshed = [
        aid for aid, (_, status) in full_texts.items() if status == "ok" and aid not in inserted
    ]
    if refreshed:  # their sketch was of the summary: the story they belong to may change
        with_text = [(e, i) for e, i in items if i.article_id in refreshed]
        ctx.store.refile(
            _articles(with_text, feed, now, full_texts, ctx, furniture),
            fold_since=now - feed.max_age,
        )
    matched = match_articles(
        ctx.matcher, ctx.config.rules, ctx.store, feed, to_match, refreshed, now, backlog=backlog
    )
    return Ingested(new=len(stored), matches=matched, poll=row)


def skip_note(entries: tuple[Entry, ...], *, kept: int) -> str | None:
    """Why entries of a feed were not stored, so that none vanishes without a trace."""
    blank = sum(1 for e in entries if not (e.link or e.guid or e.title))
    repeated = len(entries) - blank - kept
    reasons = [f"{blank} without link, guid or title"] if blank else []
    if repeated:
        reasons.append(f"{repeated} repeated within the feed")
    if not reasons:
        return None
    return f"skipped {blank + repeated} of {len(entries)} entries: " + ", ".join(reasons)


def source_auth(feed: FeedConfig) -> SourceAuth | None:
    """The feed's credentials, bound to the origin of its configured URL."""
    creds = feed.credentials
    if creds is None:
        return None
    return SourceAuth.for_source(
        feed.request_url, username=creds.username, password=creds.password, headers=creds.headers
    )


def _without_url(message: str) -> str:
    # fetch errors start with the URL; the feed's row already says which feed it is
    head, sep, rest = message.partition(": ")
    return rest if sep and head.startswith(("http://", "https://")) else message


def unique_items(feed: FeedConfig, entries: tuple[Entry, ...]) -> list[tuple[Entry, Identity]]:
    """The entries worth storing (a link, guid or title), each article once, with its identity."""
    out: dict[str, tuple[Entry, Identity]] = {}
    for entry in entries:
        if not (entry.link or entry.guid or entry.title):
            continue
        identity = identify(
            feed_url=feed.url,
            guid=entry.guid,
            link=entry.link,
            title=entry.title,
        )
        out.setdefault(identity.article_id, (entry, identity))
    return list(out.values())


def _full_text(link: str, feed: FeedConfig, ctx: Context) -> tuple[str, str]:
    """(text, status): status 'ok', or why the summary had to do."""
    try:
        page: FetchResult = fetch(
            ctx.session,
            link,
            timeout=feed.timeout.total_seconds(),
            max_bytes=feed.max_bytes,
            guard=not ctx.config.allow_private_networks,
            limiter=ctx.page_limiter,
            accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            auth=source_auth(feed),  # only a page on the feed's own origin gets them
        )
        if page.status >= 400 or page.body is None:
            return "", f"HTTP {page.status}"
        return extract_text(page.body, url=page.final_url)[:MAX_TEXT_CHARS], "ok"
    except (FetchError, ExtractError) as exc:
        log.info("full text unavailable feed=%s link=%s: %s", feed.url, link, exc)
        return "", f"{getattr(exc, 'kind', 'extract')}: {exc}"[:300]


def _articles(
    fresh: list[tuple[Entry, Identity]],
    feed: FeedConfig,
    now: datetime,
    full_texts: dict[str, tuple[str, str]],
    ctx: Context,
    furniture: frozenset[str] = frozenset(),
) -> list[StoredArticle]:
    """The records of ``fresh`` items; their sketches leave out the feed's ``furniture``."""
    if not fresh:
        return []
    texts = [_texts(entry, full_texts.get(identity.article_id)) for entry, identity in fresh]
    pairs = [
        (e.title, without_lines(text or summary, furniture))
        for (e, _), (summary, text, _) in zip(fresh, texts, strict=True)
    ]
    sketches = ctx.fingerprints(pairs)
    return [
        _article(entry, identity, feed, now, article_texts, fp)
        for (entry, identity), article_texts, fp in zip(fresh, texts, sketches, strict=True)
    ]


def _texts(entry: Entry, full: tuple[str, str] | None) -> tuple[str, str, str | None]:
    """(summary, text, full-text status) of a new article."""
    summary = entry.summary or entry.content[:1000]
    text, status = full if full else ("", None)
    if not text:
        text = entry.content if entry.content and entry.content != summary else ""
    if not text and len(summary) > MAX_SUMMARY_CHARS:
        text = summary
    return _cut(summary, MAX_SUMMARY_CHARS), text[:MAX_TEXT_CHARS], status


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space near the end when there is one."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ", limit - 200)
    return (head[:space] if space > 0 else head) + "…"


def _article(
    entry: Entry,
    identity: Identity,
    feed: FeedConfig,
    now: datetime,
    texts: tuple[str, str, str | None],
    fp: Fingerprint,
) -> StoredArticle:
    summary, text, status = texts
    return StoredArticle(
        id=identity.article_id,
        url=identity.url,
        link=identity.link,
        guid=identity.guid,
        feed=feed.url,
        title=_cut(entry.title, MAX_TITLE_CHARS),
        summary=summary,
        text=text,
        author=_cut(entry.author, 200) if entry.author else None,
        # the source's word when it gives one, else a guess from the words themselves
        language=entry.language or detect_language(entry.title, summary, text),
        published=entry.published,
        first_seen=now,
        fingerprint=fp.to_bytes(),
        story_keys=fp.index_keys(),
        full_text_status=status,
        source_name=entry.source_name,
    )


def poll_interval(
    feed: FeedConfig,
    ctx: Context,
    now: datetime,
    fresh: tuple[datetime, ...] = (),
    state: FeedState | None = None,
) -> timedelta:
    """The interval before the status table (backoff, Retry-After, TTL) applies: push_poll
    while a WebSub hub pushes the feed, else the configured one, or with `interval: auto` the
    one the feed's publishing rate calls for, counting the items of this poll (``fresh``)
    with those stored before."""
    if ctx.config.public_url:
        subscription = ctx.store.subscription(feed.url)
        if subscription is not None and subscription.live(now):
            return feed.push_poll
    if not feed.adaptive:
        return feed.interval
    recent = ctx.store.recent_items(feed.url, now - LONG_WINDOW)
    times = item_times(recent.items) + fresh
    if recent.older and len(recent.items) < MAX_RECENT_ITEMS:
        since: datetime | None = now - LONG_WINDOW
    else:  # known only since its oldest item (or its newest MAX_ITEMS span less than the window)
        since = min(times, default=None)
    previous = (
        state.next_check_at - state.last_polled_at
        if state and state.next_check_at and state.last_polled_at
        else None
    )
    return adaptive_interval(
        History(times=times, since=since, previous=previous),
        now,
        minimum=feed.min_interval,
        maximum=feed.max_interval,
    )


def _record(
    feed: FeedConfig,
    state: FeedState,
    ctx: Context,
    now: datetime,
    result: FetchResult,
    outcome: str,
    *,
    body: str | None = None,
    error: str | None = None,
) -> FeedOutcome:
    poll = _poll_of(feed, state, ctx, now, result, outcome, body=body, error=error)
    ctx.store.record_poll(poll)
    return _outcome_of(poll)


def _poll_of(
    feed: FeedConfig,
    state: FeedState,
    ctx: Context,
    now: datetime,
    result: FetchResult,
    outcome: str,
    *,
    body: str | None = None,
    entries: int = 0,
    error: str | None = None,
    warning: str | None = None,
    ttl: int | None = None,
    fresh: tuple[datetime, ...] = (),
) -> FeedPoll:
    """What a poll that got an answer changes in the feed's row; ``fresh``: when the new items
    it stores appeared."""
    return FeedPoll(
        url=feed.url,
        name=feed.name,
        polled_at=now,
        status=result.status,
        outcome=outcome,
        next_check_at=next_check(
            now=now,
            interval=poll_interval(feed, ctx, now, fresh, state),
            status=result.status,
            failures=0,
            retry_after=result.retry_after,
            ttl_minutes=ttl,
            max_age=result.max_age,
            rng=ctx.rng,
        ),
        failures=0,
        error=error,
        warning=warning,
        etag=result.etag or (state.etag if outcome == "not_modified" else None),
        last_modified=result.last_modified
        or (state.last_modified if outcome == "not_modified" else None),
        body_hash=body,
        redirect_to=result.permanent_redirect,
        entries_seen=entries,
    )


def _outcome_of(
    poll: FeedPoll, *, new: int = 0, matches: int = 0, backlog: bool = False
) -> FeedOutcome:
    """The recorded poll as the caller sees it; moves and warnings are logged once, here."""
    if poll.redirect_to:
        log.warning("feed moved permanently feed=%s to=%s", poll.url, poll.redirect_to)
    if poll.warning:
        log.info("feed parsed with warnings feed=%s: %s", poll.url, poll.warning)
    return FeedOutcome(
        url=poll.url,
        outcome=poll.outcome,
        status=poll.status,
        entries=poll.entries_seen,
        new_articles=new,
        matches=matches,
        error=poll.error,
        warning=poll.warning,
        backlog=new if backlog else 0,
    )


BACKLOG_HINT = (
    "a feed's first poll stores what it already lists without alerting it; to see what the "
    "rules would have caught: news-monitor rules test RULE --since 7d (or news-monitor search QUERY)"
)


def backlog_note(outcomes: list[FeedOutcome]) -> str | None:
    """One line saying that a poll stored backlogs silently, and where to look at them."""
    stored = [o for o in outcomes if o.backlog]
    if not stored:
        return None
    articles = sum(o.backlog for o in stored)
    return f"stored {articles} backlog article(s) of {len(stored)} new feed(s): {BACKLOG_HINT}"


def _record_failure(
    feed: FeedConfig,
    state: FeedState,
    ctx: Context,
    now: datetime,
    *,
    status: int | None,
    error: str,
    retry_after: float | None = None,
    result: FetchResult | None = None,
) -> FeedOutcome:
    failures = state.consecutive_failures + 1
    when = next_check(
        now=now,
        interval=poll_interval(feed, ctx, now, state=state),
        status=status,
        failures=failures,
        retry_after=retry_after,
        ttl_minutes=None,
        max_age=None,
        rng=ctx.rng,
    )
    ctx.store.record_poll(
        FeedPoll(
            url=feed.url,
            name=feed.name,
            polled_at=now,
            status=status,
            outcome="error",
            next_check_at=when,
            failures=failures,
            error=error[:500],
            keep_validators=True,
            redirect_to=result.permanent_redirect if result else None,
        )
    )
    log.warning("feed failed feed=%s failures=%d error=%s", feed.url, failures, error[:200])
    return FeedOutcome(url=feed.url, outcome="error", status=status, error=error)
