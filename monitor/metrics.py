"""Prometheus metrics of polls, articles, matches and deliveries, in the service's own registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Our own registry: /metrics shows the service, not the process collectors of whoever imports us.
REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter(
    "news_monitor_polls",
    "Feed polls by outcome (ok, not_modified, unchanged, error, gone).",
    ["outcome"],
    registry=REGISTRY,
)
ARTICLES_STORED = Counter(
    "news_monitor_articles_stored",
    "New articles stored (after deduplication).",
    registry=REGISTRY,
)
MATCHES = Counter(
    "news_monitor_matches",
    "Rule matches saved, by rule.",
    ["rule"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "news_monitor_deliveries",
    "Delivery attempts by channel and resulting status.",
    ["channel", "status"],
    registry=REGISTRY,
)
POLL_DURATION = Histogram(
    "news_monitor_poll_duration_seconds",
    "Wall time of one feed poll, fetch to matching.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
    registry=REGISTRY,
)
# Time to alert (DESIGN §17), from seconds (a push) to a day (a feed polled rarely).
_DELAY_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 90, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)
DETECTION_DELAY = Histogram(
    "news_monitor_detection_delay_seconds",
    "New articles: first seen minus published, for dates that can be trusted.",
    buckets=_DELAY_BUCKETS,
    registry=REGISTRY,
)
DELIVERY_DELAY = Histogram(
    "news_monitor_delivery_delay_seconds",
    "Delivered digest entries: sent minus first seen, by channel.",
    ["channel"],
    buckets=_DELAY_BUCKETS,
    registry=REGISTRY,
)
WEBSUB_PUSHES = Counter(
    "news_monitor_websub_pushes",
    "WebSub content deliveries by result: accepted, bad_signature (dropped), unknown, too_large.",
    ["result"],
    registry=REGISTRY,
)
WEBSUB_VERIFICATIONS = Counter(
    "news_monitor_websub_verifications",
    "WebSub verifications of intent: confirmed, ended, denied, refused (never asked for).",
    ["outcome"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "news_monitor_outbox_backlog",
    "Deliveries pending in the outbox (read at scrape time).",
    registry=REGISTRY,
)


def record_poll(outcome: str, seconds: float, new_articles: int) -> None:
    POLLS.labels(outcome=outcome).inc()
    POLL_DURATION.observe(seconds)
    if new_articles:
        ARTICLES_STORED.inc(new_articles)


def record_matches(rule_counts: Mapping[str, int]) -> None:
    for rule, count in rule_counts.items():
        if count:
            MATCHES.labels(rule=rule).inc(count)


def record_delivery(channel: str, status: str) -> None:
    DELIVERIES.labels(channel=channel, status=status).inc()


def record_detection(delays: Iterable[float]) -> None:
    for seconds in delays:
        DETECTION_DELAY.observe(seconds)


def record_delivery_delays(channel: str, delays: Iterable[float]) -> None:
    histogram = DELIVERY_DELAY.labels(channel=channel)
    for seconds in delays:
        histogram.observe(seconds)


def record_websub_push(result: str) -> None:
    WEBSUB_PUSHES.labels(result=result).inc()


def record_websub_verification(outcome: str) -> None:
    WEBSUB_VERIFICATIONS.labels(outcome=outcome).inc()


def watch_backlog(read_backlog: Callable[[], int]) -> None:
    """Read the outbox backlog from the database whenever /metrics is scraped."""

    def safe_read() -> float:
        # A scrape during a locked or missing database (either backend) must not fail the page.
        try:
            return float(read_backlog())
        except Exception:
            return float("nan")

    OUTBOX_BACKLOG.set_function(safe_read)


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
