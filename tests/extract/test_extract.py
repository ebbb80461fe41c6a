"""Full-text extraction: the story is kept to its last paragraph, the page around it is not."""

from __future__ import annotations

import gzip
import json
import os
import re

import pytest
from conftest import CORPUS

from monitor.errors import ExtractError
from monitor.extract.page import extract_text

BENCHMARK = CORPUS / "articles" / "article-extraction-benchmark"

STORY = [
    "Leaders of the Shanghai Cooperation Organization gathered in Astana on Thursday for a "
    "summit dominated by trade corridors, security cooperation and the war in Ukraine.",
    "The heads of state signed a declaration on regional security and agreed to expand the "
    "use of national currencies in trade between member states, officials said.",
    "Kazakhstan's president told the delegations that the bloc had to become a forum for "
    "practical projects rather than speeches, pointing to railways and pipelines.",
    "On the sidelines, Tajikistan's delegation sought support for financing the Rogun "
    "hydropower plant, which Dushanbe says will end winter power shortages by 2029.",
]

NAVIGATION = ["World", "Business", "Markets", "Sport", "Culture", "Opinion"]
MOST_READ = [
    "Ten recipes for a quick weeknight dinner",
    "Football club sacks manager after cup defeat",
    "Celebrity couple announce surprise wedding",
    "Stock markets slide as oil prices climb",
    "Why your cat ignores you, according to science",
]
SHARE = ["Share on Facebook", "Share on Twitter", "Share by email", "Copy link"]
FOOTER = "Copyright 2024 Example Media Group. All rights reserved. Privacy policy. Cookie settings."


def _page() -> str:
    nav = "".join(f'<li><a href="/{name.lower()}">{name}</a></li>' for name in NAVIGATION)
    share = "".join(f'<li><a href="#" class="share">{label}</a></li>' for label in SHARE)
    most_read = "".join(f'<li><a href="/story/{i}">{t}</a></li>' for i, t in enumerate(MOST_READ))
    body = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SCO summit opens in Astana</title></head>
<body>
<header><nav class="main-nav"><ul>{nav}</ul></nav></header>
<main>
  <article>
    <h1>SCO summit opens in Astana</h1>
    <div class="byline">By A. Reporter, 4 July 2024</div>
    <ul class="share-buttons">{share}</ul>
    <div class="article-body">{body}</div>
    <ul class="share-buttons">{share}</ul>
  </article>
  <aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>
</main>
<footer><p>{FOOTER}</p><a href="/about">About us</a> <a href="/contact">Contact</a></footer>
</body></html>"""


def test_article_is_kept_to_its_last_paragraph() -> None:
    text = extract_text(_page(), url="https://news.example.org/sco-summit")
    for paragraph in STORY:
        assert paragraph in text
    assert "Rogun" in text


@pytest.mark.parametrize(
    "boilerplate", ["Most read", *MOST_READ, *SHARE, FOOTER, "Privacy policy", "Markets"]
)
def test_page_boilerplate_is_left_out(boilerplate: str) -> None:
    text = extract_text(_page(), url="https://news.example.org/sco-summit")
    assert boilerplate not in text


def test_bytes_in_the_page_encoding_are_decoded() -> None:
    page = _page().replace("Astana", "Астана").encode("utf-8")
    assert "Астана" in extract_text(page)


@pytest.mark.parametrize(
    "page",
    [
        b"",
        "   \n ",
        b"<html><body></body></html>",
        os.urandom(2048),
        b"\x00\x01\x02\x03" * 500,
        "<html><body><nav><a href='/'>Home</a> <a href='/login'>Log in</a></nav></body></html>",
    ],
    ids=["empty", "blank", "no-body", "random-bytes", "binary", "only-navigation"],
)
def test_page_without_an_article_raises_extract_error(page: bytes | str) -> None:
    with pytest.raises(ExtractError) as raised:
        extract_text(page)
    assert str(raised.value) and "\n" not in str(raised.value)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_real_news_pages_keep_their_final_paragraph() -> None:
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    kept: list[bool] = []
    for page_id, item in sorted(truth.items()):
        paragraphs = [p for p in item["articleBody"].split("\n") if len(p.strip()) > 80]
        if not paragraphs:
            continue
        html = gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes())
        kept.append(_words(paragraphs[-1]) in _words(extract_text(html, url=item["url"])))
    assert len(kept) > 150
    # 176 of 180 when measured; a regression in the options shows up well before 95 %.
    assert sum(kept) / len(kept) >= 0.95
