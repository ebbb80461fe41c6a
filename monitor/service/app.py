"""Assembling the running parts from a config, and the work both `run --once` and the service do."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.channels import make_channel
from monitor import metrics
from monitor.config.load import Config, DigestConfig, FeedConfig
from monitor.digest.health import check_sources, source_notes
from monitor.digest.outbox import ME, DeliveryReport, alive, deliver_pending
from monitor.digest.release import Release, open_due_run
from monitor.digest.select import open_digest_run
from monitor.digest.spikes import detect_spikes
from monitor.pipeline.isolate import isolated_fingerprints, isolated_parse
from monitor.pipeline.refresh import Context, FeedOutcome, refresh_feed
from monitor.rules import Matcher
from monitor.sources.fetch import HostLimiter, make_session
from monitor.store.backend import open_database
from monitor.store.db import Database
from monitor.store.retention import PruneReport, cutoffs
from monitor.store.runs import held_digests
from monitor.store.store import Store

log = logging.getLogger("monitor.app")

WORKERS = 8


def seconds_from_env(name: str, default: int) -> int:
    """A whole number of seconds from the environment (tests run the real service faster)."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


# How long a worker's claim on a feed lasts (DESIGN §15): longer than any poll takes (fetch
# deadline, then full text page by page); a killed worker's feeds are polled again after it.
LEASE_SECONDS = seconds_from_env("NEWS_MONITOR_LEASE_SECONDS", 600)
EVER = datetime.max.replace(tzinfo=UTC)  # run --once: every feed counts as due by then
PER_HOST = 2
PAGE_DELAY_S = 0.5  # politeness between two article-page requests to one host


@dataclass(kw_only=True)
class App:
    config: Config
    db: Database
    ctx: Context
    channels: dict
    clock: Callable[[], datetime]
    _in_flight: set[str] = field(default_factory=set)
    _in_flight_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> Store:
        return self.ctx.store


def build_app(
    config: Config, *, clock: Callable[[], datetime] | None = None, channels: dict | None = None
) -> App:
    clock = clock or (lambda: datetime.now(UTC))
    db = open_database(config.database)
    store = Store(db)
    ctx = Context(
        config=config,
        store=store,
        session=make_session(config.user_agent),
        matcher=Matcher([r.rule for r in config.rules]),
        limiter=HostLimiter(per_host=PER_HOST),
        page_limiter=HostLimiter(per_host=1, min_interval=PAGE_DELAY_S),
        clock=clock,
        parse=isolated_parse,  # a feed that blows up a parser costs a worker, not the service
        fingerprints=isolated_fingerprints,
    )
    if channels is None:
        channels = {
            name: make_channel(name, settings) for name, settings in config.channels.items()
        }
    return App(config=config, db=db, ctx=ctx, channels=channels, clock=clock)


def forget_old_stories(app: App) -> int:
    """Drop near-duplicate index keys older than every feed's max_age: such stories are never
    folded into again, and the index stays the size of the last max_age."""
    oldest = max((f.max_age for f in app.config.feeds), default=None)
    return app.store.forget_story_keys(app.clock() - oldest) if oldest else 0


def prune_archive(app: App, *, dry_run: bool = False) -> PruneReport:
    """Delete what is past the config's retention (DESIGN §11) and give the space back."""
    now = app.clock()
    kept = app.config.retention
    cut = cutoffs(
        now,
        articles=kept.articles,
        matched=kept.matched,
        full_text=kept.full_text,
        deliveries=kept.deliveries,
    )
    return app.store.prune(cut, now, dry_run=dry_run)


def poll_feeds(
    app: App,
    feeds: Iterable[FeedConfig],
    *,
    workers: int = WORKERS,
    progress: Callable[[FeedOutcome], None] | None = None,
) -> list[FeedOutcome]:
    """Poll feeds on a bounded pool; a feed already being polled is skipped, a crash is recorded."""
    todo = []
    with app._in_flight_lock:
        for feed in feeds:
            if feed.url not in app._in_flight:
                app._in_flight.add(feed.url)
                todo.append(feed)
    if not todo:
        return []
    with ThreadPoolExecutor(max_workers=min(workers, len(todo)), thread_name_prefix="poll") as pool:
        outcomes = list(pool.map(lambda f: _poll_one(app, f, progress), todo))
    return outcomes


def _poll_one(
    app: App, feed: FeedConfig, progress: Callable[[FeedOutcome], None] | None
) -> FeedOutcome:
    started = time.perf_counter()
    try:
        outcome = refresh_feed(feed, app.ctx)
    except Exception as exc:  # e.g. the database itself failing: logged, the others go on
        log.exception("poll crashed feed=%s", feed.url)
        outcome = FeedOutcome(url=feed.url, outcome="error", error=f"{type(exc).__name__}: {exc}")
    finally:
        with app._in_flight_lock:
            app._in_flight.discard(feed.url)
    metrics.record_poll(outcome.outcome, time.perf_counter() - started, outcome.new_articles)
    if progress:
        progress(outcome)
    return outcome


def polled(app: App) -> list[FeedConfig]:
    """The feeds to poll: every configured one but those paused (`paused: true`)."""
    return [f for f in app.config.feeds if not f.paused]


def due_feeds(app: App) -> list[FeedConfig]:
    urls = app.store.due_feeds([f.url for f in polled(app)], app.clock())
    by_url = {f.url: f for f in app.config.feeds}
    return [by_url[u] for u in urls]


def claim_due_feeds(
    app: App, *, owner: str, lease: timedelta, limit: int, due_by: datetime | None = None
) -> list[FeedConfig]:
    """Feeds due by ``due_by`` (default: now) leased to ``owner`` (one worker of several on
    one database), up to ``limit``, most overdue first."""
    urls = app.store.claim_due_feeds(
        [f.url for f in polled(app)],
        app.clock(),
        owner=owner,
        lease=lease,
        limit=limit,
        alive=alive,
        due_by=due_by,
    )
    by_url = {f.url: f for f in app.config.feeds}
    return [by_url[u] for u in urls]


def send_digest(app: App, name: str) -> list[DeliveryReport]:
    """Select and send one digest now (its outbox rows first, then every due delivery)."""
    digest = app.config.digests[name]
    opened = open_digest_run(app.db, app.config, digest, app.clock())
    if opened is not None:
        log.info("digest opened digest=%s run=%s entries=%d", name, opened.id, opened.total)
    return deliver_pending(app.db, app.channels, app.clock(), clock=app.clock)


def send_instant_digests(app: App) -> list[DeliveryReport]:
    """After a poll: spikes found, then each instant digest as far as its policy allows."""
    _detect_spikes(app)
    for digest in app.config.digests.values():
        if digest.instant:
            _open_allowed(app, digest, scheduled=False)
    return deliver_pending(app.db, app.channels, app.clock(), clock=app.clock)


def send_scheduled_digest(
    app: App, name: str, scheduled_for: datetime | None = None
) -> list[DeliveryReport]:
    """A cron digest's time has come: it goes out now unless quiet hours or its cap hold it.
    ``scheduled_for``, that time, opens one run however many workers' clocks fire for it."""
    _detect_spikes(app)
    _open_allowed(app, app.config.digests[name], scheduled=True, scheduled_for=scheduled_for)
    return deliver_pending(app.db, app.channels, app.clock(), clock=app.clock)


def release_held(app: App) -> list[DeliveryReport]:
    """What waited for quiet hours or a cap to end, then the outbox.

    Run every few seconds by the service (so held matches go within a minute of the end of
    quiet hours) and once by `run --once`.
    """
    _detect_spikes(app)
    held = held_digests(app.db)
    for digest in app.config.digests.values():
        if digest.instant or digest.name in held:
            _open_allowed(app, digest, scheduled=False)
    return deliver_pending(app.db, app.channels, app.clock(), clock=app.clock)


def check_health(app: App) -> list[DeliveryReport]:
    """One source-health notice for the feeds whose state changed, then the outbox."""
    try:
        notice = check_sources(app.db, app.config, app.clock())
    except Exception:
        log.exception("source health check failed")
        return []
    if notice is None:
        return []
    log.info("source health notice digest=%s feeds=%d", notice.name, len(notice.feeds))
    return deliver_pending(app.db, app.channels, app.clock(), clock=app.clock)


def _open_allowed(
    app: App, digest: DigestConfig, *, scheduled: bool, scheduled_for: datetime | None = None
) -> Release | None:
    now = app.clock()
    try:
        feeds = source_notes(app.db, app.config, now) if not digest.instant else ()
        release = open_due_run(
            app.db,
            app.config,
            digest,
            now,
            scheduled=scheduled,
            scheduled_for=scheduled_for,
            feeds=feeds,
        )
    except Exception:
        log.exception("digest selection failed digest=%s", digest.name)
        return None
    if release.opened is not None:
        log.info(
            "digest opened digest=%s run=%s entries=%d",
            digest.name,
            release.opened.id,
            release.opened.total,
        )
    if release.held is not None:
        log.info(
            "digest held digest=%s until=%s reason=%s",
            digest.name,
            release.held.until.isoformat(),
            release.held.reason,
        )
    return release


def _detect_spikes(app: App) -> None:
    try:
        for rule in detect_spikes(app.db, app.config, app.clock()):
            log.info("spike detected rule=%s", rule)
    except Exception:
        log.exception("spike detection failed")


def run_once(
    app: App, *, progress: Callable[[FeedOutcome], None] | None = None
) -> list[FeedOutcome]:
    """Poll every feed now (not only those due: each counts as due by the end of time),
    through the daemon's claims so that a worker polling one of them meanwhile is left to it,
    then index what they stored for search, send the instant digests and whatever the outbox
    has due."""
    feeds = polled(app)
    lease = timedelta(seconds=LEASE_SECONDS)
    claimed = claim_due_feeds(app, owner=ME, lease=lease, limit=len(feeds), due_by=EVER)
    try:
        chosen = {f.url for f in claimed}
        outcomes = poll_feeds(app, [f for f in feeds if f.url in chosen], progress=progress)
    finally:
        app.store.release_feeds(ME, [f.url for f in claimed])  # a poll that crashed
    app.store.index_new_articles()
    send_instant_digests(app)
    release_held(app)
    check_health(app)
    return outcomes
