"""The word-character tables written out for start-up are the ones the characters give."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from monitor.rules import tokens, wordchars


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
