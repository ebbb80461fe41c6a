"""The word-character tables written out for start-up are the ones the characters give."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules import tokens, wordchars

_WORD = tokens._char_class(tokens._TABLES.bmp_word) + tokens._char_class(tokens._TABLES.astral_word)
QUERY_PATTERN = re.compile(f"[{tokens._CJK}]|[{_WORD}*?]+")  # the query reader of before


def test_the_written_tables_are_the_computed_ones_and_the_module_is_current() -> None:
    computed = tokens.computed_word_tables()
    assert tokens.word_tables() == computed
    if unicodedata.unidata_version == wordchars.UNIDATA_VERSION:
        written = Path(wordchars.__file__).read_text(encoding="utf-8")
        assert written == tokens.wordchars_module(computed), (
            "regenerate: python -m monitor.rules.tokens > monitor/rules/wordchars.py"
        )


def test_words_beyond_the_bmp_and_cjk_still_split_as_before() -> None:
    assert tokens.words("NATO's anti-missile café") == ["NATO", "s", "anti", "missile", "café"]
    assert tokens.words("日本語 text 𝐀𝐁𝐂 more") == ["日", "本", "語", "text", "𝐀𝐁𝐂", "more"]
    assert tokens.has_non_ascii_letters("Рогун") and not tokens.has_non_ascii_letters("“quote”")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(" *?-'\"_.,:;Ёжé́日本ШОС\u0301\u200d\ufe0f𝐀\U000e0100\U00030000"),
            st.characters(),
        ),
        max_size=40,
    )
)
def test_a_query_is_cut_into_the_words_an_article_is(text: str) -> None:
    # The query reader goes character by character; an article's words come from the
    # compiled pattern. Both read the same tables, wildcards aside.
    assert tokens.query_words(text) == QUERY_PATTERN.findall(text)


def test_query_words_keep_their_wildcards_and_cjk_stands_alone() -> None:
    assert tokens.query_words("Рогун* dam?s, 上海合作 org") == [
        "Рогун*", "dam?s", "上", "海", "合", "作", "org",
    ]  # fmt: skip
    assert tokens.query_words("__ -- ..") == []
