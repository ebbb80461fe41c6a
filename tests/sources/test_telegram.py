"""Public Telegram channels through their t.me/s/ preview, in the shape t.me serves it."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

import pytest
from conftest import Clock, FeedServer
from sources_run import digest_texts, source_app

from monitor.errors import ParseError
from monitor.service.app import run_once
from monitor.sources.telegram import first_sentence, parse_telegram


def message(post: str, text_html: str, when: datetime, *, reply: str | None = None) -> str:
    quoted = (
        '<a class="tgme_widget_message_reply" href="https://t.me/x/1">'
        f'<div class="tgme_widget_message_metatext js-message_reply_text">{escape(reply)}</div></a>'
        if reply
        else ""
    )
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{post}"'
        ' data-view="eyJjIjoiLTEwMDEifQ">'
        '<div class="tgme_widget_message_bubble">'
        '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"'
        ' href="https://t.me/asiaplus"><span dir="auto">Asia-Plus</span></a></div>'
        f"{quoted}"
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text_html}</div>'
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        '<span class="tgme_widget_message_views">12.3K</span>'
        '<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"'
        f' href="https://t.me/{post}"><time datetime="{when.isoformat()}" class="time">'
        f"{when:%H:%M}</time></a></span></div></div></div></div></div>"
    )


def preview(messages: list[str]) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Asia-Plus – Telegram</title>'
        '</head><body class="widget_frame_base tgme_webpage">'
        '<div class="tgme_channel_info"><div class="tgme_channel_info_header">'
        '<div class="tgme_channel_info_header_title"><span dir="auto">Asia-Plus</span></div>'
        "</div></div>"
        '<section class="tgme_channel_history js-message_history">'
        + "".join(messages)
        + "</section></body></html>"
    ).encode()


PRIVATE = (
    b"<!DOCTYPE html><html><head><title>Telegram: Contact @secretdesk</title></head><body>"
    b'<div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title">'
    b'<span dir="auto">Secret desk</span></div><div class="tgme_page_extra">1 234 subscribers</div>'
    b'<div class="tgme_page_action"><a class="tgme_action_button_new" href="tg://resolve?domain=secretdesk">'
    b"View in Telegram</a></div></div></div></body></html>"
)

NOW = datetime(2026, 11, 2, 9, 0).astimezone()


def test_each_post_is_an_entry_with_its_link_text_date_and_first_sentence_title() -> None:
    body = preview(
        [
            message("asiaplus/100", "Older post.", NOW - timedelta(hours=2)),
            message(
                "asiaplus/101",
                "<b>Рогунская ГЭС</b> запустила третий агрегат. Подробности<br/>на сайте",
                NOW,
                reply="a quoted older post",
            ),
        ]
    )
    parsed = parse_telegram(body, url="https://t.me/s/asiaplus")
    newest, older = parsed.entries
    assert newest.link == "https://t.me/asiaplus/101"
    assert newest.title == "Рогунская ГЭС запустила третий агрегат."
    assert newest.summary == "Рогунская ГЭС запустила третий агрегат. Подробности\nна сайте"
    assert "quoted" not in newest.summary
    assert newest.published == NOW
    assert older.link == "https://t.me/asiaplus/100" and parsed.title == "Asia-Plus"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("One. Two.", "One."),
        ("No full stop here\nsecond line", "No full stop here"),
        ("v1.2 is out! Get it", "v1.2 is out!"),
        ("word " * 40, ("word " * 24).strip() + "…"),
        ("", ""),
    ],
)
def test_the_title_is_the_first_sentence_cut_at_a_word_boundary(text: str, title: str) -> None:
    assert first_sentence(text) == title


def test_a_private_channel_page_is_an_error_that_says_so() -> None:
    with pytest.raises(ParseError, match="the channel is private or does not exist"):
        parse_telegram(PRIVATE, url="https://t.me/s/secretdesk")


def test_a_public_channel_without_posts_is_no_entries_and_no_error() -> None:
    assert parse_telegram(preview([]), url="https://t.me/s/quiet").entries == ()


def test_a_rogun_post_alerts_once_and_a_private_channel_is_a_recorded_error(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    first = message("asiaplus/100", "Rogun: the backlog post.", clock.now - timedelta(hours=3))
    url = feeds.set("/s/asiaplus", preview([first]), "text/html; charset=utf-8")
    app = source_app(tmp_path, f"{{type: telegram, url: {url}}}", clock)
    assert run_once(app)[0].new_articles == 1 and digest_texts(tmp_path) == []

    clock.advance(minutes=20)
    fresh = message("asiaplus/101", "Третий агрегат Рогунской ГЭС запущен.", clock.now)
    feeds.set("/s/asiaplus", preview([first, fresh]), "text/html; charset=utf-8")
    outcome = run_once(app)[0]
    assert (outcome.new_articles, outcome.matches) == (1, 1)
    clock.advance(minutes=20)
    later = message("asiaplus/102", "Weather.", clock.now)
    feeds.set("/s/asiaplus", preview([first, fresh, later]), "text/html; charset=utf-8")
    assert run_once(app)[0].matches == 0
    [text] = digest_texts(tmp_path)
    assert "Третий агрегат Рогунской ГЭС запущен." in text and "https://t.me/asiaplus/101" in text

    feeds.set("/s/asiaplus", PRIVATE, "text/html")
    clock.advance(minutes=20)
    failed = run_once(app)[0]
    assert failed.outcome == "error" and "private" in (failed.error or "")
