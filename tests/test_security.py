"""Security through the real CLI: secrets stay out of every output and the database, a feed's
line breaks cannot forge mail headers, HTML from feeds is escaped, YAML tags stay inert."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from conftest import FeedServer, now_utc, write_config
from pytest_httpserver import HTTPServer
from servers import SmtpInbox
from test_hostile import news_monitor
from werkzeug.wrappers import Request, Response

SMTP_PASSWORD = "pw-Zq8vK-never-shown-4711"
WEBHOOK_KEY = b"hook-key-never-shown-9f3a"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
URL_TOKEN = "tok-Hx9-never-shown"
SECRETS = (SMTP_PASSWORD, WEBHOOK_SECRET, base64.b64encode(WEBHOOK_KEY).decode(), URL_TOKEN)

HOSTILE_TITLE = (
    "Rogun &lt;script&gt;alert(1)&lt;/script&gt;"
    "&#13;&#10;Bcc: victim@evil.example&#13;&#10;X-Injected: yes"
)
HOSTILE_SUMMARY = "&lt;img src=x onerror=alert(2)&gt;The Rogun dam.&#13;&#10;Subject: forged"
# Bidi controls: the override makes "gpj.exe" read as "exe.jpg", the isolate hides a swap.
BIDI_TITLE = "Rogun invoice \u202egpj.exe"
BIDI_SUMMARY = (
    "Rogun contract \u2067\u200f\u061csigned\u2069 \u202a\u202b\u202c\u202d\u2066\u2068\u200e"
)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def feed_xml(items: list[tuple[str, str, str]]) -> bytes:
    when = now_utc().strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = "".join(
        f"<item><title>{title}</title><link>https://evil.example/{slug}</link>"
        f"<guid>{slug}</guid><description>{summary}</description><pubDate>{when}</pubDate></item>"
        for slug, title, summary in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Evil&#13;&#10;Bcc: channel@evil.example</title><link>https://evil.example/</link>"
        f"{body}</channel></rss>"
    ).encode()


def cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HOOK_TOKEN": URL_TOKEN,
        "NEWS_MONITOR_CONFIG": "",
    }
    return subprocess.run(
        [*news_monitor(), *args[:1], "--config", str(config), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def secured_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp_path = tmp_path_factory.mktemp("security")
    httpserver = HTTPServer()
    httpserver.start()
    try:
        return _secured_run(tmp_path, FeedServer(httpserver), httpserver)
    finally:
        httpserver.clear()
        httpserver.stop()


def _secured_run(tmp_path: Path, feeds: FeedServer, httpserver: HTTPServer) -> dict:
    hook_calls: list[Request] = []
    hook_bodies: list[str] = []

    def refuse(request: Request) -> Response:
        hook_calls.append(request)
        hook_bodies.append(request.get_data(as_text=True))
        return Response("receiver broken", status=500)

    httpserver.expect_request(f"/hook/{URL_TOKEN}", method="POST").respond_with_handler(refuse)
    url = feeds.set("/evil.xml", feed_xml([("old", "Old story", "Backlog.")]))
    inbox = SmtpInbox()
    try:
        config = write_config(
            tmp_path,
            f"""
            database: {tmp_path / "monitor.db"}
            feeds:
              - url: {url}
                name: Evil feed
            rules:
              - name: Rogun
                any: [Rogun]
                digest: instant
            digests:
              instant: {{schedule: instant, channels: [team, inbox, hook, archive]}}
            channels:
              team:
                type: email
                to: [analysts@example.org]
                from: monitor@example.org
                smtp: {{host: 127.0.0.1, port: {inbox.port}, username: monitor,
                        password: "${{SMTP_PASSWORD}}", timeout: 5s}}
              inbox:
                type: email
                to: [analysts@example.org]
                from: monitor@example.org
                smtp: {{host: 127.0.0.1, port: {inbox.port}, timeout: 5s}}
              hook:
                type: webhook
                url: "{httpserver.url_for("/hook")}/${{HOOK_TOKEN}}"
                secret: "${{WEBHOOK_SECRET}}"
              archive: {{type: file, path: {tmp_path / "digests"}}}
            """,
        )
        outputs = [cli(config, "check"), cli(config, "run", "--once")]
        feeds.set(
            "/evil.xml",
            feed_xml(
                [
                    ("old", "Old story", "Backlog."),
                    ("new", HOSTILE_TITLE, HOSTILE_SUMMARY),
                    ("bidi", BIDI_TITLE, BIDI_SUMMARY),
                ]
            ),
        )
        outputs += [
            cli(config, "run", "--once", "--log-json"),
            cli(config, "deliveries", "--retry"),
            cli(config, "feeds"),
            cli(config, "digest", "preview", "instant"),
            cli(config, "search", "invoice"),
        ]
    finally:
        inbox.close()
    return {
        "tmp": tmp_path,
        "outputs": outputs,
        "messages": list(inbox.messages),
        "recipients": list(inbox.recipients),
        "hook_calls": len(hook_calls),
        "hook_bodies": hook_bodies,
    }


def test_secrets_never_appear_in_output_logs_errors_or_the_database(secured_run: dict) -> None:
    tmp: Path = secured_run["tmp"]
    assert secured_run["hook_calls"] >= 1  # the failing receiver really produced errors
    texts = {
        f"{' '.join(p.args[1:2])}#{n}": p.stdout + p.stderr
        for n, p in enumerate(secured_run["outputs"])
    }
    texts |= {p.name: p.read_bytes().decode("utf-8", "replace") for p in tmp.glob("monitor.db*")}
    texts |= {p.name: p.read_text() for p in (tmp / "digests").glob("*")}
    leaks = {name: s for name, text in texts.items() for s in SECRETS if s in text}
    assert leaks == {}
    errors = "".join(texts.values())
    assert "unreachable" in errors or "HTTP 500" in errors  # the errors were there to be read


def test_check_masks_the_secrets_it_lists(secured_run: dict) -> None:
    check = secured_run["outputs"][0]
    assert check.returncode == 0, check.stderr
    assert "**********" in check.stdout


def test_line_breaks_in_a_title_cannot_add_mail_headers(secured_run: dict) -> None:
    messages = secured_run["messages"]
    assert messages, "the digest never reached the SMTP server"
    assert secured_run["recipients"] == [["analysts@example.org"]] * len(messages)
    for message in messages:
        assert message["Bcc"] is None and message["X-Injected"] is None
        assert "evil.example" not in "".join(f"{k}: {v}" for k, v in message.items())
        assert "\n" not in str(message["Subject"])


def test_feed_html_is_escaped_in_html_digests(secured_run: dict) -> None:
    htmls = [p.read_text() for p in (secured_run["tmp"] / "digests").glob("*.html")]
    htmls += [
        part.get_content()
        for message in secured_run["messages"]
        for part in message.walk()
        if part.get_content_type() == "text/html"
    ]
    assert htmls and all("Rogun" in html for html in htmls)
    for html in htmls:
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html and "onerror=alert(2)>" not in html
        assert "&lt;script&gt;" in html


def test_bidi_controls_are_dropped_from_mail_files_payloads_and_the_cli(secured_run: dict) -> None:
    messages = secured_run["messages"]
    shown = {f"mail {n} {k}": str(v) for n, m in enumerate(messages) for k, v in m.items()}
    shown |= {
        f"mail {n} {part.get_content_type()}": part.get_content()
        for n, message in enumerate(messages)
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }
    shown |= {p.name: p.read_text() for p in (secured_run["tmp"] / "digests").glob("*")}
    shown |= {f"webhook {n}": body for n, body in enumerate(secured_run["hook_bodies"])}
    shown |= {
        f"{' '.join(p.args[1:2])}#{n}": p.stdout + p.stderr
        for n, p in enumerate(secured_run["outputs"])
    }
    assert any("Rogun invoice gpj.exe" in text for name, text in shown.items() if "mail" in name)
    assert any("Rogun invoice gpj.exe" in text for name, text in shown.items() if "webhook" in name)
    assert any("Rogun invoice gpj.exe" in text for name, text in shown.items() if "search" in name)
    assert {name for name, text in shown.items() if any(c in text for c in BIDI)} == set()


def test_yaml_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    config = write_config(
        tmp_path,
        f"""
        database: !!python/object/apply:os.system ["touch {marker}"]
        feeds: []
        """,
    )
    result = cli(config, "check")
    assert result.returncode == 1
    assert "monitor.yaml" in result.stderr
    assert not marker.exists()
