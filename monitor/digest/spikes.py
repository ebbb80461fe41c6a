"""Spike alerts: a rule matching far more than usual becomes an entry of its own in its digest.

`usual_count` and `is_spike` decide (pure); `detect_spikes` counts a rule's matches in the
window and in the same window on each of the last 7 days, and stores a spike for the rule's
next digest run (at most one per window).
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.config.load import Config, RuleConfig
from monitor.store import signals
from monitor.store.db import Database
from monitor.store.records import iso
from monitor.units import format_duration

BASELINE_DAYS = 7
TOP_STORIES = 5


def usual_count(daily: Sequence[int]) -> float:
    """The usual count of a window: the median of the same window on the last 7 days."""
    return float(statistics.median(daily)) if daily else 0.0


def is_spike(count: int, usual: float, *, factor: float, minimum: int) -> bool:
    return count >= minimum and count >= factor * usual


def detect_spikes(db: Database, config: Config, now: datetime) -> list[str]:
    """Store a spike for every rule whose window now holds a spike; returns their rules."""
    found = []
    for rule in config.rules:
        if rule.spike is not None and _detect(db, rule, now):
            found.append(rule.name)
    return found


def _detect(db: Database, rule: RuleConfig, now: datetime) -> bool:
    assert rule.spike is not None
    window = rule.spike.window
    # Named lock: two workers detecting at once would both find no spike of this window yet.
    with db.write(lock=f"spikes:{rule.name}") as conn:
        previous = signals.last_spike(conn, rule.name)
        if previous is not None and now - previous < window:
            return False  # once per window
        count = signals.match_count(conn, rule.name, now - window, now)
        daily = [
            signals.match_count(
                conn, rule.name, now - timedelta(days=d) - window, now - timedelta(days=d)
            )
            for d in range(1, BASELINE_DAYS + 1)
        ]
        usual = usual_count(daily)
        if not is_spike(count, usual, factor=rule.spike.factor, minimum=rule.spike.min):
            return False
        top = signals.top_matches(conn, rule.name, now - window, now, TOP_STORIES)
        spike_id = hashlib.sha256(f"{rule.name}\n{iso(now)}".encode()).hexdigest()[:16]
        signals.save_spike(
            conn,
            signals.Spike(
                id=spike_id,
                rule=rule.name,
                digest=rule.digest,
                window_start=now - window,
                detected_at=now,
                window=format_duration(window),
                count=count,
                usual=usual,
                article_ids=top,
            ),
        )
    return True
