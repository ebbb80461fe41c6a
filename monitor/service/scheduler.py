"""The long-running service: APScheduler jobs over state kept in the database, signals and reloads."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.load import Config, load_config
from monitor.digest.outbox import ME, deliver_pending
from monitor.errors import ConfigError
from monitor.pipeline.refresh import backlog_note
from monitor.service.app import (
    LEASE_SECONDS,
    WORKERS,
    App,
    _poll_one,
    build_app,
    check_health,
    claim_due_feeds,
    forget_old_stories,
    prune_archive,
    release_held,
    seconds_from_env,
    send_instant_digests,
    send_scheduled_digest,
)
from monitor.service.crontrigger import ScheduleTrigger
from monitor.service.websub import Subscriber

log = logging.getLogger("monitor.service")


PUSH_WORKERS = 2  # threads reading pushed documents
CLAIM_AHEAD = WORKERS * 2  # feeds claimed but not finished per worker: the pool's queue
CRON_GRACE_SECONDS = 3600  # a cron job that waited for a thread still runs this late
TICK_SECONDS = seconds_from_env("NEWS_MONITOR_TICK_SECONDS", 5)
OUTBOX_SECONDS = seconds_from_env("NEWS_MONITOR_OUTBOX_SECONDS", 30)
# Held digests go within a minute of the end of quiet hours.
RELEASE_SECONDS = seconds_from_env("NEWS_MONITOR_RELEASE_SECONDS", 20)
# Source health reads every feed's recent history: once a minute is soon enough for a notice.
HEALTH_SECONDS = seconds_from_env("NEWS_MONITOR_HEALTH_SECONDS", 60)
PRUNE_SECONDS = seconds_from_env("NEWS_MONITOR_PRUNE_SECONDS", 24 * 3600)


def last_fire_time(trigger: ScheduleTrigger, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` the cron trigger fires (within the hour a late job
    still runs): the key every worker's run of that time shares."""
    found = None
    moment = trigger.get_next_fire_time(None, now - timedelta(seconds=CRON_GRACE_SECONDS))
    while moment is not None and moment <= now:
        found = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return found


class Service:
    """Polls due feeds on a tick, sends cron digests in their timezone, retries the outbox.

    No APScheduler job store: jobs are rebuilt from the config; all state lives in our tables.
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], datetime] | None = None,
        config_loader: Callable[[str], Config] = load_config,
        worker: str = ME,
    ) -> None:
        self.app: App = build_app(config, clock=clock)
        self.worker = worker  # whose leases this service's claims are
        self._claiming = threading.Lock()
        self.clock = self.app.clock
        self._load = config_loader
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="poll")
        # Pushed documents are read beside the polls, not behind them: a push is news now.
        self._push_pool = ThreadPoolExecutor(max_workers=PUSH_WORKERS, thread_name_prefix="push")
        self.subscriber = Subscriber(lambda: self.app, self._push_pool.submit)
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._reloading = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.last_tick: datetime | None = None
        self.started_at: datetime | None = None

    # jobs ------------------------------------------------------------------

    def tick(self) -> int:
        """Claim due feeds for the pool's free places and hand them over, index what earlier
        polls stored; returns how many feeds were handed."""
        self.last_tick = self.clock()
        handed = self.claim_feeds()
        self.index_new_articles()
        return handed

    def claim_feeds(self) -> int:
        """Lease due feeds (none another worker holds, none in flight here) up to the pool's
        queue and hand them to it. Called on each tick and whenever a poll ends, so a worker
        takes more as it frees up and several workers share the feeds by how fast they go."""
        if not self._claiming.acquire(blocking=False):
            return 0  # another thread of this worker is claiming right now
        try:
            with self.app._in_flight_lock:
                room = CLAIM_AHEAD - len(self.app._in_flight)
            feeds = (
                claim_due_feeds(
                    self.app, owner=self.worker, lease=timedelta(seconds=LEASE_SECONDS), limit=room
                )
                if room > 0
                else []
            )
            with self.app._in_flight_lock:
                feeds = [f for f in feeds if f.url not in self.app._in_flight]
                self.app._in_flight.update(f.url for f in feeds)
        finally:
            self._claiming.release()
        for feed in feeds:
            self._pool.submit(self._poll_and_alert, feed)
        return len(feeds)

    def index_new_articles(self) -> None:
        # What the polls stored since the last tick goes into the search index in one batch.
        try:
            self.app.store.index_new_articles()
        except Exception:
            log.exception("full-text indexing failed")

    def _poll_and_alert(self, feed) -> None:  # noqa: ANN001
        outcome = _poll_one(self.app, feed, None)
        if note := backlog_note([outcome]):
            log.info("%s feed=%s", note, feed.url)
        if outcome.matches:
            try:
                send_instant_digests(self.app)
            except Exception:
                log.exception("instant digest failed after feed=%s", feed.url)
        if not self._stop.is_set():
            try:
                self.claim_feeds()  # a place in the pool is free: take the next due feed
            except Exception:
                log.exception("claiming due feeds failed")

    def resume_subscriptions(self) -> None:
        """At start: a hub may have dropped us while we could not answer it, so every
        subscription is asked for again (the next tend makes the requests)."""
        if self.app.config.public_url:
            self.app.store.resubscribe_all(self.clock())

    def tend_subscriptions(self) -> None:
        try:
            self.subscriber.tend()
        except Exception:
            log.exception("websub subscriptions failed")

    def forget_old_stories(self) -> None:
        try:
            dropped = forget_old_stories(self.app)
            log.info("near-duplicate index pruned keys=%d", dropped)
        except Exception:
            log.exception("near-duplicate index pruning failed")

    def prune(self) -> None:
        # Once a day, in short batches: the polls and sends of the other jobs go on meanwhile.
        try:
            report = prune_archive(self.app)
            log.info(
                "pruned %s bytes_given_back=%d seconds=%.1f longest_batch_ms=%.0f",
                " ".join(f"{kind}={n}" for kind, n in sorted(report.rows.items())) or "nothing",
                report.bytes_given_back,
                report.seconds,
                report.longest_batch_ms,
            )
        except Exception:
            log.exception("pruning failed")

    def send_cron_digest(self, name: str) -> None:
        try:
            trigger = self.cron_triggers().get(name)
            scheduled = last_fire_time(trigger, self.clock()) if trigger else None
            send_scheduled_digest(self.app, name, scheduled)
        except Exception:
            log.exception("digest failed digest=%s", name)

    def release_held(self) -> None:
        try:
            release_held(self.app)
        except Exception:
            log.exception("releasing held digests failed")

    def check_health(self) -> None:
        try:
            check_health(self.app)
        except Exception:
            log.exception("source health check failed")

    def retry_outbox(self) -> None:
        try:
            deliver_pending(self.app.db, self.app.channels, self.clock(), clock=self.clock)
        except Exception:
            log.exception("outbox retry failed")

    # lifecycle -------------------------------------------------------------

    def schedule_jobs(self) -> None:
        self.scheduler.remove_all_jobs()
        self._every(self.tick, TICK_SECONDS, "tick")
        self._every(self.retry_outbox, OUTBOX_SECONDS, "outbox")
        self._every(self.release_held, RELEASE_SECONDS, "release")
        if self.app.config.health:
            self._every(self.check_health, HEALTH_SECONDS, "health")
        if self.app.config.public_url:
            self._every(self.tend_subscriptions, TICK_SECONDS, "websub")
        self._every(self.forget_old_stories, 6 * 3600, "forget")
        self._every(self.prune, PRUNE_SECONDS, "prune")
        for name, trigger in self.cron_triggers().items():
            self._add(self.send_cron_digest, trigger, f"digest:{name}", 3600, args=[name])

    def _every(self, job: Callable[[], object], seconds: float, job_id: str) -> None:
        # A job that waited for a free thread must still run: grace about the job's own interval.
        self._add(job, IntervalTrigger(seconds=seconds), job_id, min(seconds, 3600))

    def _add(
        self,
        job: Callable[..., object],
        trigger: Any,
        job_id: str,
        grace: float,
        args: list | None = None,
    ) -> None:
        self.scheduler.add_job(
            job,
            trigger,
            args=args,
            id=job_id,
            misfire_grace_time=int(grace),
            coalesce=True,
            max_instances=1,
        )

    def cron_triggers(self) -> dict[str, ScheduleTrigger]:
        return {
            d.name: ScheduleTrigger(d.schedule, d.timezone)
            for d in self.app.config.digests.values()
            if not d.instant
        }

    def reload(self) -> bool:
        """Re-read the config; a bad one is reported and the running one kept. Called on
        SIGHUP, and by the web page after it wrote the config (from its own thread)."""
        with self._reloading:
            return self._reload_now()

    def _reload_now(self) -> bool:
        path = self.app.config.path
        try:
            config = self._load(path)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("reload refused, keeping the running config: %s", problem)
            return False
        old = self.app
        self.app = build_app(config, clock=self.clock)
        self.app._in_flight = old._in_flight
        self.app._in_flight_lock = old._in_flight_lock
        self.schedule_jobs()
        log.info("config reloaded feeds=%d rules=%d", len(config.feeds), len(config.rules))
        return True

    def install_signal_handlers(self) -> None:
        # BlockingScheduler installs none: SIGTERM would kill a poll mid-write. We finish, then exit.
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self._reload.set())

    def run(self, *, on_started: Callable[[], None] | None = None) -> None:
        self.started_at = self.clock()
        self.resume_subscriptions()
        self.schedule_jobs()
        self.scheduler.start()
        self.tick()
        log.info(
            "service started feeds=%d rules=%d digests=%d",
            len(self.app.config.feeds),
            len(self.app.config.rules),
            len(self.app.config.digests),
        )
        if on_started:
            on_started()
        while not self._stop.is_set():
            self._stop.wait(0.5)
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
        self.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        log.info("stopping: finishing the polls in flight")
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._push_pool.shutdown(wait=True)
        try:
            self.app.store.release_feeds(self.worker)  # feeds claimed, never polled: others' now
        except Exception:
            log.exception("releasing feed leases failed")
        self.index_new_articles()
        log.info("stopped")

    def healthy(self, max_silence: timedelta = timedelta(seconds=TICK_SECONDS * 6)) -> bool:
        return (
            self.scheduler.running
            and self.last_tick is not None
            and self.clock() - self.last_tick <= max_silence
        )
