"""Adding a feed from the page (discovery as `feeds add`, each candidate with its last items)
and pausing or resuming one (`paused: true` in its entry)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, redirect, render_template, request

from monitor.config import edit
from monitor.config.load import Config
from monitor.errors import MonitorError
from monitor.secrets import mask_url
from monitor.service.web.changes import Changes
from monitor.store.browse import Browse

log = logging.getLogger("monitor.web")
LAST_ITEMS = 3
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def feed_routes(
    bp: Blueprint, *, current: Callable[[], Config], store: Browse, changes: Changes
) -> None:
    @bp.get("/feeds/new")
    def new_feed() -> str:
        url = request.args.get("url", "").strip()
        context: dict[str, Any] = {"url": url, "candidates": None, "error": None}
        if url:
            try:
                context["candidates"] = candidates(current(), url)
            except MonitorError as exc:
                context["error"] = str(exc)
        context["version"] = changes.current().version
        return render_template("feed_new.html", **context)

    @bp.post("/feeds/new")
    def add_feed() -> Response:
        url = request.form.get("url", "").strip()
        if not url.startswith(("http://", "https://")):
            abort(400)
        kind = request.form.get("type", "feed")
        entry: dict[str, str | None] = {"type": kind} if kind != "feed" else {}
        entry |= {"url": url, "name": request.form.get("name", "").strip() or None}
        if any(f.url == mask_url(url) for f in current().feeds):
            return _feeds_page_error(f"{mask_url(url)} is already listed", status=409)
        outcome = changes.apply(
            version=request.form.get("version", ""),
            route=request.path,
            subject=f"feed {mask_url(url)}",
            change=lambda text: edit.add_feed(text, entry),
        )
        if outcome.saved is None:
            message = "; ".join(outcome.problems) or (
                "the config was changed since this page was shown; nothing was added"
            )
            return _feeds_page_error(message, status=409 if outcome.conflict else 422)
        return redirect("/feeds", code=303)  # type: ignore[return-value]

    @bp.post("/feeds/pause")
    def pause_feed() -> Response:
        url = request.form.get("url", "")
        paused = request.form.get("paused") == "1"
        snapshot = changes.current()
        index = entry_index(snapshot.text, url)
        if index is None:
            return _feeds_page_error(f"{url} is not written in the config as its own entry", 404)
        outcome = changes.apply(
            version=snapshot.version,  # one click, one key: read and written under the lock
            route=request.path,
            subject=f"feed {url} {'paused' if paused else 'resumed'}",
            change=lambda text: edit.set_feed_keys(
                text, index, {"paused": True if paused else None}
            ),
        )
        if outcome.saved is None:
            return _feeds_page_error("; ".join(outcome.problems) or "try again", 409)
        return redirect("/feeds", code=303)  # type: ignore[return-value]


def _feeds_page_error(message: str, status: int) -> Response:
    body = render_template("error.html", status=status, message=message)
    return Response(body, status=status, mimetype="text/html")


def entry_index(text: str, url: str) -> int | None:
    """Which `feeds:` item is the feed known (masked) as `url`: its `url` as written, with
    `${VAR}` resolved from the environment only to compare, never to write."""
    for i, item in enumerate(edit.feed_items(text)):
        written = str(item.get("url") or "")
        expanded = _ENV_REF.sub(lambda m: os.environ.get(m[1], m[2] or ""), written)
        if written and mask_url(expanded) == url:
            return i
    return None


def candidates(config: Config, url: str) -> list[dict[str, Any]]:
    """Discovery as `feeds add` does it, each candidate with the titles of its last items."""
    from monitor.sources.discover import discover
    from monitor.sources.feed.parse import parse_feed
    from monitor.sources.fetch import fetch, make_session
    from monitor.sources.netguard import AddressGuard

    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    parts = urlsplit(url)
    if not config.allow_private_networks and parts.hostname:
        # the page is a door to this machine's network: a private address only when allowed
        AddressGuard().vetted_addresses(parts.hostname, parts.port or 443)
    session = make_session(config.user_agent)
    found = []
    guard = not config.allow_private_networks
    for candidate in discover(session, url, guard=guard):
        items: list[str] = []
        if candidate.type == "feed":
            try:
                result = fetch(session, candidate.url, timeout=20, max_bytes=5_000_000, guard=guard)
                parsed = parse_feed(
                    result.body or b"", url=result.final_url, content_type=result.content_type
                )
                items = [e.title or "(no title)" for e in parsed.entries[:LAST_ITEMS]]
            except MonitorError as exc:
                log.info("reading candidate feed failed url=%s: %s", candidate.url, exc)
        found.append(
            {
                "type": candidate.type,
                "url": candidate.url,
                "title": candidate.title,
                "found": candidate.found,
                "items": items,
            }
        )
    return found
