"""The page's doors: who gets in (token, session cookie), under which Host, from which proxy,
and where the login form may send a browser afterwards.

- Without a token the page reads the archive to anyone who reaches it, so it answers only to
  loopback Host names: a DNS-rebinding page in the analyst's browser (evil.example resolving
  to 127.0.0.1) sends its own name as Host and is refused.
- The login cookie is a random session id (sessions.py): it expires, logout revokes it.
- A proxy named in `web.trusted_proxies` may say the browser came over TLS
  (`X-Forwarded-Proto: https`); the cookie is then Secure. Anyone else's forwarding headers
  are dropped before the page sees them.
- A request another site's page makes by loading something (an `<img>`, a script, a fetch)
  is refused where the browser says so (Sec-Fetch-Site); a link from elsewhere still opens.
- `next` after login is a path on this site, never `//host`, a scheme, or anything a browser
  would read differently from what was checked (it drops tabs and line breaks from URLs).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, redirect, render_template, request

from monitor.config.load import WebConfig
from monitor.service.web.auth import COOKIE, fingerprint, role, signed_in_as
from monitor.service.web.sessions import Sessions

OPEN_PATHS = ("/login", "/static/", "/healthz")  # /healthz stays open for orchestrators
# A WebSub hub has no token and calls the public name (DESIGN §17): each callback is guarded
# by its subscription's own secret and by answering only what the service asked for.
CALLBACK_PATHS = ("/websub/",)
_FORWARDING = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_BY",
               "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PROTO")  # fmt: skip


def safe_next(target: str | None) -> str:
    """A redirect target on this site only: a path, never `//host`, `/\\host` or a scheme."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    if any(c < " " or c in "\\\x7f" for c in target):
        return "/"  # a browser drops tabs and newlines: `/<TAB>/evil` would become `//evil`
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def loopback_host(host: str | None) -> bool:
    """Whether a Host header names this machine's loopback (with or without a port)."""
    if not host:
        return True  # HTTP/1.0 sends none; a browser always does
    name = host.lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name.rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def cross_site_subresource(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a browser says another site made this request other than by opening a page:
    an `<img>` or a script of a page elsewhere, aimed at a search that costs (Fetch Metadata;
    a client that sends none, like curl or an orchestrator, is not refused)."""
    site = headers.get("Sec-Fetch-Site")
    if site in (None, "same-origin", "same-site", "none"):
        return False
    return not (
        method == "GET"
        and headers.get("Sec-Fetch-Mode") == "navigate"
        and headers.get("Sec-Fetch-Dest", "document") == "document"
    )


def trusted(peer: str | None, networks: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def install_doors(
    app: Flask, *, web: Callable[[], WebConfig | None], clock: Callable[[], datetime]
) -> Sessions:
    """The proxy headers, the Host check, the token check and the login and logout routes."""
    sessions = Sessions()
    app.extensions["news_monitor_sessions"] = sessions
    inner = app.wsgi_app

    def behind_proxies(environ: dict[str, Any], start_response: Any) -> Any:
        config = web()
        proxies = config.trusted_proxies if config else ()
        if proxies and trusted(environ.get("REMOTE_ADDR"), proxies):
            # The nearest proxy speaks last: the last value of the header is its own.
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        for name in _FORWARDING:
            environ.pop(name, None)
        return inner(environ, start_response)

    app.wsgi_app = behind_proxies  # type: ignore[method-assign]
    app.context_processor(lambda: {"signed_in": g.get("signed_in", False)})

    def tokens() -> tuple[str | None, str | None]:
        config = web()
        return (config.token, config.editor_token) if config else (None, None)

    @app.before_request
    def _check_host_and_token() -> Response | None:
        if request.path.startswith(CALLBACK_PATHS):
            return None
        token, editor_token = tokens()
        if token is None and not loopback_host(request.headers.get("Host")):
            return Response(
                "This page answers only to localhost without a token: set web.token to serve "
                "it under another name.\n",
                status=421,
                mimetype="text/plain",
            )
        if cross_site_subresource(request.method, dict(request.headers)):
            return Response(
                "Another site may link to this page, not load from it.\n",
                status=403,
                mimetype="text/plain",
            )
        held = sessions.credential(request.cookies.get(COOKIE), clock())
        g.signed_in = held is not None
        g.role = role(token, editor_token, request.headers.get("Authorization"), held)
        if request.path.startswith(OPEN_PATHS) or g.role is not None:
            return None
        return _login_page(status=401, error=None)

    def _login_page(*, status: int, error: str | None) -> Response:
        target = request.full_path if request.path != "/login" else request.args.get("next", "/")
        body = render_template("login.html", error=error, next=safe_next(target))
        response = Response(body, status=status, mimetype="text/html")
        response.headers["WWW-Authenticate"] = 'Bearer realm="news-monitor"'
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        token, editor_token = tokens()
        if token is None and editor_token is None:
            return redirect("/")  # type: ignore[return-value]
        if request.method == "GET":
            return _login_page(status=200, error=None)
        secret = signed_in_as(token, editor_token, request.form.get("token", ""))
        if secret is None:
            return _login_page(status=401, error="That token is not the one configured.")
        sessions.close(request.cookies.get(COOKIE))  # a new id at each login (no fixation)
        response = redirect(safe_next(request.form.get("next", "/")), code=303)
        response.set_cookie(
            COOKIE,
            sessions.open(fingerprint(secret), clock()),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            max_age=int(sessions.lifetime.total_seconds()),
        )
        return response  # type: ignore[return-value]

    @app.post("/logout")
    def logout() -> Response:
        sessions.close(request.cookies.get(COOKIE))
        response = redirect("/login", code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="Strict", secure=request.is_secure)
        return response  # type: ignore[return-value]

    return sessions
