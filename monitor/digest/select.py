"""Selecting a digest's undelivered matches into an `alerts.Digest` and opening its outbox rows."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from alerts.records import (
    Digest,
    DigestEntry,
    FeedNote,
    RuleSection,
    SpikeAlert,
    digest_to_json,
)
from monitor.config.load import Config, DigestConfig
from monitor.secrets import host_of, mask
from monitor.store import runs
from monitor.store.articles import story_sources
from monitor.store.db import Database
from monitor.store.dialect import Connection
from monitor.store.records import MatchedRow
from monitor.store.runs import SpikeRow

SNIPPET_CHARS = 280


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchedArticle:
    """A match joined with the article and the names of every feed that carried the story."""

    rule: str
    title: str
    url: str
    source: str
    published: datetime | None
    first_seen: datetime
    summary_text: str  # the `text` field rules saw: summary plus full text
    hits: tuple[dict, ...]
    terms: tuple[str, ...]
    also_reported_by: tuple[str, ...]
    language: str = ""


def build_digest(
    *,
    digest_id: str,
    name: str,
    created_at: datetime,
    rules: Sequence[str],
    items: Sequence[MatchedArticle],
    max_items: int,
) -> Digest:
    """Group by rule in config order, newest first; past max_items keep the newest and count the rest."""
    by_rule: dict[str, list[MatchedArticle]] = {rule: [] for rule in rules}
    for item in items:
        by_rule.setdefault(item.rule, []).append(item)
    newest = sorted(items, key=_recency, reverse=True)
    kept = {id(item) for item in newest[:max_items]}
    sections = []
    for rule, found in by_rule.items():
        if not found:
            continue
        found.sort(key=_recency, reverse=True)
        entries = tuple(_entry(item) for item in found if id(item) in kept)
        sections.append(RuleSection(rule=rule, entries=entries, more=len(found) - len(entries)))
    return Digest(id=digest_id, name=name, created_at=created_at, sections=tuple(sections))


def _recency(item: MatchedArticle) -> datetime:
    return item.published or item.first_seen


def _entry(item: MatchedArticle) -> DigestEntry:
    snippet, highlights = snippet_around_hits(
        item.summary_text, [h for h in item.hits if h.get("field") == "text"]
    )
    # alerts/ never sees monitor's secrets, so what it is handed is masked here
    shown = mask(snippet)
    return DigestEntry(
        title=mask(item.title),
        url=mask(item.url),
        source=mask(item.source),
        published=item.published,
        detected_at=item.first_seen,
        snippet=shown,
        highlights=highlights if shown == snippet else (),
        matched_terms=tuple(mask(t) for t in item.terms),
        also_reported_by=tuple(mask(s) for s in item.also_reported_by),
        language=item.language,
    )


def snippet_around_hits(
    text: str, hits: Sequence[dict], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of `text` around the first hit, cut at word boundaries, with hit spans inside it."""
    text, hits = _without_repeated_lead(text, hits)
    if not hits:
        cut = _cut_at_space(text[: width + 40], width)
        return cut + ("…" if len(cut) < len(text) else ""), ()
    first = min(hits, key=lambda h: h["start"])
    start = max(0, first["start"] - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first["start"] else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", first["end"], end)
        end = space if space > first["end"] else end
    prefix = "…" if start else ""
    body = text[start:end]
    spans = tuple(
        sorted(
            {
                (h["start"] - start + len(prefix), h["end"] - start + len(prefix))
                for h in hits
                if h["start"] >= start and h["end"] <= end
            }
        )
    )
    return prefix + body + ("…" if end < len(text) else ""), spans


def _without_repeated_lead(text: str, hits: Sequence[dict]) -> tuple[str, Sequence[dict]]:
    """The text without its summary when the full text after it starts with the same sentence
    (most pages repeat the feed's teaser as their first paragraph), hits moved to match, so a
    snippet does not say the lead twice. Kept whole when a hit lies in a part of the summary
    that the full text does not repeat."""
    cut = text.find("\n\n")
    if cut <= 0:
        return text, hits
    lead, rest = text[:cut], text[cut + 2 :]
    first_sentence = re.split(r"(?<=[.!?])\s", lead, maxsplit=1)[0].strip()
    if not first_sentence or not rest.startswith(first_sentence):
        return text, hits
    same = len(os.path.commonprefix([lead, rest]))
    if any(h["start"] < cut and h["end"] > same for h in hits):
        return text, hits
    shift = cut + 2
    moved = [
        h if h["start"] < cut else {**h, "start": h["start"] - shift, "end": h["end"] - shift}
        for h in hits
    ]
    return rest, moved


def _cut_at_space(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    space = text.rfind(" ", 0, width)
    return text[: space if space > width // 2 else width]


def digest_rules(config: Config, digest: str) -> list[str]:
    return [r.name for r in config.rules if r.digest == digest]


def delivery_id(run_id: str, channel: str) -> str:
    """Stable per (run, channel): a resend after a crash carries the same id."""
    return f"msg_{run_id}_{hashlib.sha256(channel.encode()).hexdigest()[:8]}"


def open_digest_run(
    db: Database, config: Config, digest: DigestConfig, now: datetime
) -> Digest | None:
    """One transaction: choose the undelivered matches, write the run and one outbox row per channel.

    Returns None (and writes nothing) when there is nothing to send and send_empty is off.
    """
    # Named lock: two workers opening the same digest at once would both take its matches.
    with db.write(lock=digest_lock(digest.name)) as conn:
        return open_run(conn, config, digest, now)


def digest_lock(name: str) -> str:
    """The named write lock every transaction that opens a run of digest ``name`` takes."""
    return f"digest:{name}"


def opened_for(conn: Connection, digest: str, scheduled_for: datetime | None) -> bool:
    """Whether the run of cron time ``scheduled_for`` was opened already (by any worker)."""
    return runs.opened_for(conn, digest, scheduled_for)


def open_run(
    conn,
    config: Config,
    digest: DigestConfig,
    now: datetime,
    *,
    rules: Sequence[str] | None = None,
    send_empty: bool | None = None,
    feeds: Sequence[FeedNote] = (),
    scheduled_for: datetime | None = None,
) -> Digest | None:
    """Inside the caller's write transaction: the run of `rules` (default: every rule of the
    digest) with their undelivered matches and spike alerts, and its outbox rows.
    ``scheduled_for``, a cron time, is kept with the run: one run per digest and time."""
    rules = digest_rules(config, digest.name) if rules is None else list(rules)
    send_empty = digest.send_empty if send_empty is None else send_empty
    rows = runs.undelivered_matches(conn, rules)
    spike_rows = runs.undelivered_spikes(conn, rules)
    if not rows and not spike_rows and not send_empty:
        return None
    run_id = now.strftime("%Y%m%dT%H%M%S") + "_" + secrets.token_hex(4)
    built = replace(
        build_digest(
            digest_id=run_id,
            name=digest.name,
            created_at=now,
            rules=rules,
            items=_matched_articles(conn, config, rows),
            max_items=digest.max_items,
        ),
        spikes=tuple(_spike_alert(conn, config, row) for row in spike_rows),
        feeds=tuple(feeds),
        timezone=digest.timezone,
    )
    write_run(conn, built, digest.channels, entries=len(rows), scheduled_for=scheduled_for)
    runs.take(conn, run_id, rows, spike_rows)
    return built


def write_run(
    conn: Connection,
    built: Digest,
    channels: Sequence[str],
    *,
    entries: int,
    scheduled_for: datetime | None = None,
) -> None:
    """The run's row and one pending outbox row per channel, in the caller's transaction."""
    runs.write_run(
        conn,
        runs.Run(
            id=built.id,
            digest=built.name,
            created_at=built.created_at,
            entries=entries,
            payload=digest_to_json(built),
            kind=built.kind,
            scheduled_for=scheduled_for,
            deliveries=[(delivery_id(built.id, channel), channel) for channel in channels],
        ),
    )


def _spike_alert(conn: Connection, config: Config, row: SpikeRow) -> SpikeAlert:
    """A stored spike as its digest entry: the count, the usual count and the top stories."""
    top = runs.matches_of_rule(conn, row.rule, row.article_ids)
    items = sorted(_matched_articles(conn, config, top), key=_recency, reverse=True)
    return SpikeAlert(
        rule=row.rule,
        window=row.window,
        count=row.count,
        usual=row.usual,
        started_at=row.window_start or datetime.now(UTC),
        entries=tuple(_entry(item) for item in items),
    )


def preview_digest(db: Database, config: Config, digest: DigestConfig, now: datetime) -> Digest:
    """What `open_digest_run` would send now, marking nothing: held and capped matches too."""
    rules = digest_rules(config, digest.name)
    conn = db.connection()
    rows = runs.undelivered_matches(conn, rules)
    items = _matched_articles(conn, config, rows)
    built = build_digest(
        digest_id="preview",
        name=digest.name,
        created_at=now,
        rules=rules,
        items=items,
        max_items=digest.max_items,
    )
    spikes = tuple(_spike_alert(conn, config, row) for row in runs.undelivered_spikes(conn, rules))
    return replace(built, spikes=spikes, timezone=digest.timezone)


def _matched_articles(
    conn: Connection, config: Config, rows: Sequence[MatchedRow]
) -> list[MatchedArticle]:
    names = runs.feed_names(conn)
    names.update({f.url: f.name for f in config.feeds})
    items = []
    for r in rows:
        story = story_sources(conn, r.article_id, r.cluster_id, r.link or r.url)
        # a source is named by its name, else its host: never a URL that may carry a key
        source = (
            story.publisher_name
            or names.get(story.publisher or r.feed)
            or host_of(story.publisher or r.feed)
        )
        sources = [names.get(f) or host_of(f) for f in story.others]
        items.append(
            MatchedArticle(
                rule=r.rule,
                title=r.title or "(no title)",
                url=story.link,
                source=source,
                published=r.published,
                first_seen=r.first_seen or datetime.now(UTC),
                summary_text="\n\n".join(p for p in (r.summary, r.text) if p),
                hits=r.hits,
                terms=r.terms,
                also_reported_by=tuple(dict.fromkeys(s for s in sources if s != source)),
                language=r.language,
            )
        )
    return items


def matched_articles(
    conn: Connection, config: Config, rows: Sequence[MatchedRow]
) -> list[MatchedArticle]:
    """Stored matches as digest items: the publisher named and the other feeds of the story
    as "also reported by"."""
    return _matched_articles(conn, config, rows)
