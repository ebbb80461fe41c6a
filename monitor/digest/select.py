"""Selecting a digest's undelivered matches into an `alerts.Digest` and opening its outbox rows."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
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
from monitor.store.db import Database
from monitor.store.store import from_iso, iso, story_sources

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
        snippet=shown,
        highlights=highlights if shown == snippet else (),
        matched_terms=tuple(mask(t) for t in item.terms),
        also_reported_by=tuple(mask(s) for s in item.also_reported_by),
    )


def snippet_around_hits(
    text: str, hits: Sequence[dict], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of `text` around the first hit, cut at word boundaries, with hit spans inside it."""
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


def opened_for(conn, digest: str, scheduled_for: datetime | None) -> bool:  # noqa: ANN001
    """Whether the run of cron time ``scheduled_for`` was opened already (by any worker)."""
    return scheduled_for is not None and bool(
        conn.execute(
            "SELECT 1 FROM digest_runs WHERE digest = ? AND scheduled_for = ?",
            (digest, iso(scheduled_for)),
        ).fetchone()
    )


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
    rows = _undelivered(conn, rules)
    spike_rows = undelivered_spikes(conn, rules)
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
    )
    write_run(conn, built, digest.channels, entries=len(rows), scheduled_for=scheduled_for)
    conn.executemany(
        "UPDATE matches SET run_id = ? WHERE article_id = ? AND rule = ?",
        [(run_id, r["article_id"], r["rule"]) for r in rows],
    )
    conn.executemany(
        "UPDATE spikes SET run_id = ? WHERE id = ?", [(run_id, r["id"]) for r in spike_rows]
    )
    return built


def write_run(
    conn,
    built: Digest,
    channels: Sequence[str],
    *,
    entries: int,
    scheduled_for: datetime | None = None,
) -> None:
    """The run's row and one pending outbox row per channel, in the caller's transaction."""
    payload = digest_to_json(built)
    conn.execute(
        """INSERT INTO digest_runs (id, digest, created_at, entries, payload, kind, scheduled_for)
           VALUES (?,?,?,?,?,?,?)""",
        (
            built.id,
            built.name,
            iso(built.created_at),
            entries,
            payload,
            built.kind,
            iso(scheduled_for),
        ),
    )
    for channel in channels:
        conn.execute(
            """INSERT INTO deliveries (id, run_id, digest, channel, payload, status, attempts, created_at, next_attempt_at)
               VALUES (?,?,?,?,?, 'pending', 0, ?, ?)""",
            (
                delivery_id(built.id, channel),
                built.id,
                built.name,
                channel,
                payload,
                iso(built.created_at),
                iso(built.created_at),
            ),
        )


def undelivered_spikes(conn, rules: Sequence[str]) -> list:
    if not rules:
        return []
    marks = ",".join("?" * len(rules))
    return conn.execute(
        f"SELECT * FROM spikes WHERE run_id IS NULL AND rule IN ({marks}) ORDER BY detected_at",
        tuple(rules),
    ).fetchall()


def _spike_alert(conn, config: Config, row) -> SpikeAlert:
    """A stored spike as its digest entry: the count, the usual count and the top stories."""
    ids = json.loads(row["article_ids"])
    top = []
    if ids:
        marks = ",".join("?" * len(ids))
        top = conn.execute(
            f"""SELECT m.*, a.title, a.link, a.url, a.feed, a.summary, a.text, a.published, a.first_seen, a.cluster_id AS acluster
                FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.rule = ? AND m.article_id IN ({marks})""",
            (row["rule"], *ids),
        ).fetchall()
    items = sorted(_matched_articles(conn, config, top), key=_recency, reverse=True)
    return SpikeAlert(
        rule=row["rule"],
        window=row["window"],
        count=row["count"],
        usual=row["usual"],
        started_at=from_iso(row["window_start"]) or datetime.now(UTC),
        entries=tuple(_entry(item) for item in items),
    )


def preview_digest(db: Database, config: Config, digest: DigestConfig, now: datetime) -> Digest:
    """What `open_digest_run` would send now, marking nothing: held and capped matches too."""
    rules = digest_rules(config, digest.name)
    conn = db.connection()
    rows = _undelivered(conn, rules)
    items = _matched_articles(conn, config, rows)
    built = build_digest(
        digest_id="preview",
        name=digest.name,
        created_at=now,
        rules=rules,
        items=items,
        max_items=digest.max_items,
    )
    spikes = tuple(_spike_alert(conn, config, row) for row in undelivered_spikes(conn, rules))
    return replace(built, spikes=spikes)


def _undelivered(conn, rules: Sequence[str]) -> list:
    if not rules:
        return []
    marks = ",".join("?" * len(rules))
    return conn.execute(
        f"""SELECT m.*, a.title, a.link, a.url, a.feed, a.summary, a.text, a.published, a.first_seen, a.cluster_id AS acluster
            FROM matches m JOIN articles a ON a.id = m.article_id
            WHERE m.run_id IS NULL AND m.rule IN ({marks}) ORDER BY m.matched_at""",
        tuple(rules),
    ).fetchall()


def _matched_articles(conn, config: Config, rows: Sequence) -> list[MatchedArticle]:
    names = _feed_names(conn, config)
    items = []
    for r in rows:
        story = story_sources(conn, r["article_id"], r["acluster"], r["link"] or r["url"])
        # a source is named by its name, else its host: never a URL that may carry a key
        source = (
            story.publisher_name
            or names.get(story.publisher or r["feed"])
            or host_of(story.publisher or r["feed"])
        )
        sources = [names.get(f) or host_of(f) for f in story.others]
        items.append(
            MatchedArticle(
                rule=r["rule"],
                title=r["title"] or "(no title)",
                url=story.link,
                source=source,
                published=from_iso(r["published"]),
                first_seen=from_iso(r["first_seen"]) or datetime.now(UTC),
                summary_text="\n\n".join(p for p in (r["summary"], r["text"]) if p),
                hits=tuple(json.loads(r["hits"] or "[]")),
                terms=tuple(json.loads(r["terms"] or "[]")),
                also_reported_by=tuple(dict.fromkeys(s for s in sources if s != source)),
            )
        )
    return items


def _feed_names(conn, config: Config) -> Mapping[str, str]:
    names = {row[0]: row[1] for row in conn.execute("SELECT url, name FROM feeds") if row[1]}
    names.update({f.url: f.name for f in config.feeds})
    return names


def matched_articles(conn, config: Config, rows: Sequence) -> list[MatchedArticle]:  # noqa: ANN001
    """Match rows joined with their articles (the columns `_undelivered` selects) as digest
    items: the publisher named and the other feeds of the story as "also reported by"."""
    return _matched_articles(conn, config, rows)
