"""A public Telegram channel's web preview (t.me/s/NAME) -> one entry per post.

Each ``.tgme_widget_message`` gives its link (``https://t.me/NAME/ID`` from ``data-post``), its
text (``.tgme_widget_message_text``) and its date (``time[datetime]``); the title is the post's
first sentence, cut at a word boundary. A private channel has no preview: t.me answers with the
channel's join page, which holds no messages, and that is an error to record.
"""

from __future__ import annotations

import re
from typing import Any

from monitor.errors import ParseError
from monitor.extract.text import html_to_text
from monitor.sources.dates import parse_date
from monitor.sources.entries import Entry, ParsedFeed
from monitor.sources.html import html_tree, node_text

TITLE_CHARS = 120
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_POST = re.compile(r"^[A-Za-z0-9_]{3,64}/\d{1,12}$")


def parse_telegram(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    settings: Any = None,
    max_bytes: int | None = None,
) -> ParsedFeed:
    tree = html_tree(body, content_type, max_bytes=max_bytes)
    messages = tree.css(".tgme_widget_message[data-post]")
    if not messages and tree.css_first(".tgme_channel_history") is None:
        raise ParseError(
            "no public posts: the channel is private or does not exist "
            "(only a public channel has a t.me/s/ preview)"
        )
    entries = [e for e in (_entry(m) for m in messages) if e is not None]
    entries.reverse()  # the preview lists the oldest post first
    title = tree.css_first(".tgme_channel_info_header_title")
    return ParsedFeed(
        title=node_text(title) or url,
        link=url,
        language=None,
        ttl=None,
        entries=tuple(entries),
        warning=None,
        parser="telegram",
    )


def first_sentence(text: str, limit: int = TITLE_CHARS) -> str:
    """The first sentence of the first line, at most ``limit`` characters, cut at a word
    boundary (with an ellipsis) when it is longer."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    end = _SENTENCE_END.search(line)
    sentence = line[: end.end()] if end else line
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or sentence[:limit]) + "…"


def _entry(message: Any) -> Entry | None:
    post = (message.attributes.get("data-post") or "").strip()
    if not _POST.match(post):
        return None
    body = message.css_first(".tgme_widget_message_text.js-message_text") or message.css_first(
        ".tgme_widget_message_text"
    )
    text = html_to_text(body.html or "") if body is not None else ""
    stamp = message.css_first("time[datetime]")
    link = f"https://t.me/{post}"
    return Entry(
        guid=link,
        link=link,
        title=first_sentence(text) or f"Post {post}",
        summary=text,
        content="",
        author=None,
        published=parse_date(stamp.attributes.get("datetime")) if stamp is not None else None,
        language=None,
    )
