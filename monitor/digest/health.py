"""Source health: which feeds are failing or silent, and the one notice each change deserves.

The decisions are pure (`observe`, `usual_gap`, `changes`); `check_sources` reads the feeds'
rows and histories, and writes the notice's run, its outbox rows and the new notified states in
one transaction, so a notice is neither lost nor sent twice across restarts.
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.records import Digest, FeedNote
from monitor.config.load import Config, FeedConfig, HealthConfig
from monitor.digest.select import write_run
from monitor.secrets import host_of, mask, mask_url
from monitor.store import signals
from monitor.store.db import Database

MIN_SILENCE = timedelta(hours=24)  # a feed is never called silent sooner than this
MIN_GAPS = 4  # new items needed before a feed's usual gap is trusted
HISTORY_ITEMS = 50  # the most recent new items a usual gap is learned from
HISTORY_DAYS = 90
DEFAULT_HEALTH = HealthConfig(digest="")  # thresholds for "Sources" when no health: block


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedFacts:
    """What the store knows about one feed's health."""

    url: str
    name: str
    failures: int = 0
    failing_since: datetime | None = None
    last_polled_at: datetime | None = None
    error: str | None = None
    item_times: tuple[datetime, ...] = ()  # when its recent new items were published (or seen)
    last_new: datetime | None = None  # when it last delivered a new item


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    url: str
    state: str  # ok, failing (past failing_for), silent, or starting (failing, not for long yet)
    note: FeedNote | None = None


def usual_gap(times: Iterable[datetime]) -> timedelta | None:
    """The median gap between a feed's consecutive new items; None without enough history."""
    ordered = sorted(set(times))[-HISTORY_ITEMS:]
    gaps = [(b - a).total_seconds() for a, b in zip(ordered, ordered[1:], strict=False)]
    if len(gaps) < MIN_GAPS:
        return None
    return timedelta(seconds=statistics.median(gaps))


def silence_threshold(gap: timedelta | None, silent_after: float) -> timedelta | None:
    return None if gap is None else max(MIN_SILENCE, gap * silent_after)


def observe(facts: FeedFacts, health: HealthConfig, now: datetime) -> Observed:
    """A feed's state now: failing for `failing_for` or more, silent, or fine."""
    if facts.failures and facts.failing_since:
        if now - facts.failing_since >= health.failing_for:
            note = _note(facts, "failing", facts.failing_since, facts.error)
            return Observed(url=facts.url, state="failing", note=note)
        return Observed(url=facts.url, state="starting")
    threshold = silence_threshold(usual_gap(facts.item_times), health.silent_after)
    if threshold and facts.last_new and now - facts.last_new >= threshold:
        note = _note(facts, "silent", facts.last_new, None)
        return Observed(url=facts.url, state="silent", note=note)
    return Observed(url=facts.url, state="ok")


def changes(
    observed: Sequence[Observed],
    notified: Mapping[str, str],
    facts: Mapping[str, FeedFacts],
    now: datetime,
) -> tuple[list[FeedNote], dict[str, str]]:
    """The notes one notice carries and each feed's new notified state.

    One notice when a feed has failed for `failing_for`, one more when it next polls fine;
    one when it falls silent. A feed that fails briefly, or recovers from silence, says nothing.
    """
    notes: list[FeedNote] = []
    states: dict[str, str] = {}
    for seen in observed:
        before = notified.get(seen.url, "ok")
        if seen.state == "failing" and before != "failing":
            assert seen.note is not None
            notes.append(seen.note)
            states[seen.url] = "failing"
        elif before == "failing" and seen.state in ("ok", "silent"):
            fact = facts[seen.url]
            notes.append(_note(fact, "recovered", fact.last_polled_at or now, None))
            states[seen.url] = "ok"  # still silent: that is the next check's notice
        elif seen.state == "silent" and before == "ok":
            assert seen.note is not None
            notes.append(seen.note)
            states[seen.url] = "silent"
        elif before == "silent" and seen.state == "ok":
            states[seen.url] = "ok"
    return notes, states


def _note(facts: FeedFacts, state: str, since: datetime | None, error: str | None) -> FeedNote:
    return FeedNote(
        name=facts.name,
        url=mask_url(facts.url),
        state=state,  # type: ignore[arg-type]
        since=since,
        error=mask(error)[:500] if error else None,
    )


# I/O -----------------------------------------------------------------------


def feed_facts(db: Database, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedFacts]:
    """Each configured feed's failures and recent new items, in two reads."""
    rows = signals.feed_failures(db)
    times: dict[str, list[datetime]] = {}
    last_new: dict[str, datetime] = {}
    for item in signals.new_items_since(db, now - timedelta(days=HISTORY_DAYS)):
        # A backlog arrives all at once: its publication times carry the feed's rhythm.
        when = min(item.published or item.first_seen, item.first_seen)
        times.setdefault(item.feed, []).append(when)
        if item.feed not in last_new or item.first_seen > last_new[item.feed]:
            last_new[item.feed] = item.first_seen
    facts = []
    for feed in feeds:
        row = rows.get(feed.url)
        facts.append(
            FeedFacts(
                url=feed.url,
                name=feed.name or host_of(feed.url),
                failures=row.failures if row else 0,
                failing_since=row.failing_since if row else None,
                last_polled_at=row.last_polled_at if row else None,
                error=row.error if row else None,
                item_times=tuple(times.get(feed.url, ())),
                last_new=last_new.get(feed.url),
            )
        )
    return facts


def source_notes(db: Database, config: Config, now: datetime) -> list[FeedNote]:
    """The "Sources" section of a scheduled digest: feeds failing or silent at send time."""
    health = config.health or DEFAULT_HEALTH
    now_failing = HealthConfig(
        digest=health.digest, failing_for=timedelta(0), silent_after=health.silent_after
    )
    notes = []
    for facts in feed_facts(db, [f for f in config.feeds if not f.paused], now):
        seen = observe(facts, now_failing, now)
        if seen.note is not None:
            notes.append(seen.note)
    return notes


def check_sources(db: Database, config: Config, now: datetime) -> Digest | None:
    """Open a source-health notice for every feed whose state changed; None if none did."""
    health = config.health
    if health is None or health.digest not in config.digests:
        return None
    # a paused feed is silent on purpose: no notice about it
    polled = [f for f in config.feeds if not f.paused]
    facts = {f.url: f for f in feed_facts(db, polled, now)}
    observed = [observe(f, health, now) for f in facts.values()]
    digest = config.digests[health.digest]
    # Named lock: two workers would both find a feed's change not yet notified.
    with db.write(lock="source-health") as conn:
        notes, states = changes(observed, signals.notified_states(conn), facts, now)
        signals.set_notified(conn, states, now)
        if not notes:
            return None
        notice = Digest(
            id=now.strftime("%Y%m%dT%H%M%S") + "_h" + secrets.token_hex(4),
            name=digest.name,
            created_at=now,
            kind="health",
            feeds=tuple(notes),
            timezone=digest.timezone,
        )
        write_run(conn, notice, digest.channels, entries=len(notes))
    return notice
