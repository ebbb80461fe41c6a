"""The digest records the delivery side takes, and their JSON form kept in the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from pydantic import TypeAdapter

# Bumped when the stored JSON changes shape, so an old outbox row is recognised.
JSON_VERSION = 1


def _require_aware(value: datetime | None, what: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestEntry:
    """One article (with its near duplicates folded in) inside a rule's section."""

    title: str
    url: str
    source: str  # the feed's name
    published: datetime | None
    snippet: str  # plain text, never HTML
    highlights: tuple[tuple[int, int], ...] = ()  # (start, end) spans inside snippet
    matched_terms: tuple[str, ...] = ()
    also_reported_by: tuple[str, ...] = ()  # names of other feeds that carried the story
    language: str = ""  # the article's language tag (its feed's, else detected), "" unknown
    detected_at: datetime | None = None  # when the service first saw it (older rows: None)

    def __post_init__(self) -> None:
        _require_aware(self.published, "published")
        _require_aware(self.detected_at, "detected_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSection:
    """The entries one rule contributed to a digest; `more` counts those left out by max_items."""

    rule: str
    entries: tuple[DigestEntry, ...]
    more: int = 0

    def __post_init__(self) -> None:
        if self.more < 0:
            raise ValueError(f"more must not be negative, got {self.more}")

    @property
    def total(self) -> int:
        return len(self.entries) + self.more


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedNote:
    """A source's health as a notice or a digest's "Sources" section shows it."""

    name: str  # the feed's name, or its host: never a URL with credentials
    url: str  # already masked by the sender
    state: Literal["failing", "silent", "recovered"]
    since: datetime | None
    error: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.since, "since")


@dataclass(frozen=True, slots=True, kw_only=True)
class SpikeAlert:
    """A rule matching far more than usual: an entry of its own in the rule's digest."""

    rule: str
    window: str  # as written in the config: "1h"
    count: int
    usual: float  # the median count of the same window over the last 7 days
    started_at: datetime
    entries: tuple[DigestEntry, ...] = ()  # the top stories of the window

    def __post_init__(self) -> None:
        _require_aware(self.started_at, "started_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """One run of one named digest: what goes out through each of its channels.

    `kind` "health" is a source-health notice: its `feeds` are the news, it has no sections.
    A scheduled digest's `feeds` is its "Sources" section: feeds failing or silent at send time.
    """

    id: str
    name: str
    created_at: datetime
    sections: tuple[RuleSection, ...] = field(default=())
    kind: Literal["digest", "health"] = "digest"
    spikes: tuple[SpikeAlert, ...] = ()
    feeds: tuple[FeedNote, ...] = ()
    timezone: str = "UTC"  # the digest's: every time it shows is in it (payload times stay UTC)

    def __post_init__(self) -> None:
        _require_aware(self.created_at, "created_at")

    @property
    def total(self) -> int:
        """Every matched article, including those left out by max_items."""
        return sum(section.total for section in self.sections)

    @property
    def rule_names(self) -> tuple[str, ...]:
        """Names of the rules that contributed at least one article, in digest order."""
        return tuple(section.rule for section in self.sections if section.total)

    @property
    def is_health(self) -> bool:
        return self.kind == "health"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Stored:
    version: int
    digest: Digest


@cache
def _stored_adapter() -> TypeAdapter[_Stored]:
    # Built on first use (~50 ms of pydantic schema work), not whenever the package is imported.
    return TypeAdapter(_Stored)


def digest_to_json(digest: Digest) -> str:
    """Serialise a digest for the outbox; `digest_from_json` rebuilds an equal one."""
    return _stored_adapter().dump_json(_Stored(version=JSON_VERSION, digest=digest)).decode()


def digest_from_json(text: str) -> Digest:
    """Rebuild a digest stored by `digest_to_json`; raises ValueError on anything else."""
    stored = _stored_adapter().validate_json(text, strict=False)
    if stored.version != JSON_VERSION:
        raise ValueError(f"unsupported digest JSON version {stored.version}")
    return stored.digest


def utc(value: datetime) -> datetime:
    """The same instant in UTC, for display and payloads."""
    return value.astimezone(UTC)
