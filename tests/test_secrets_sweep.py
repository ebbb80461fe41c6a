"""Every secret stays secret: a config with secrets in every position, run through every command
and the service, and everything they print, log, write and send searched for each secret.

Secrets here: URL userinfo (user and password), secret-looking query parameters in feed URLs, in
a redirect target and in article links, basic auth from the environment, a header value, the
webhook signing secret, the web token and a plain value substituted from ${VAR}.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

from conftest import REPO, rss, write_config
from servers import QuietHandler, WebhookReceiver, free_port

SECRETS = {
    "URL_USER": "urluser-7c1d",
    "URL_PASS": "urlpass-8e2f",
    "APIKEY": "apikey-val-93ab",
    "QTOKEN": "qtoken-val-41cd",
    "WIRE_USER": "wireuser-5b6a",
    "WIRE_PASSWORD": "wirepass-0f9e",
    "WIRE_TOKEN": "bearer-tok-2d3c",
    "HOOK_SECRET": "whsec_" + base64.b64encode(b"hook-signing-key-31415").decode(),
    "WEB_TOKEN": "webtoken-6a7b8c",
    "ACCESS": "access-val-11aa",  # a failing feed's access_token
    "SIG": "sig-val-22bb",  # in a redirect target
    "LINKKEY": "linkkey-val-33cc",  # in an article link
    "DB_NAME": "dbname-from-env-44dd",  # a plain value substituted from ${VAR}
}
WIRE_BASIC = (
    "Basic "
    + base64.b64encode(f"{SECRETS['WIRE_USER']}:{SECRETS['WIRE_PASSWORD']}".encode()).decode()
)
URL_BASIC = (
    "Basic " + base64.b64encode(f"{SECRETS['URL_USER']}:{SECRETS['URL_PASS']}".encode()).decode()
)


class Source:
    """The private sources: each path demands its own credentials and serves its items."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.refused: list[str] = []
        source = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                auth = self.headers.get("Authorization")
                if path == "/moved.xml":
                    self.send_response(301)
                    self.send_header("Location", f"/wire.xml?sig={SECRETS['SIG']}&n=1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                demanded = {
                    "/private.xml": auth == URL_BASIC and f"apikey={SECRETS['APIKEY']}" in query,
                    "/wire.xml": auth == WIRE_BASIC
                    and self.headers.get("X-Wire-Token") == f"Bearer {SECRETS['WIRE_TOKEN']}",
                    "/keyed.xml": f"Token={SECRETS['QTOKEN']}" in query,
                }
                if not demanded.get(path, False):
                    source.refused.append(path)
                    self.reply(401, b"")
                    return
                self.reply(200, source.bodies.get(path, rss([])))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.port = self.server.server_address[1]

    def publish(self, n: int) -> None:
        now = datetime.now(UTC)
        for path in ("/private.xml", "/wire.xml", "/keyed.xml"):
            self.bodies[path] = rss(
                [
                    {
                        "title": f"Rogun report {i} via {path}",
                        "link": f"https://news.example.org{path[:-4]}/{i}?key={SECRETS['LINKKEY']}",
                        "guid": f"{path}-{i}",
                        "description": f"The Rogun dam, part {i}.",
                        "pubDate": now - timedelta(minutes=n - i),
                    }
                    for i in range(n)
                ]
            )


def config_text(tmp_path: Path, port: int, hook: str, web_port: int) -> str:
    s = SECRETS
    return f"""
    database: {tmp_path}/${{DB_NAME}}.db
    allow_private_networks: true  # the redirect with a secret in it stays on loopback
    feeds:
      - url: http://{s["URL_USER"]}:{s["URL_PASS"]}@127.0.0.1:{port}/private.xml?apikey={s["APIKEY"]}&lang=en
        name: Private
      - url: http://127.0.0.1:{port}/moved.xml
        name: Wire
        username: "${{WIRE_USER}}"
        password: "${{WIRE_PASSWORD}}"
        headers: {{X-Wire-Token: "Bearer ${{WIRE_TOKEN}}"}}
      - url: http://127.0.0.1:{port}/keyed.xml?Token={s["QTOKEN"]}
      - url: http://127.0.0.1:{free_port()}/down.xml?access_token={s["ACCESS"]}
        name: Down
    rules:
      - {{name: Rogun, any: [Rogun], digest: instant}}
    digests:
      instant: {{schedule: instant, channels: [hook, archive, console]}}
    channels:
      hook: {{type: webhook, url: "{hook}", secret: "${{HOOK_SECRET}}"}}
      archive: {{type: file, path: {tmp_path / "digests"}}}
      console: {{type: console}}
    web: {{listen: "127.0.0.1:{web_port}", token: "${{WEB_TOKEN}}"}}
    """


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWS_MONITOR_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=cwd,
        env={**env, **SECRETS, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def get(url: str, token: str | None = None) -> str:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def leaks(outputs: dict[str, str]) -> list[str]:
    return sorted(
        f"{name} shows {key}"
        for name, text in outputs.items()
        for key, secret in SECRETS.items()
        if secret in text
    )


def test_no_secret_in_any_output_of_any_command_or_the_service(tmp_path: Path) -> None:
    source = Source()
    receiver = WebhookReceiver(SECRETS["HOOK_SECRET"])
    web_port, health_port = free_port(), free_port()
    config = write_config(tmp_path, config_text(tmp_path, source.port, receiver.url, web_port))
    conf = ("--config", str(config))
    outputs: dict[str, str] = {}

    def record(name: str, result: subprocess.CompletedProcess[str]) -> None:
        outputs[f"{name} stdout"], outputs[f"{name} stderr"] = result.stdout, result.stderr

    try:
        record("check", cli("check", *conf, cwd=tmp_path))
        source.publish(1)
        record("run --once (backlog)", cli("run", "--once", *conf, cwd=tmp_path))
        source.publish(3)  # two new items per feed: they match and go out
        record("run --once --log-json", cli("run", "--once", "--log-json", *conf, cwd=tmp_path))
        for command in (
            ["feeds"],
            ["feeds", "export"],
            ["deliveries"],
            ["digest", "preview", "instant"],
            ["search", "Rogun"],
            ["rules", "test", "Rogun", "--since", "30d"],
        ):
            record(" ".join(command), cli(*command, *conf, cwd=tmp_path))
        bad = write_config(
            tmp_path, config_text(tmp_path, source.port, "ftp://x", web_port), name="bad.yaml"
        )
        bad.write_text(bad.read_text().replace("http://127.0.0.1", "htp://127.0.0.1"))
        record("check (bad config)", cli("check", "--config", str(bad), cwd=tmp_path))

        service = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", *conf, "--health-port", str(health_port)],
            cwd=tmp_path,
            env={**os.environ, **SECRETS, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            outputs["/healthz"] = get(f"http://127.0.0.1:{health_port}/healthz")
            outputs["/metrics"] = get(f"http://127.0.0.1:{health_port}/metrics")
            base = f"http://127.0.0.1:{web_port}"
            for page in ("/", "/feeds", "/deliveries", "/rules", "/search?q=Rogun", "/login"):
                outputs[f"web {page}"] = get(base + page, SECRETS["WEB_TOKEN"])
        finally:
            service.send_signal(signal.SIGTERM)
            out, err = service.communicate(timeout=60)
        outputs["service stdout"], outputs["service stderr"] = out, err
    finally:
        source.server.shutdown()
        receiver.close()
    for path in (tmp_path / "digests").rglob("*"):
        if path.is_file():
            outputs[f"file {path.name}"] = path.read_text(encoding="utf-8")
    for delivery in receiver.deliveries:
        outputs[f"webhook {delivery['id']}"] = json.dumps(delivery["payload"], ensure_ascii=False)

    # The run did what a user expects, so the search below had something to find.
    assert "Private" in outputs["check stdout"] and "Wire" in outputs["check stdout"]
    assert source.refused == [], "every private source got its credentials"
    assert len(receiver.deliveries) == 1 and receiver.rejected == []
    payload = receiver.deliveries[0]["payload"]
    articles = [a for rule in payload["rules"] for a in rule["articles"]]
    assert len(articles) == 6
    assert {a["source"] for a in articles} == {"Private", "Wire", "127.0.0.1"}
    assert all("key=***" in a["url"] for a in articles)
    assert "Rogun report" in outputs["run --once --log-json stdout"]  # the console channel
    feeds = outputs["feeds stdout"]
    assert "/down.xml" in feeds and "connection failed" in feeds and "moved permanently" in feeds
    assert "feed url must start with http:// or https://" in outputs["check (bad config) stderr"]
    assert '"feeds"' in outputs["/healthz"] and "news_monitor" in outputs["/metrics"]
    assert "Rogun report" in outputs["web /"] and "Down" in outputs["web /feeds"]
    assert any(name.startswith("file ") for name in outputs)

    assert leaks(outputs) == []


def test_feeds_export_leaves_credentials_out_unless_asked(tmp_path: Path) -> None:
    receiver = WebhookReceiver(SECRETS["HOOK_SECRET"])
    try:
        config = write_config(tmp_path, config_text(tmp_path, 8, receiver.url, free_port()))
        plain = cli("feeds", "export", "--config", str(config), cwd=tmp_path)
        full = cli("feeds", "export", "--with-credentials", "--config", str(config), cwd=tmp_path)
    finally:
        receiver.close()
    assert plain.returncode == 0 and full.returncode == 0, plain.stderr + full.stderr
    assert leaks({"export": plain.stdout}) == []
    assert 'xmlUrl="http://127.0.0.1:8/private.xml?lang=en"' in plain.stdout
    for key in ("URL_USER", "URL_PASS", "APIKEY", "QTOKEN", "WIRE_USER", "WIRE_PASSWORD"):
        assert SECRETS[key] in full.stdout, key


def test_a_database_url_with_a_password_is_masked_in_check(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "database: postgresql://monitor:db-pa55-77ee@127.0.0.1:1/news\nfeeds: []\n"
    )
    result = cli("check", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "postgresql://127.0.0.1:1/news" in result.stdout
    assert "db-pa55-77ee" not in result.stdout + result.stderr
