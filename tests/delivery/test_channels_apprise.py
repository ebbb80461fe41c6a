"""The apprise channel against a real HTTP receiver on 127.0.0.1 (Apprise's `json://` target):
the text digest arrives, with its delivery id; a refusal is retried by the outbox for the URL
that refused only; a hung service is cut by the timeout; `check` never shows a token."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import write_config
from servers import QuietHandler, serve

from alerts.channels import AppriseChannel, AppriseSettings, make_channel
from alerts.channels.push import DELIVERY_HEADER
from alerts.errors import DeliveryError
from alerts.records import Digest, DigestEntry, FeedNote, RuleSection
from monitor.cli.main import main

DIGEST = Digest(
    id="run1",
    name="instant",
    created_at=datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
    sections=(
        RuleSection(
            rule="Rogun",
            entries=(
                DigestEntry(
                    title="Rogun <dam> & the SCO",
                    url="https://news.example.org/1",
                    source="Asia desk",
                    published=datetime(2026, 11, 28, 7, 0, tzinfo=UTC),
                    snippet="Work on the Rogun dam resumed.",
                ),
            ),
        ),
    ),
)


class Receiver:
    """Keeps each POST (headers and JSON body) and answers with the next queued status."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict, dict, str]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.posts.append((dict(self.headers.items()), json.loads(body), self.path))
                # the channel's timeout may have given up on a hung answer: what a test wants
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.reply(status, b"{}", "application/json")

        self.server, base = serve(Handler)
        self.target = base.replace("http://", "json://")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def channel(*urls: str, timeout: float = 5) -> AppriseChannel:
    settings = AppriseSettings.model_validate({"type": "apprise", "urls": urls, "timeout": timeout})
    made = make_channel("chat", settings)
    assert isinstance(made, AppriseChannel)
    return made


def test_the_text_digest_arrives_with_its_title_and_delivery_id(receiver) -> None:
    channel(f"{receiver.target}/a").send(DIGEST, "msg_run1_abc")
    [(headers, body, path)] = receiver.posts
    assert path == "/a"
    assert body["title"] == "[news-monitor] instant: 1 new for Rogun"
    assert "Rogun <dam> & the SCO" in body["message"]  # text, not HTML-escaped markup
    assert "https://news.example.org/1" in body["message"]
    assert "<html" not in body["message"]
    assert headers[DELIVERY_HEADER] == "msg_run1_abc"


def test_a_health_notice_says_it_in_words(receiver) -> None:
    notice = Digest(
        id="h1",
        name="ops",
        created_at=DIGEST.created_at,
        kind="health",
        feeds=(
            FeedNote(
                name="Asia desk",
                url="https://news.example.org/feed",
                state="failing",
                since=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
                error="HTTP 503",
            ),
        ),
    )
    channel(receiver.target).send(notice, "msg_h1")
    [(_, body, _)] = receiver.posts
    assert body["title"] == "[news-monitor] ops: source 1 failing"
    assert "Asia desk is failing since 2026-11-28 01:00 UTC: HTTP 503" in body["message"]


def test_a_refusal_is_retried_only_for_the_url_that_refused(receiver) -> None:
    chat = channel(f"{receiver.target}/first", f"{receiver.target}/second")
    receiver.statuses = [200, 500]
    with pytest.raises(DeliveryError) as refused:
        chat.send(DIGEST, "msg_1")
    assert "json://***" in str(refused.value) and "127.0.0.1" not in str(refused.value)
    chat.send(DIGEST, "msg_1")  # the outbox's retry, same id
    assert [path for _, _, path in receiver.posts] == ["/first", "/second"]


def test_a_hung_service_is_cut_by_the_timeout(receiver) -> None:
    receiver.delay = 3
    started = time.monotonic()
    with pytest.raises(DeliveryError):
        channel(receiver.target, timeout=0.5).send(DIGEST, "msg_slow")
    assert time.monotonic() - started < 2.5


def test_check_masks_the_urls_and_refuses_unknown_services(tmp_path) -> None:
    path = write_config(
        tmp_path,
        """
        digests: {now: {schedule: instant, channels: [chat]}}
        channels:
          chat: {type: apprise, urls: ["tgram://123456789:AAHsecrettoken/42", "json://127.0.0.1:9/x"]}
        """,
    )
    shown = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert shown.exit_code == 0, shown.output
    assert '"urls": ["tgram://***", "json://***"]' in shown.output
    assert "AAHsecrettoken" not in shown.output

    path.write_text(path.read_text().replace("tgram://", "nosuch://"))
    refused = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert refused.exit_code == 1
    assert "monitor.yaml:3:" in refused.output
    assert (
        "channels.chat.urls[0]: not a URL Apprise can send to (service nosuch://***)"
        in refused.output
    )
    assert "AAHsecrettoken" not in refused.output


def test_through_the_outbox_a_refused_digest_is_retried_with_its_same_id(
    tmp_path, feeds, receiver
) -> None:
    from conftest import Clock, rss

    from monitor.config.load import load_config
    from monitor.digest.outbox import deliver_pending, outbox_rows
    from monitor.service.app import build_app, run_once

    clock = Clock()

    def story(n: int, text: str) -> dict:
        return {
            "title": f"Story {n}",
            "link": f"https://example.org/{n}",
            "guid": f"g{n}",
            "description": text,
            "pubDate": clock.now,
        }

    url = feeds.set("/desk.xml", rss([story(0, "Old news.")]))
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds: [{{url: "{url}", name: Desk}}]
        rules: [{{name: Rogun, any: [Rogun], digest: now}}]
        digests: {{now: {{schedule: instant, channels: [chat]}}}}
        channels: {{chat: {{type: apprise, urls: ["{receiver.target}/chat"]}}}}
        """,
    )
    app = build_app(load_config(path), clock=clock)
    run_once(app)
    feeds.set("/desk.xml", rss([story(0, "Old news."), story(1, "Rogun dam.")]))
    receiver.statuses = [503]
    run_once(app)
    [pending] = outbox_rows(app.db)
    assert pending.status == "pending" and pending.attempts == 1
    clock.advance(minutes=2)  # past the first backoff
    [report] = deliver_pending(app.db, app.channels, clock.now)
    assert report.status == "sent"
    [(headers, body, _)] = receiver.posts
    assert headers[DELIVERY_HEADER] == pending.id
    assert "Story 1" in body["message"]
