"""A private source's credentials (basic auth, headers) reach its own origin and no other.

"Origin" is scheme, host and port, as browsers define it. The second origin in these tests is
127.0.0.2 (another host on the loopback network) and, for the port case, another port on
127.0.0.1: an article link or a redirect to either must not carry the credentials.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Clock, rss, write_config
from servers import QuietHandler

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once
from monitor.sources.fetch import SourceAuth, origin_of

USER, PASSWORD, TOKEN = "wire-user", "pa55-W0rd-wire", "tok-9f8e7d6c5b4a"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@dataclass
class Site:
    """An HTTP server on one loopback host that records every request's path and headers and
    answers from a table of routes; routes marked private demand the credentials."""

    host: str
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                site.seen.append((self.path, headers))
                status, extra, body = site.routes.get(self.path, (404, {}, b""))
                if self.path in site.private and (
                    headers.get("authorization") != BASIC or headers.get("x-wire-token") != TOKEN
                ):
                    status, extra, body = 401, {"WWW-Authenticate": 'Basic realm="wire"'}, b""
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"http://{self.host}:{self.server.server_address[1]}"

    def credentials_seen(self) -> list[str]:
        """Paths of the requests that carried any of the credentials."""
        return [
            path
            for path, headers in self.seen
            if headers.get("authorization") == BASIC or headers.get("x-wire-token") == TOKEN
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites():
    made: list[Site] = []

    def make(host: str) -> Site:
        made.append(Site(host))
        return made[-1]

    yield make
    for site in made:
        site.close()


def feed_config(tmp_path: Path, url: str, *, full_text: bool = True) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        allow_private_networks: true
        feeds:
          - url: {url}
            name: Wire
            full_text: {str(full_text).lower()}
            username: {USER}
            password: "${{WIRE_PASSWORD}}"
            headers: {{X-Wire-Token: "${{WIRE_TOKEN}}"}}
        rules:
          - {{name: Rogun, any: [Rogun], digest: instant}}
        digests:
          instant: {{schedule: instant, channels: [out]}}
        channels:
          out: {{type: file, path: {tmp_path / "digests"}}}
        """,
    )


def env() -> dict[str, str]:
    return {"WIRE_PASSWORD": PASSWORD, "WIRE_TOKEN": TOKEN}


def items(clock: Clock, *links: str) -> bytes:
    return rss(
        [
            {
                "title": f"Rogun report {n}",
                "link": link,
                "guid": f"g{n}",
                "description": "Rogun dam news.",
                "pubDate": clock.now - timedelta(minutes=5),
            }
            for n, link in enumerate(links)
        ]
    )


def poll(tmp_path: Path, url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch, **kw):  # noqa: ANN201
    for name, value in env().items():
        monkeypatch.setenv(name, value)
    tmp_path.mkdir(exist_ok=True)
    app = build_app(load_config(feed_config(tmp_path, url, **kw)), clock=clock)
    return run_once(app)


def page(text: str) -> tuple[int, dict[str, str], bytes]:
    html = f"<html><body><article><h1>Rogun</h1><p>{text}</p></article></body></html>"
    return 200, {"Content-Type": "text/html"}, html.encode()


def test_credentials_reach_the_source_that_demands_them_and_not_an_article_elsewhere(
    tmp_path, sites, clock: Clock, monkeypatch
) -> None:
    wire, other = sites("127.0.0.1"), sites("127.0.0.2")
    wire.private = {"/feed.xml", "/own/1.html"}
    wire.routes["/own/1.html"] = page("An article on the wire's own site. " * 20)
    other.routes["/story/2.html"] = page("The same story on another host. " * 20)
    wire.routes["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        items(clock, f"{wire.base}/own/1.html", f"{other.base}/story/2.html"),
    )
    [outcome] = poll(tmp_path, f"{wire.base}/feed.xml", clock, monkeypatch)
    assert outcome.outcome == "ok" and outcome.new_articles == 2, outcome
    assert wire.credentials_seen() == ["/feed.xml", "/own/1.html"]
    assert [path for path, _ in other.seen] == ["/story/2.html"]  # fetched, without them
    assert other.credentials_seen() == []


def test_a_redirect_to_another_host_or_port_drops_the_credentials(
    tmp_path, sites, clock: Clock, monkeypatch
) -> None:
    wire, elsewhere, other_port = sites("127.0.0.1"), sites("127.0.0.2"), sites("127.0.0.1")
    wire.private = {"/feed.xml"}
    body = items(clock, "https://example.org/a")
    wire.routes["/moved.xml"] = (302, {"Location": f"{elsewhere.base}/feed.xml"}, b"")
    wire.routes["/port.xml"] = (302, {"Location": f"{other_port.base}/feed.xml"}, b"")
    wire.routes["/here.xml"] = (301, {"Location": "/feed.xml"}, b"")
    for site in (wire, elsewhere, other_port):
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)

    for start in ("/moved.xml", "/port.xml"):
        [outcome] = poll(tmp_path / start.strip("/"), f"{wire.base}{start}", clock, monkeypatch)
        assert outcome.outcome == "ok", outcome
    assert [p for p, _ in elsewhere.seen] == ["/feed.xml"] == [p for p, _ in other_port.seen]
    assert elsewhere.credentials_seen() == [] == other_port.credentials_seen()

    # A redirect within the source's own origin keeps them: the private feed is read.
    [outcome] = poll(tmp_path / "here", f"{wire.base}/here.xml", clock, monkeypatch)
    assert outcome.outcome == "ok", outcome
    assert wire.credentials_seen()[-2:] == ["/here.xml", "/feed.xml"]


def test_credentials_written_in_the_url_become_basic_auth_for_that_origin_only(
    tmp_path, sites, clock: Clock, monkeypatch
) -> None:
    wire = sites("127.0.0.1")
    wire.routes["/feed.xml"] = (200, {}, items(clock, "https://example.org/a"))
    config = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: http://{USER}:{PASSWORD}@127.0.0.1:{wire.server.server_address[1]}/feed.xml
        """,
    )
    loaded = load_config(config)
    [feed] = loaded.feeds
    assert feed.url == f"{wire.base}/feed.xml"  # its identity and what is shown
    assert PASSWORD not in repr(loaded)
    [outcome] = run_once(build_app(loaded, clock=clock))
    assert outcome.outcome == "ok"
    assert [h.get("authorization") for _, h in wire.seen] == [BASIC]


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://wire.example.org/other/path?x=1", True),
        ("https://WIRE.example.org:443/", True),
        ("https://evil.example.org/", False),
        ("https://wire.example.org.evil.example/", False),
        ("https://wire.example.org:8443/", False),
        ("http://wire.example.org/", False),  # no credentials over plain http
        ("https://wire.example.org@evil.example/", False),
    ],
)
def test_what_counts_as_the_same_origin(url: str, same: bool) -> None:
    auth = SourceAuth.for_source("https://wire.example.org/feed.xml", username="u", password="p")
    assert auth is not None
    assert bool(auth.headers_for(url)) is same, origin_of(url)
