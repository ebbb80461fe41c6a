"""The web page's routes: one small view per page, the token check and the security headers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, g, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST

from monitor import metrics
from monitor.config.load import Config
from monitor.digest.select import matched_articles
from monitor.rules import RuleSyntaxError, build_rule
from monitor.rules.limits import TextTooLong
from monitor.secrets import mask
from monitor.service.explore import SEARCH_SECONDS, explain_text, search_page
from monitor.service.health import ServiceView, health_report
from monitor.service.web import pages
from monitor.service.web.auth import csrf_token
from monitor.service.web.busy import Gate
from monitor.service.web.doors import install_doors
from monitor.service.websub import push_state
from monitor.store.browse import Browse
from monitor.store.db import Database
from monitor.store.records import FeedHealth, MatchedRow
from monitor.store.store import from_iso
from monitor.units import parse_duration

log = logging.getLogger("monitor.web")

HERE = Path(__file__).parent
DEFAULT_SINCE = "7d"
RULES_PER_PAGE = 20
LAST_MATCHES = 5
DAYS = 30
BACKLOG_RULES, BACKLOG_ITEMS = 20, 5  # the empty home page's look into the backlog, bounded
# Everything comes from this service: no inline script or style, no frames, no other origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # An analyst's page of links must not tell every publisher what was being read.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(kw_only=True)
class _Standalone:
    """What /healthz reads when the page runs without the service (`news-monitor web`)."""

    app: Any
    last_tick: datetime | None = None

    def healthy(self) -> bool:
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parts:
    config: Any
    db: Database
    store: Browse


@dataclass(frozen=True, slots=True, kw_only=True)
class _Configured:
    """What the page reads of a config, worked out once per config."""

    config: Config
    tz: ZoneInfo
    token: str | None
    editor_token: str | None
    rule_names: list[str]
    feed_names: dict[str, str]


class _Latest:
    """The `_Configured` of the config last asked for (a reload makes a new Config object)."""

    def __init__(self) -> None:
        self._last: _Configured | None = None

    def of(self, config: Config) -> _Configured:
        last = self._last
        if last is None or last.config is not config:
            last = _Configured(
                config=config,
                tz=ZoneInfo(config.timezone),
                token=config.web.token if config.web else None,
                editor_token=config.web.editor_token if config.web else None,
                rule_names=[r.name for r in config.rules],
                feed_names={f.url: f.name for f in config.feeds},
            )
            self._last = last
        return last


def reconfigure(app: Flask, config: Config) -> None:
    """Serve the page of `news-monitor web` from a newly read config (the listen address
    stays: it takes a restart)."""
    standalone: _Standalone = app.extensions["news_monitor"]
    standalone.app = replace(standalone.app, config=config)


def make_app(
    config: Config,
    db: Database,
    *,
    clock: Callable[[], datetime] | None = None,
    service: ServiceView | None = None,
    reload: Callable[[], None] | None = None,
    websub: Blueprint | None = None,
) -> Flask:
    """The WSGI app over `db`; `service` is the running service whose health /healthz reports."""
    clock = clock or (lambda: datetime.now(UTC))
    store = Browse(db)
    # The config the page reads is the service's current one, so that a reload (SIGHUP) changes
    # the token, the rules and the feed names here too; alone (`news-monitor web`) it is the
    # page's own, which `reconfigure` replaces.
    health = service or _Standalone(app=_Parts(config=config, db=db, store=store))
    latest = _Latest()

    def current() -> _Configured:
        return latest.of(health.app.config)

    app = Flask(
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
    )
    app.jinja_env.autoescape = True  # every feed-supplied string is escaped, whatever the name
    app.jinja_env.filters["when"] = lambda moment: _when(moment, current().tz)
    app.jinja_env.globals.update(masked=mask)
    app.context_processor(_page_context(current))
    app.extensions["news_monitor"] = health

    def reload_config() -> None:
        """After the page wrote the config: the service reloads as on SIGHUP; alone, the page
        reads the file again."""
        if reload is not None:
            reload()
        elif service is not None and hasattr(service, "reload"):
            service.reload()
        else:
            from monitor.config.load import load_config

            reconfigure(app, load_config(current().config.path))

    from monitor.service.web.editor import editor_routes  # the workbench (DESIGN §18)

    app.register_blueprint(
        editor_routes(
            current=lambda: current().config, store=store, clock=clock, reload=reload_config
        )
    )

    if websub is not None:  # the service's WebSub callbacks (DESIGN §17)
        app.register_blueprint(websub)

    install_doors(app, web=lambda: current().config.web, clock=clock)
    Gate().install(app)  # after the token check: a stranger's request takes no slot

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if response.mimetype in ("text/html", "application/json", "text/plain") and not (
            response.direct_passthrough
        ):
            # the last gate before the wire: no page shows a secret, whatever put it there
            response.set_data(mask(response.get_data(as_text=True)))
        return response

    @app.get("/")
    def home() -> str:
        c = current()
        now = clock()
        since, since_error = _since(request.args.get("since"))
        start, until = now - since, None
        day = _day(request.args.get("day"), c.tz)
        if day is not None:
            start, until = day, day + timedelta(days=1)
        rule = request.args.get("rule") or None
        feed = request.args.get("feed") or None
        page = pages.page_number(request.args.get("page"))
        offset = (page - 1) * pages.PAGE_SIZE
        rows = store.recent_matches(
            since=start, until=until, rule=rule, feed=feed, limit=pages.PAGE_SIZE + 1, offset=offset
        )
        items = _story_items(rows[: pages.PAGE_SIZE])
        # Nothing alerted yet (a first poll stores its backlog silently): show what the rules
        # would have caught in it, labelled as such, rather than an empty page.
        backlog = (
            _backlog(c, since) if not items and page == 1 and not (rule or feed or day) else []
        )
        return render_template(
            "home.html",
            backlog=backlog,
            sections=pages.by_rule(items, c.rule_names),
            paging=pages.Paging(page=page, more=len(rows) > pages.PAGE_SIZE),
            rules=c.rule_names,
            feeds=c.feed_names,
            rule=rule,
            feed=feed,
            since=request.args.get("since") or DEFAULT_SINCE,
            since_error=since_error,
            day=request.args.get("day", ""),
            args=_args("rule", "feed", "since", "day"),
        )

    @app.get("/search")
    def search() -> str:
        c = current()
        q = request.args.get("q", "").strip()
        since, since_error = _since(request.args.get("since"))
        page = pages.page_number(request.args.get("page"))
        context: dict[str, Any] = dict(
            q=q,
            since=request.args.get("since") or DEFAULT_SINCE,
            since_error=since_error,
            error=None,
            results=None,
            args=_args("q", "since"),
        )
        if q:
            try:
                rule = build_rule(name="query", query=q, entities=c.config.entities)
            except RuleSyntaxError as exc:
                context["error"] = exc
                context["caret"] = pages.caret_line(exc.column)
            else:
                found = search_page(
                    c.config,
                    store,
                    rule,
                    since=since,
                    now=clock(),
                    after=pages.cursor(request.args.get("after")),
                    limit=pages.PAGE_SIZE,
                )
                context["results"] = _results(found.hits)
                context["page"] = page
                context["next"] = pages.cursor_text(found.next) if found.next else None
                context["stopped"] = found.stopped
                context["budget"] = f"{SEARCH_SECONDS:g}"
        return render_template("search.html", **context)

    @app.get("/rules")
    def rules() -> str:
        c = current()
        now = clock()
        page = pages.page_number(request.args.get("page"))
        shown = c.config.rules[(page - 1) * RULES_PER_PAGE : page * RULES_PER_PAGE]
        names = [r.name for r in shown]
        span, starts = pages.day_bounds(now, c.tz, DAYS)
        counts = {
            rule: list(zip(span, per_day, strict=True))
            for rule, per_day in store.match_counts(names, starts).items()
        }
        listed = []
        for r in shown:
            rows = store.recent_matches(
                since=now - timedelta(days=DAYS), rule=r.name, limit=LAST_MATCHES
            )
            listed.append(
                {
                    "name": r.name,
                    "source": r.source,
                    "digest": r.digest,
                    "days": counts[r.name],
                    "total": sum(n for _, n in counts[r.name]),
                    "peak": max((n for _, n in counts[r.name]), default=0),
                    "last": _story_items(rows),
                }
            )
        return render_template(
            "rules.html",
            rules=listed,
            days=DAYS,
            paging=pages.Paging(page=page, more=page * RULES_PER_PAGE < len(c.config.rules)),
            args={},
        )

    @app.get("/rules/try")
    def try_rule() -> str:
        c = current()
        q = request.args.get("q", "").strip()
        title = request.args.get("title", "")
        text = request.args.get("text", "")
        context: dict[str, Any] = dict(
            q=q, title=title, text=text, error=None, problem=None, result=None
        )
        if q:
            configured = {r.name: r.rule for r in c.config.rules}
            try:
                rule = configured.get(q) or build_rule(
                    name="query", query=q, entities=c.config.entities
                )
            except RuleSyntaxError as exc:
                context["error"] = exc
                context["caret"] = pages.caret_line(exc.column)
            else:
                try:
                    result = explain_text(rule, title=title, text=text)
                except TextTooLong as exc:
                    context["problem"] = str(exc)
                    return render_template("try.html", rules=c.rule_names, **context)
                hits = [asdict(h) for h in result.hits]
                context["result"] = result
                context["title_marked"] = pages.paragraphs(title, hits, field="title")
                context["text_marked"] = pages.paragraphs(text, hits)
        return render_template("try.html", rules=c.rule_names, **context)

    @app.get("/stories/<article_id>")
    def story(article_id: str) -> str:
        c = current()
        article = store.article(article_id)
        if article is None:
            abort(404)
        members = store.story_articles(article)
        ids = [a.id for a in members]
        sources = store.sources(ids)
        matches = store.matches_of(ids)
        own_hits = [
            h for m in matches if m.article_id == article_id for h in pages.hit_dicts(m.hits)
        ]
        text = "\n\n".join(p for p in (article.summary, article.text) if p)
        # the story's headline is its original's (the copy published first), whichever copy
        # of it the reader came through
        original = min(members or [article], key=lambda a: (a.published or a.first_seen, a.id))
        return render_template(
            "story.html",
            article=article,
            original=original if original.id != article.id else None,
            href=pages.link(article.link or article.url),
            when=article.published or article.first_seen,
            first_seen=article.first_seen,
            members=[
                {
                    "id": a.id,
                    "title": a.title or "(no title)",
                    "when": a.published or a.first_seen,
                    "sources": [
                        {
                            "name": c.feed_names.get(s.feed) or s.feed_name or s.feed,
                            "href": pages.link(s.url),
                            "url": s.url,
                        }
                        for s in sources
                        if s.article_id == a.id
                    ],
                }
                for a in members
            ],
            matches=[
                {
                    "rule": m.rule,
                    "terms": ", ".join(m.terms),
                    "at": m.matched_at,
                    "sent": bool(m.run_id),
                    "own": m.article_id == article_id,
                }
                for m in matches
            ],
            title_marked=pages.paragraphs(article.title, own_hits, field="title"),
            text_marked=pages.paragraphs(text, own_hits),
        )

    @app.get("/feeds")
    def feeds() -> str:
        c = current()
        page = pages.page_number(request.args.get("page"))
        health = {r.url: r for r in store.feed_health()}
        subscriptions = {s.feed: s for s in store.subscriptions()}
        shown = c.config.feeds[(page - 1) * pages.PAGE_SIZE : page * pages.PAGE_SIZE]
        return render_template(
            "feeds.html",
            feeds=[
                {
                    "name": f.name,
                    "url": f.url,
                    "paused": f.paused,
                    **_feed_state(health.get(f.url) or FeedHealth.unpolled(f.url)),
                    "push": push_state(subscriptions.get(f.url)),
                }
                for f in shown
            ],
            paging=pages.Paging(page=page, more=page * pages.PAGE_SIZE < len(c.config.feeds)),
            count=len(c.config.feeds),
            args={},
        )

    @app.get("/deliveries")
    def deliveries() -> str:
        page = pages.page_number(request.args.get("page"))
        rows = store.deliveries(limit=pages.PAGE_SIZE + 1, offset=(page - 1) * pages.PAGE_SIZE)
        return render_template(
            "deliveries.html",
            rows=[
                {
                    "id": r.id,
                    "digest": r.digest,
                    "channel": r.channel,
                    "status": r.status,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "created": r.created_at,
                    "when": r.sent_at if r.status == "sent" else r.next_attempt_at,
                }
                for r in rows[: pages.PAGE_SIZE]
            ],
            paging=pages.Paging(page=page, more=len(rows) > pages.PAGE_SIZE),
            args={},
        )

    @app.get("/healthz")
    def healthz() -> Response:
        healthy, report = health_report(health)
        return Response(
            json.dumps(report), status=200 if healthy else 503, mimetype="application/json"
        )

    @app.get("/metrics")
    def prometheus() -> Response:
        # content_type, not mimetype: the type already names its charset, mimetype adds another
        return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        return render_template(
            "error.html", status=404, message="There is no such page or story."
        ), 404

    @app.errorhandler(500)
    def failed(_error: Exception) -> tuple[str, int]:
        return render_template(
            "error.html", status=500, message="Something went wrong; it is in the log."
        ), 500

    def _backlog(c: _Configured, since: timedelta) -> list[tuple[str, list[dict]]]:
        """Per rule (the first BACKLOG_RULES of them), its latest matches in the archive."""
        sections = []
        for configured in c.config.rules[:BACKLOG_RULES]:
            found = search_page(
                c.config,
                store,
                configured.rule,
                since=since,
                now=clock(),
                after=None,
                limit=BACKLOG_ITEMS,
            )
            if found.hits:
                sections.append((configured.name, _results(found.hits)))
        return sections

    def _story_items(rows: list[MatchedRow]) -> list[pages.StoryItem]:
        c = current()
        items = matched_articles(db.connection(), c.config, rows)
        return pages.story_items([r.article_id for r in rows], items)

    return app


def _results(hits: Any) -> list[dict]:
    """Archive search hits as the result list of /search (and the home page's backlog) shows them."""
    return [
        {
            "id": hit.article_id,
            "title": hit.found.title or "(no title)",
            "href": pages.link(hit.found.url),
            "source": hit.found.feed,
            "when": from_iso(hit.found.published or hit.found.first_seen),
            "segments": pages.snippet(hit.text, [asdict(h) for h in hit.found.hits]),
            "terms": hit.found.terms,
        }
        for hit in hits
    ]


def _page_context(current: Callable[[], _Configured]) -> Callable[[], dict[str, Any]]:
    """What every template may read: the timezone, whether the visitor edits, and the CSRF
    token its forms carry."""

    def context() -> dict[str, Any]:
        c = current()
        editor = getattr(g, "role", None) == "editor" and c.editor_token is not None
        return {
            "timezone": c.config.timezone,
            "editor": editor,
            "can_sign_in_to_edit": c.editor_token is not None and not editor,
            "csrf_token": csrf_token(c.editor_token) if editor and c.editor_token else "",
        }

    return context


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _since(text: str | None) -> tuple[timedelta, str | None]:
    try:
        return parse_duration(text or DEFAULT_SINCE), None
    except ValueError as exc:
        return parse_duration(DEFAULT_SINCE), f"since: {exc}; showing {DEFAULT_SINCE}"


def _day(text: str | None, tz: ZoneInfo) -> datetime | None:
    """The start of a day (YYYY-MM-DD) in the reader's timezone, or None."""
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").replace(tzinfo=tz)
    except ValueError:
        return None


def _args(*names: str) -> dict[str, str]:
    """The current filters, carried into the paging links."""
    return {n: request.args[n] for n in names if request.args.get(n)}


def _feed_state(row: FeedHealth) -> dict:
    status = row.last_outcome or "never polled"
    if row.last_status:
        status += f" {row.last_status}"
    return {
        "status": status,
        "failing": row.failing,
        "articles": row.articles,
        "last_polled": row.last_polled_at,
        "next_check": row.next_check_at,
        "failures": row.consecutive_failures,
        "problem": mask(row.last_error or row.last_warning or ""),
        "redirect_to": row.redirect_to,
    }
