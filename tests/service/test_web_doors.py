"""The page's doors through a real HTTP client against the real server: where `next` may
lead, which Host names a page without a token answers, and the session cookie (random,
expiring, revoked by logout, Secure behind a trusted TLS proxy)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from web_world import NOW, Item, store_items, world_config

from monitor.config.load import Config
from monitor.service.web.app import make_app
from monitor.service.web.auth import COOKIE, fingerprint
from monitor.service.web.doors import loopback_host, safe_next
from monitor.service.web.server import WebServer
from monitor.store.backend import open_database

TOKEN = "correct horse battery staple"
ITEMS = [Item(id="rogun-1", title="Tajikistan fills the Rogun reservoir", summary="Rogun dam.")]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def serve(config: Config, clock: Clock) -> Iterator[str]:
    store_items(config, ITEMS)
    server = WebServer(
        make_app(config, open_database(config.database), clock=clock),
        "127.0.0.1",
        0,
        token=config.web.token if config.web else None,
    ).start()
    yield server.url.rstrip("/")
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guarded(tmp_path: Path, clock: Clock) -> Iterator[str]:
    web = f'web: {{listen: "127.0.0.1:0", token: "{TOKEN}", trusted_proxies: ["127.0.0.0/8"]}}'
    yield from serve(world_config(tmp_path, web=web), clock)


@pytest.fixture
def open_site(tmp_path: Path, clock: Clock) -> Iterator[str]:
    yield from serve(world_config(tmp_path, web='web: {listen: "127.0.0.1:0"}'), clock)


def sign_in(base: str, *, next_: str = "/", headers: dict | None = None) -> requests.Response:
    return requests.post(
        base + "/login",
        data={"token": TOKEN, "next": next_},
        headers=headers or {},
        allow_redirects=False,
        timeout=10,
    )


NEXT_CASES = [
    ("/feeds", "/feeds"),
    ("/search?q=Rogun+dam", "/search?q=Rogun+dam"),
    ("/\t/evil.example", "/"),
    ("/\n/evil.example", "/"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    (" //evil.example", "/"),
    ("/x\r\nSet-Cookie: stolen=1", "/"),
]


@pytest.mark.parametrize(("given", "location"), NEXT_CASES)
def test_after_login_next_leads_only_to_a_path_on_this_site(
    guarded: str, given: str, location: str
) -> None:
    response = sign_in(guarded, next_=given)
    assert response.status_code == 303
    assert response.headers["Location"] == location
    assert "stolen" not in response.headers.get("Set-Cookie", "")


def test_the_login_form_carries_only_a_safe_next(guarded: str) -> None:
    form = requests.get(guarded + "/login", params={"next": "/\t/evil.example"}, timeout=10)
    assert 'name="next" value="/"' in form.text


def test_safe_next_and_loopback_host_in_a_table() -> None:
    assert safe_next("/stories/a?b=c") == "/stories/a?b=c"
    assert safe_next("/\x7f/evil") == "/" and safe_next(None) == "/"
    for host in ("localhost", "localhost:8080", "127.0.0.1:80", "127.9.9.9", "[::1]:8080", "::1"):
        assert loopback_host(host), host
    for host in ("evil.example", "evil.example:8080", "127.0.0.1.nip.io", "[::2]", "10.0.0.1",
                 "localhost.evil.example", "0.0.0.0"):  # fmt: skip
        assert not loopback_host(host), host


def test_without_a_token_only_loopback_host_names_are_served(open_site: str) -> None:
    port = open_site.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]"):
        assert requests.get(open_site + "/", headers={"Host": host}, timeout=10).ok, host
    for path in ("/", "/search?q=Rogun", "/stories/rogun-1", "/healthz"):
        rebound = requests.get(
            open_site + path, headers={"Host": f"evil.example:{port}"}, timeout=10
        )
        assert rebound.status_code == 421, path
        assert "Tajikistan" not in rebound.text


def test_with_a_token_any_host_name_is_served_to_the_token(guarded: str) -> None:
    response = requests.get(
        guarded + "/stories/rogun-1",
        headers={"Host": "news.example.org", "Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200 and "Tajikistan" in response.text


def test_the_session_cookie_is_random_and_logout_revokes_it(guarded: str) -> None:
    first, second = sign_in(guarded).cookies[COOKIE], sign_in(guarded).cookies[COOKIE]
    assert first != second
    assert fingerprint(TOKEN) not in (first, second) and TOKEN not in first
    story = guarded + "/stories/rogun-1"
    assert requests.get(story, cookies={COOKIE: first}, timeout=10).status_code == 200
    page = requests.get(guarded + "/", cookies={COOKIE: first}, timeout=10).text
    assert 'action="/logout"' in page  # a way out on every page
    out = requests.post(
        guarded + "/logout", cookies={COOKIE: first}, allow_redirects=False, timeout=10
    )
    assert out.status_code == 303
    # the old cookie, replayed after logout, no longer opens anything; the other one does
    assert requests.get(story, cookies={COOKIE: first}, timeout=10).status_code == 401
    assert requests.get(story, cookies={COOKIE: second}, timeout=10).status_code == 200
    # a cookie that was never issued (the old fixed HMAC of the token) opens nothing
    forged = requests.get(story, cookies={COOKIE: fingerprint(TOKEN)}, timeout=10)
    assert forged.status_code == 401


def test_the_session_expires(guarded: str, clock: Clock) -> None:
    response = sign_in(guarded)
    cookie = response.cookies[COOKIE]
    assert "Max-Age=43200" in response.headers["Set-Cookie"]
    story = guarded + "/stories/rogun-1"
    clock.now = NOW + timedelta(hours=11, minutes=59)
    assert requests.get(story, cookies={COOKIE: cookie}, timeout=10).status_code == 200
    clock.now = NOW + timedelta(hours=12, minutes=1)
    assert requests.get(story, cookies={COOKIE: cookie}, timeout=10).status_code == 401


def test_the_cookie_is_secure_when_a_trusted_proxy_says_tls(guarded: str) -> None:
    plain = sign_in(guarded).headers["Set-Cookie"]
    assert "Secure" not in plain
    proxied = sign_in(guarded, headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "Secure" in proxied and "HttpOnly" in proxied and "SameSite=Strict" in proxied


def test_a_proxy_that_is_not_trusted_is_not_believed(tmp_path: Path, clock: Clock) -> None:
    web = f'web: {{listen: "127.0.0.1:0", token: "{TOKEN}", trusted_proxies: ["10.1.2.0/24"]}}'
    for base in serve(world_config(tmp_path, web=web), clock):
        cookie = sign_in(base, headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
        assert "Secure" not in cookie


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match=r"trusted_proxies.*'proxy.example' is not an IP"):
        world_config(tmp_path, web='web: {token: "x", trusted_proxies: ["proxy.example"]}')


def test_another_sites_page_cannot_load_a_search_but_may_link_to_one(open_site: str) -> None:
    search = open_site + "/rules/try?q=Rogun&text=Rogun"
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    assert requests.get(search, headers=image, timeout=10).status_code == 403
    link = {
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "navigate",
        "Sec-Fetch-Dest": "document",
    }
    assert requests.get(search, headers=link, timeout=10).status_code == 200
    own = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    assert requests.get(search, headers=own, timeout=10).status_code == 200
