"""What each page shows, worked out from store rows: pure functions, no Flask, no SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.safetext import is_web_url, one_line
from alerts.view import highlight_segments
from monitor.digest.select import MatchedArticle, snippet_around_hits

PAGE_SIZE = 50
Segments = tuple[tuple[str, bool], ...]  # (text, highlighted) pieces, as the digests use


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryItem:
    """One matched story in a list: what a digest entry shows, plus its id for /stories/ID."""

    id: str
    rule: str
    title: str
    href: str | None  # only http(s) links
    source: str
    when: datetime
    segments: Segments
    terms: tuple[str, ...]
    also_reported_by: tuple[str, ...]
    language: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Paging:
    page: int
    more: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def page_number(text: str | None) -> int:
    """The 1-based page asked for; anything that is not a positive number is the first."""
    return int(text) if text and text.isdigit() and 0 < int(text) < 1_000_000 else 1


def link(url: str | None) -> str | None:
    """A feed-supplied URL as a link, or None when it is not plain http(s)."""
    return url if url and is_web_url(url) else None


def story_items(ids: Sequence[str], articles: Sequence[MatchedArticle]) -> list[StoryItem]:
    """Digest items (in the order of their match rows' ids) as list entries with a snippet."""
    return [
        StoryItem(
            id=article_id,
            rule=item.rule,
            title=one_line(item.title) or "(no title)",
            href=link(item.url),
            source=item.source,
            when=item.published or item.first_seen,
            segments=snippet(item.summary_text, item.hits),
            terms=item.terms,
            also_reported_by=item.also_reported_by,
            language=item.language,
        )
        for article_id, item in zip(ids, articles, strict=True)
    ]


def snippet(text: str, hits: Iterable[Mapping]) -> Segments:
    """The digests' snippet around the first hit in the text, hits highlighted."""
    cut, spans = snippet_around_hits(text, [dict(h) for h in hits if h.get("field") == "text"])
    return highlight_segments(cut, spans)


def by_rule(items: Sequence[StoryItem], order: Sequence[str]) -> list[tuple[str, list[StoryItem]]]:
    """Items grouped by rule in config order (rules no longer configured last), newest first."""
    groups: dict[str, list[StoryItem]] = {rule: [] for rule in order}
    for item in items:
        groups.setdefault(item.rule, []).append(item)
    return [
        (rule, sorted(found, key=lambda i: i.when, reverse=True))
        for rule, found in groups.items()
        if found
    ]


def paragraphs(text: str, hits: Iterable[Mapping], field: str = "text") -> list[Segments]:
    """A text as paragraphs of highlighted pieces; hit offsets point into the whole text."""
    spans = sorted((h["start"], h["end"]) for h in hits if h.get("field") == field)
    out: list[Segments] = []
    at = 0
    for part in text.split("\n\n"):
        end = at + len(part)
        inside = tuple((s - at, e - at) for s, e in spans if s >= at and e <= end)
        if part.strip():
            out.append(highlight_segments(part, inside))
        at = end + 2
    return out


def hit_dicts(hits: Iterable[object]) -> list[dict]:
    """A match's hits as stored, leaving out any that is not whole."""
    return [h for h in hits if isinstance(h, dict) and {"start", "end"} <= h.keys()]


def day_bounds(now: datetime, tz: ZoneInfo, days: int) -> tuple[list[date], list[datetime]]:
    """The last `days` days in the reader's timezone, oldest first, and the moments they start
    (with the start of tomorrow last): the intervals /rules counts matches in."""
    today = now.astimezone(tz).date()
    span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    starts = [datetime.combine(d, time(), tzinfo=tz) for d in [*span, today + timedelta(days=1)]]
    return span, starts


def caret_line(column: int) -> str:
    """A line pointing at a 1-based column under the query it follows."""
    return " " * max(0, column - 1) + "^"


def cursor(text: str | None) -> tuple[str, str] | None:
    """Where a search page starts: `first_seen~id` of the last article the page before showed."""
    first_seen, sep, article_id = (text or "").rpartition("~")
    return (first_seen, article_id) if sep and first_seen and article_id else None


def cursor_text(position: tuple[str, str]) -> str:
    return f"{position[0]}~{position[1]}"
