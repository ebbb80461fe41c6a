"""The rule form's data (what was typed, the rule it compiles to or its error with the column)
and the backtest shown beside it: `rules test NAME --since 30d`, counted per day, the last
matches with their hits highlighted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config.edit import RULE_KEYS
from monitor.config.load import Config
from monitor.rules import Rule, RuleSyntaxError, build_rule
from monitor.secrets import mask_url
from monitor.service.explore import search_page
from monitor.service.web import pages
from monitor.store.browse import Browse
from monitor.store.records import from_iso

DAYS = 30
LAST = 5
MOST = 5000  # matches a preview judges at most; beyond it the count says "at least"
_ITEM = re.compile(
    r'\s*("[^"]*"|[^,]+)\s*(?:,|$)'
)  # one term of a list: a "phrase" may hold commas


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleForm:
    """The form as typed; `rule` when it compiles, else `error` (with its column)."""

    version: str
    name: str = ""
    query: str = ""
    any: str = ""
    all: str = ""
    none: str = ""
    digest: str = ""
    priority: str = "normal"
    rule: Rule | None = None
    error: dict[str, Any] | None = None
    keep_priority: bool = False  # the file writes `priority:` already
    existing: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls, fields: Mapping[str, Any], *, version: str, entities: Mapping[str, Any] | None = None
    ) -> RuleForm:
        """The form of a rule as the file writes it."""
        typed = {
            "name": str(fields.get("name", "")),
            "query": str(fields.get("query") or ""),
            "digest": str(fields.get("digest", "")),
            "priority": str(fields.get("priority") or "normal"),
            **{k: ", ".join(str(t) for t in fields.get(k) or ()) for k in ("any", "all", "none")},
        }
        return rule_form(typed, version=version, existing=fields, entities=entities)

    @property
    def kept(self) -> list[str]:
        """The rule's other keys (tags, feeds, mentions, spike...): kept as written, and part
        of the backtest as they are of `rules test`."""
        return [f"{k}: {_shown(v)}" for k, v in self.existing.items() if k not in RULE_KEYS]

    def fields(self) -> dict[str, Any]:
        """What `edit.set_rule` writes: an empty field removes its key."""
        lists = {k: split_terms(getattr(self, k)) or None for k in ("any", "all", "none")}
        urgent = self.priority == "urgent"
        return {
            "name": self.name,
            "query": self.query or None,
            **lists,
            "digest": self.digest,
            "priority": self.priority if urgent or self.keep_priority else None,
        }

    def again(self, *, version: str) -> RuleForm:
        return replace(self, version=version)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def split_terms(text: str) -> list[str]:
    return [m.group(1).strip() for m in _ITEM.finditer(text) if m.group(1).strip()]


def rule_form(
    typed: Mapping[str, str],
    *,
    version: str,
    existing: Mapping[str, Any] | None,
    entities: Mapping[str, Any] | None = None,
) -> RuleForm:
    """The form from request fields; the rule keeps what the form does not show (tags, feeds,
    mentions) from the file."""
    existing = existing or {}
    # a query is one line in the file: line breaks typed in the box are spaces
    form = RuleForm(
        version=version,
        name=" ".join((typed.get("name") or "").split()),
        query=" ".join((typed.get("query") or "").split()),
        any=(typed.get("any") or "").strip(),
        all=(typed.get("all") or "").strip(),
        none=(typed.get("none") or "").strip(),
        digest=(typed.get("digest") or "").strip(),
        priority="urgent" if typed.get("priority") == "urgent" else "normal",
        keep_priority="priority" in existing,
        existing=existing,
    )
    try:
        rule = build_rule(
            name=form.name or "new rule",
            query=form.query or None,
            any=split_terms(form.any),
            all=split_terms(form.all),
            none=split_terms(form.none),
            tags=[str(t) for t in existing.get("tags") or ()],
            feeds=[
                mask_url(str(f)) if "://" in str(f) else str(f) for f in existing.get("feeds") or ()
            ],
            mentions=int(existing.get("mentions") or 1),
            entities=entities,  # @Name, as the config declares them
        )
    except RuleSyntaxError as exc:
        return replace(
            form,
            error={
                "reason": exc.reason,
                "column": exc.column,
                "item": exc.item,
                "caret": pages.caret_line(exc.column),
                "text": form.query if not exc.item else "",
            },
        )
    return replace(form, rule=rule)


def backtest_view(config: Config, store: Browse, rule: Rule, *, now: datetime) -> dict[str, Any]:
    """What `rules test NAME --since 30d` finds, as the page shows it."""
    tz = ZoneInfo(config.timezone)
    found = search_page(
        config, store, rule, since=timedelta(days=DAYS), now=now, after=None, limit=MOST
    )
    span, starts = pages.day_bounds(now, tz, DAYS)
    counts = dict.fromkeys(span, 0)
    for hit in found.hits:
        # counted on the day a story came out, so a first poll's backlog spreads over its days
        seen = from_iso(hit.found.date)
        if seen is not None and seen.astimezone(tz).date() in counts:
            counts[seen.astimezone(tz).date()] += 1
    days = list(counts.items())
    return {
        "days": days,
        "days_count": DAYS,
        "total": len(found.hits),
        "at_least": found.next is not None or found.stopped,
        "peak": max((n for _, n in days), default=0),
        "last": [
            {
                "id": hit.article_id,
                "title": hit.found.title or "(no title)",
                "href": pages.link(hit.found.url),
                "source": hit.found.feed,
                "when": from_iso(hit.found.published or hit.found.first_seen),
                "title_segments": _title(hit.found.title, [_hit(h) for h in hit.found.hits]),
                "segments": pages.snippet(hit.text, [_hit(h) for h in hit.found.hits]),
                "terms": hit.found.terms,
            }
            for hit in found.hits[:LAST]
        ],
    }


def _hit(h: Any) -> dict[str, Any]:
    return {"start": h.start, "end": h.end, "field": h.field, "term": h.term}


def _title(title: str, hits: list[dict[str, Any]]) -> pages.Segments:
    marked = pages.paragraphs(title or "(no title)", hits, field="title")
    return marked[0] if marked else ((title, False),)
