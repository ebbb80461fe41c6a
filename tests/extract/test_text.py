"""html_to_text: what a reader of a summary would see."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from monitor.extract.text import collapse_whitespace, html_to_text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("Plain words", "Plain words"),
        ("AT&amp;T &lt;b&gt; &#169; &copy; &nbsp;x", "AT&T <b> © © x"),
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("in<b>line</b> <i>words</i> stay", "inline words stay"),
        ("<script>alert(1)</script>visible<style>p{color:red}</style>", "visible"),
        ("<SCRIPT type='text/javascript'>x()</SCRIPT>ok", "ok"),
        ("  lots \n\n of\t\tspace  ", "lots\nof space"),
        ("x < y and y > z", "x < y and y > z"),
        ("<div>unclosed <p>para", "unclosed\npara"),
        ("<h2>Title</h2>Body text", "Title\nBody text"),
        ("", ""),
        ("<img src='x.png'>", ""),
        ("Рогун &mdash; ШОС", "Рогун — ШОС"),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_same_words_as_beautifulsoup_on_an_ordinary_summary() -> None:
    summary = (
        '<p>The <a href="https://example.org/sco">Shanghai Cooperation Organisation</a> met in '
        "Dushanbe on Tuesday.</p><p>Delegates discussed the <b>Rogun</b> dam &amp; regional "
        "water&nbsp;security.</p><img src='photo.jpg' alt=''>"
    )
    reference = BeautifulSoup(summary, "html.parser").get_text(" ")
    assert html_to_text(summary).split() == reference.split()


def test_collapse_whitespace_makes_one_line() -> None:
    assert collapse_whitespace(" a\n b\t\tc ") == "a b c"
