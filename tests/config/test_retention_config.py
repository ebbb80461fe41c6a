"""The retention block: durations or `forever`, and never shorter than a feed's max_age."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config.load import parse_config
from monitor.errors import ConfigError

FEEDS = """\
defaults:
  max_age: 30d
feeds:
  - url: https://example.org/rss.xml
  - url: https://example.org/slow.xml
    max_age: 120d
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="monitor.yaml", env={})
    return info.value.problems


def test_the_defaults_keep_matched_articles_for_good_and_the_rest_90_days() -> None:
    kept = parse_config("feeds: []\n", path="monitor.yaml", env={}).retention
    assert kept.articles == timedelta(days=90) and kept.matched is None
    assert kept.full_text == timedelta(days=90) and kept.deliveries == timedelta(days=30)


def test_durations_and_forever_are_read() -> None:
    text = FEEDS + (
        "retention:\n  articles: 26w\n  matched: 400d\n  full_text: forever\n  deliveries: 7d\n"
    )
    kept = parse_config(text, path="monitor.yaml", env={}).retention
    assert kept.articles == timedelta(weeks=26) and kept.matched == timedelta(days=400)
    assert kept.full_text is None and kept.deliveries == timedelta(days=7)


def test_articles_kept_shorter_than_a_feeds_max_age_is_an_error_at_the_key() -> None:
    text = FEEDS + "retention:\n  matched: forever\n  articles: 60d\n"
    assert problems(text) == [
        "monitor.yaml:9:3: retention.articles: 60d is shorter than the max_age of feed "
        "https://example.org/slow.xml (120d); articles must be kept at least as long as any "
        "feed's max_age"
    ]


def test_a_retention_that_is_no_duration_names_its_position() -> None:
    (problem,) = problems(FEEDS + "retention:\n  deliveries: monthly\n")
    assert problem.startswith("monitor.yaml:8:15: retention.deliveries:")
    assert "expected a duration like 90d or 'forever'" in problem


def test_an_unknown_retention_key_is_an_error() -> None:
    (problem,) = problems(FEEDS + "retention:\n  logs: 7d\n")
    assert problem.startswith("monitor.yaml:8:") and "retention.logs" in problem
