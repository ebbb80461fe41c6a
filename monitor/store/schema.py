"""The one description of the database's tables and indexes, for both backends. A backend
renders it (its column types, its way of keeping the order rows were stored in) and adds its
own search index beside it; migrations.py creates it and changes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Portable column types -> each backend's (Backend.types). bigint: story keys are 64-bit;
# serial: an integer key numbered by the database.
TYPES = ("text", "int", "bigint", "real", "blob", "serial")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = "text"
    not_null: bool = False
    default: str | None = None  # an SQL literal
    references: str | None = None  # "table (column)"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Keeps `rowid`, the order rows were stored in: stories grow from their first article,
    # the search index catches up in that order, retention walks it.
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False


def _c(name: str, type: str = "text", **more: object) -> Column:
    return Column(name, type, **more)  # type: ignore[arg-type]


_NN0 = {"not_null": True, "default": "0"}

TABLES: tuple[Table, ...] = (
    Table(
        "feeds",
        (
            _c("url"), _c("name"), _c("etag"), _c("last_modified"), _c("body_hash"),
            _c("last_polled_at"), _c("last_status", "int"), _c("last_outcome"),
            _c("last_error"), _c("last_warning"), _c("consecutive_failures", "int", **_NN0),
            _c("next_check_at"), _c("redirect_to"), _c("gone", "int", **_NN0),
            _c("backlog_done", "int", **_NN0), _c("entries_seen", "int", **_NN0),
            _c("failing_since"), _c("leased_by"), _c("leased_until"),
        ),
        key=("url",),
    ),
    Table(
        "articles",
        (
            _c("id"), _c("url"), _c("link"), _c("guid"), _c("feed"), _c("title"),
            _c("summary"), _c("text"), _c("author"), _c("language"), _c("published"),
            _c("first_seen"), _c("fingerprint", "blob"), _c("cluster_id"),
            _c("full_text_status"),
        ),
        key=("id",),
        ordered=True,
    ),
    Table(
        "article_sources",
        (
            _c("article_id", not_null=True, references="articles (id)"),
            _c("feed", not_null=True), _c("guid"), _c("url"), _c("first_seen"),
            _c("source_name"),  # the publisher a search source names (Google News' <source>)
        ),
        key=("article_id", "feed"),
    ),
    Table(
        "matches",
        (
            _c("article_id", not_null=True, references="articles (id)"),
            _c("rule", not_null=True), _c("cluster_id"), _c("digest"), _c("terms"),
            _c("hits"), _c("hit_count", "int"), _c("matched_at"), _c("run_id"),
        ),
        key=("article_id", "rule"),
    ),
    Table(
        "digest_runs",
        (
            _c("id"), _c("digest"), _c("created_at"), _c("entries", "int"), _c("payload"),
            _c("kind", not_null=True, default="'digest'"),  # digest, or health (a notice)
            _c("scheduled_for"),  # a cron run's time: opened once by whichever worker
        ),
        key=("id",),
    ),
    Table(
        "deliveries",
        (
            _c("id"), _c("run_id"), _c("digest"), _c("channel"), _c("payload"),
            _c("status", not_null=True, default="'pending'"), _c("attempts", "int", **_NN0),
            _c("created_at"), _c("next_attempt_at"), _c("last_error"), _c("sent_at"),
            _c("claimed_by"), _c("claimed_until"),  # which process is sending it now
        ),
        key=("id",),
    ),
    Table("channel_state", (_c("channel"), _c("disabled_at"), _c("reason")), key=("channel",)),
    Table(
        "story_keys",  # the near-duplicate index: look-up and insert share a transaction
        (
            _c("key", "bigint", not_null=True), _c("article_id", not_null=True),
            _c("first_seen", not_null=True),
        ),
        key=("key", "article_id"),
        ordered=True,
    ),
    Table(
        "tombstones",  # what is left of a pruned article (DESIGN §11)
        (
            _c("key"), _c("pruned_at", not_null=True), _c("listed_at", not_null=True),
            _c("feed"),
        ),
        key=("key",),
    ),
    Table("feed_readings", (_c("feed"), _c("read_at", not_null=True)), key=("feed",)),
    Table("digest_holds", (_c("digest"), _c("since", not_null=True)), key=("digest",)),
    Table(
        "source_health",
        (_c("url"), _c("notified", not_null=True), _c("changed_at", not_null=True)),
        key=("url",),
    ),
    Table(
        "spikes",
        (
            _c("id"), _c("rule", not_null=True), _c("digest", not_null=True),
            _c("window_start", not_null=True), _c("detected_at", not_null=True),
            _c("window", not_null=True), _c("count", "int", not_null=True),
            _c("usual", "real", not_null=True), _c("article_ids", not_null=True), _c("run_id"),
        ),
        key=("id",),
    ),
    # `news-monitor feeds`' article count per feed, kept by the backend's triggers.
    Table("feed_counts", (_c("feed"), _c("articles", "bigint", not_null=True)), key=("feed",)),
    # The web page's changes to the config (with the text before and after, for the diff and
    # "Revert") and the analysts' judgements of matched stories (DESIGN §18).
    Table(
        "config_changes",
        (
            _c("id", "serial"), _c("at", not_null=True), _c("who", not_null=True),
            _c("route", not_null=True), _c("subject", not_null=True),
            _c("before", not_null=True), _c("after", not_null=True),
        ),
        key=("id",),
    ),
    Table(
        "judgements",
        (
            _c("article_id", not_null=True), _c("rule", not_null=True),
            _c("relevant", "int", not_null=True), _c("at", not_null=True),
        ),
        key=("article_id", "rule"),
    ),
    # WebSub subscriptions (DESIGN §17, monitor/store/subscriptions.py): one per feed that
    # names a hub, with its callback id, its own secret, its state and lease.
    Table(
        "websub_subscriptions",
        (
            _c("feed"), _c("callback", not_null=True), _c("hub", not_null=True),
            _c("topic", not_null=True), _c("secret", not_null=True),
            _c("state", not_null=True), _c("lease_seconds", "int"), _c("lease_until"),
            _c("requested_at"), _c("verified_at"), _c("next_action_at"),
            _c("failures", "int", **_NN0), _c("last_push_at"), _c("pushes", "int", **_NN0),
            _c("error"),
        ),
        key=("feed",),
    ),
)  # fmt: skip

INDEXES: tuple[Index, ...] = (
    Index("idx_articles_url", "articles", ("url",), unique=True),
    Index("idx_articles_first_seen", "articles", ("first_seen",)),
    Index("idx_articles_cluster_id", "articles", ("cluster_id",)),
    Index("idx_article_sources_feed_guid", "article_sources", ("feed", "guid")),
    Index("idx_matches_digest_run_id", "matches", ("digest", "run_id")),
    Index("idx_matches_cluster_id_rule", "matches", ("cluster_id", "rule")),
    Index("matches_rule_matched", "matches", ("rule", "matched_at")),
    Index("matches_matched_at", "matches", ("matched_at",)),  # the web page, newest first
    Index("idx_deliveries_status_next_attempt_at", "deliveries", ("status", "next_attempt_at")),
    Index("deliveries_created_at", "deliveries", ("created_at",)),  # pruned by age
    Index("digest_runs_created_at", "digest_runs", ("created_at",)),
    Index("digest_runs_digest_created", "digest_runs", ("digest", "created_at")),
    Index("digest_runs_scheduled", "digest_runs", ("digest", "scheduled_for"), unique=True),
    Index("story_keys_first_seen", "story_keys", ("first_seen",)),
    Index("story_keys_article", "story_keys", ("article_id",)),  # a pruned article's keys
    Index("tombstones_listed_at", "tombstones", ("listed_at",)),
    Index("spikes_rule_detected", "spikes", ("rule", "detected_at")),
    Index("websub_callback", "websub_subscriptions", ("callback",), unique=True),
    Index("websub_next_action", "websub_subscriptions", ("next_action_at",)),
    # adaptive polling reads a feed's recent sources on every poll (FeedsMixin.recent_items)
    Index("article_sources_feed_seen", "article_sources", ("feed", "first_seen")),
)

TABLE = {t.name: t for t in TABLES}
# Parents before children (article_sources and matches refer to articles): `db copy`'s order.
COPY_ORDER = tuple(t.name for t in TABLES if t.name != "feed_counts")


def create_table(table: Table, types: Mapping[str, str], ordered_key: str) -> str:
    """``CREATE TABLE`` of ``table`` with a backend's column ``types``; ``ordered_key`` is the
    column a backend adds to keep the store order ("" where the engine keeps a rowid itself)."""
    columns = [ordered_key] if table.ordered and ordered_key else []
    for c in table.columns:
        column = f"{quote(c.name)} {types[c.type]}"
        if c.not_null:
            column += " NOT NULL"
        if c.default is not None:
            column += f" DEFAULT {c.default}"
        if c.references:
            column += f" REFERENCES {c.references}"
        columns.append(column)
    columns.append(f"PRIMARY KEY ({', '.join(table.key)})")
    return f"CREATE TABLE {table.name} ({', '.join(columns)})"


def create_index(index: Index) -> str:
    unique = "UNIQUE " if index.unique else ""
    return f"CREATE {unique}INDEX {index.name} ON {index.table} ({', '.join(index.columns)})"


def quote(column: str) -> str:
    """A column name as both backends take it ("window" is a reserved word in PostgreSQL)."""
    return f'"{column}"' if column == "window" else column
