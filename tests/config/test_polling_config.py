"""`interval: auto`, its bounds, `push_poll` and `public_url` as the config file writes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import write_config

from monitor.config.load import load_config
from monitor.errors import ConfigError


def test_auto_in_defaults_with_a_fixed_feed_beside_it(tmp_path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            """
            public_url: https://monitor.example.org/
            web: {listen: "127.0.0.1:8080"}
            defaults: {interval: auto, min_interval: 1m, push_poll: 12h}
            feeds:
              - url: https://a.example.org/feed
              - url: https://b.example.org/feed
                interval: 5m
            """,
        )
    )
    auto, fixed = config.feeds
    assert auto.adaptive and auto.min_interval == timedelta(minutes=1)
    assert auto.max_interval == timedelta(hours=6) and auto.push_poll == timedelta(hours=12)
    assert not fixed.adaptive and fixed.interval == timedelta(minutes=5)
    assert config.public_url == "https://monitor.example.org"


def test_bounds_the_wrong_way_round_are_an_error_where_they_are(tmp_path) -> None:
    path = write_config(
        tmp_path,
        """
        feeds:
          - url: https://a.example.org/feed
            interval: auto
            min_interval: 2h
            max_interval: 1h
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:2:5: feeds[0]: min_interval 2h is longer than max_interval 1h"
    ]


def test_a_word_other_than_auto_is_refused(tmp_path) -> None:
    path = write_config(tmp_path, "defaults: {interval: sometimes}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "defaults.interval" in caught.value.problems[0]


def test_public_url_needs_the_web_page_that_serves_the_callbacks(tmp_path) -> None:
    path = write_config(tmp_path, "public_url: https://monitor.example.org\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:1:1: public_url: WebSub callbacks are served by the web page: "
        "add a web block (web: {listen: ...})"
    ]
