"""Digests end to end: `run --once` sends a signed instant webhook, `digest send` an email, the
outbox retries a failing channel with the same delivery id and never delivers a match twice."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO, Clock, FeedServer, now_utc, rss, write_config
from servers import SmtpInbox, WebhookReceiver, webhook_json

from monitor.config.load import load_config
from monitor.digest import outbox
from monitor.service.app import build_app, run_once, send_digest

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def hook():
    receiver = WebhookReceiver(SECRET)
    yield receiver
    receiver.close()


@pytest.fixture
def inbox():
    server = SmtpInbox()
    yield server
    server.close()


def config_file(tmp_path: Path, feed_url: str, hook: WebhookReceiver, inbox: SmtpInbox) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {feed_url}
            name: Asia desk
        rules:
          - name: Rogun
            any: [Rogun]
            digest: instant
          - name: SCO
            query: '{{SCO}} OR "Shanghai Cooperation Organi*ation"'
            digest: daily
        digests:
          instant: {{schedule: instant, channels: [hook]}}
          daily: {{schedule: "0 8 * * *", timezone: Asia/Dushanbe, channels: [team]}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "${{HOOK_SECRET}}"}}
          team:
            type: email
            to: [analysts@example.org, desk@example.org]
            from: monitor@example.org
            smtp: {{host: 127.0.0.1, port: {inbox.port}}}
        """,
    )


def story(n: int, clock: Clock, text: str) -> dict:
    return {
        "title": f"Story {n}",
        "link": f"https://news.example.org/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": clock.now - timedelta(minutes=5),
    }


def primed_app(tmp_path: Path, feeds: FeedServer, hook, inbox, clock, edit=lambda text: text):  # noqa: ANN001, ANN201
    """An app whose feed had its first poll (the backlog: stored, never alerted)."""
    url = feeds.set("/asia.xml", rss([story(1, clock, "Old news.")]))
    path = config_file(tmp_path, url, hook, inbox)
    path.write_text(edit(path.read_text()))
    app = build_app(load_config(path), clock=clock)
    run_once(app)
    return app, path


def publish(feeds: FeedServer, clock: Clock, text: str = "Rogun.") -> None:
    """The feed carries one new story that matches."""
    feeds.set("/asia.xml", rss([story(1, clock, "Old news."), story(2, clock, text)]))


def cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"HOOK_SECRET": SECRET} | (env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_once_sends_a_signed_instant_webhook_and_digest_send_an_email(
    tmp_path, feeds: FeedServer, hook, inbox
) -> None:
    clock = Clock(now_utc())  # the CLI runs on the real clock
    url = feeds.set("/asia.xml", rss([story(1, clock, "Old news.")]))
    path = config_file(tmp_path, url, hook, inbox)
    # the backlog: stored, not alerted
    assert cli("run", "--once", "--config", str(path)).returncode == 0
    publish(feeds, clock, "Rogun dam: the SCO summit discussed it.")

    result = cli("run", "--once", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert hook.rejected == []
    assert len(hook.deliveries) == 1
    body = webhook_json(hook.deliveries[0])
    assert body["type"] == "digest" and body["digest"] == "instant"
    assert [r["name"] for r in body["rules"]] == ["Rogun"]
    assert body["rules"][0]["articles"][0]["title"] == "Story 2"
    assert "Rogun" in body["rules"][0]["articles"][0]["matched_terms"]
    assert inbox.messages == []  # the daily digest waits for its time

    sent = cli("digest", "send", "daily", "--config", str(path))
    assert sent.returncode == 0, sent.stderr
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["Subject"] == "[news-monitor] daily: 1 new for SCO"
    assert sorted(inbox.recipients[0]) == ["analysts@example.org", "desk@example.org"]
    assert "Story 2" in message.get_body(("plain",)).get_content()

    # nothing new: nothing is sent again, by either digest
    assert cli("run", "--once", "--config", str(path)).returncode == 0
    assert cli("digest", "send", "daily", "--config", str(path)).returncode == 0
    assert len(hook.deliveries) == 1 and len(inbox.messages) == 1


def test_a_failing_channel_is_retried_with_backoff_and_the_same_id(
    tmp_path, feeds: FeedServer, hook, inbox, clock, monkeypatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    app, _ = primed_app(tmp_path, feeds, hook, inbox, clock)
    publish(feeds, clock)
    hook.statuses = [500, 503, 500]

    run_once(app)
    row = app.db.query("SELECT * FROM deliveries")[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and "500" in row["last_error"]
    assert row["next_attempt_at"] == (clock.now + timedelta(minutes=1)).isoformat(
        timespec="seconds"
    )

    assert outbox.deliver_pending(app.db, app.channels, clock.now) == []  # not due yet
    for minutes in (1, 2, 4):  # 1 min doubling
        clock.advance(minutes=minutes)
        outbox.deliver_pending(app.db, app.channels, clock.now)
    row = app.db.query("SELECT * FROM deliveries")[0]
    assert row["status"] == "sent" and row["attempts"] == 4
    assert [d["id"] for d in hook.deliveries] == [row["id"]]


def test_a_crash_between_send_and_mark_resends_once_with_the_same_id(
    tmp_path, feeds: FeedServer, hook, inbox, clock, monkeypatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    app, path = primed_app(tmp_path, feeds, hook, inbox, clock)
    publish(feeds, clock)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed between send and mark")

    monkeypatch.setattr(outbox, "mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        run_once(app)
    monkeypatch.undo()
    monkeypatch.setenv("HOOK_SECRET", SECRET)

    restarted = build_app(load_config(path), clock=clock)
    run_once(restarted)
    run_once(restarted)
    ids = [d["id"] for d in hook.deliveries]
    # one resend, same webhook-id: the receiver can drop it
    assert len(ids) == 2 and ids[0] == ids[1]
    assert restarted.db.query("SELECT status FROM deliveries")[0][0] == "sent"


def test_webhook_410_disables_the_channel_and_other_channels_still_deliver(
    tmp_path, feeds: FeedServer, hook, inbox, clock, monkeypatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    app, _ = primed_app(
        tmp_path, feeds, hook, inbox, clock, lambda t: t.replace("[team]", "[team, hook]")
    )
    publish(feeds, clock, "Rogun and the SCO.")
    hook.statuses = [410]
    run_once(app)
    reports = send_digest(app, "daily")
    statuses = {r.channel: r.status for r in reports}
    assert statuses == {"team": "sent", "hook": "disabled"}
    assert len(inbox.messages) == 1 and hook.deliveries == []


def test_a_delivery_another_live_process_is_sending_is_left_to_it(
    tmp_path, feeds: FeedServer, hook, inbox, clock, monkeypatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    app, _ = primed_app(tmp_path, feeds, hook, inbox, clock)
    publish(feeds, clock)
    hook.statuses = [500]
    run_once(app)  # fails once: pending
    delivery = app.db.query("SELECT id FROM deliveries")[0][0]
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert outbox.claim(
            app.db, delivery, clock.now, owner=f"{outbox.ME.rpartition(':')[0]}:{other.pid}"
        )
        assert outbox.deliver_pending(app.db, app.channels, clock.now, ignore_backoff=True) == []
    finally:
        other.kill()
        other.wait()
    # the claimant died (as after a SIGKILL): its claim lapses and the delivery goes out
    reports = outbox.deliver_pending(app.db, app.channels, clock.now, ignore_backoff=True)
    assert [r.status for r in reports] == ["sent"]
    assert [d["id"] for d in hook.deliveries] == [delivery]


def test_a_channel_disabled_by_410_can_be_enabled_again(
    tmp_path, feeds: FeedServer, hook, inbox, monkeypatch
) -> None:
    clock = Clock(now_utc())
    url = feeds.set("/asia.xml", rss([story(1, clock, "Old news.")]))
    path = config_file(tmp_path, url, hook, inbox)
    assert cli("run", "--once", "--config", str(path)).returncode == 0
    publish(feeds, clock)
    hook.statuses = [410]
    assert cli("run", "--once", "--config", str(path)).returncode == 0
    listing = cli("deliveries", "--config", str(path))
    assert "channel hook is disabled" in listing.stdout
    enabled = cli("deliveries", "--enable", "hook", "--config", str(path))
    assert "re-enabled 1 channel(s)" in enabled.stdout and "is disabled" not in enabled.stdout
