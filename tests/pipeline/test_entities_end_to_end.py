"""Entities end to end: a Russian story that names the dam only as «Рогунской ГЭС» reaches the
Rogun rule's email, the inflected word highlighted, the article's language detected and shown.
Loopback feed, real SQLite file, real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config
from servers import SmtpInbox

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once


@pytest.fixture
def inbox():
    server = SmtpInbox()
    yield server
    server.close()


def config(tmp_path: Path, url: str, inbox: SmtpInbox) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        feeds:
          - url: {url}
            name: Asia-Plus
        entities:
          Rogun: [Rogun, Рогун]
        rules:
          - name: Rogun
            query: '@Rogun'
            digest: instant
          - name: Plain
            any: [Rogun, Рогун]
            digest: instant
          - name: Russian
            query: 'lang:ru'
            digest: instant
        digests:
          instant: {{schedule: instant, channels: [team]}}
        channels:
          team:
            type: email
            to: [analysts@example.org]
            from: monitor@example.org
            smtp: {{host: 127.0.0.1, port: {inbox.port}}}
        """,
    )


def story(n: int, clock: Clock, title: str, text: str) -> dict:
    return {
        "title": title,
        "link": f"https://asiaplus.example/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": clock.now - timedelta(minutes=5),
    }


def test_an_inflected_mention_alerts_the_entity_rule_with_the_word_highlighted(
    tmp_path: Path, feeds: FeedServer, inbox: SmtpInbox, clock: Clock
) -> None:
    old = story(1, clock, "Погода в Душанбе", "Завтра ожидается дождь и похолодание.")
    url = feeds.set("/asia.xml", rss([old]))
    app = build_app(load_config(config(tmp_path, url, inbox)), clock=clock)
    run_once(app)  # the backlog: stored, never alerted
    assert inbox.messages == []

    clock.advance(minutes=20)
    new = story(
        2,
        clock,
        "Энергетика Таджикистана",
        "Правительство сообщило о запуске третьего агрегата Рогунской ГЭС в понедельник.",
    )
    feeds.set("/asia.xml", rss([old, new]))
    run_once(app)

    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert ">Рогунской</mark>" in html
    # the entity rule and the language rule matched; the plain OR of the base forms did not
    assert "== Rogun (1) ==" in text and "== Russian (1) ==" in text
    assert "== Plain" not in text
    assert "Asia-Plus [ru]" in text
