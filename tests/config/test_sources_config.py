"""The source types in the config (DESIGN §12): each validated at load with file:line:col."""

from __future__ import annotations

import pytest
from conftest import write_config

from monitor.config.load import load_config
from monitor.errors import ConfigError


def problems(tmp_path, feeds: str) -> list[str]:
    path = write_config(tmp_path, "feeds:\n" + feeds)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [line.removeprefix(f"{path}:") for line in str(caught.value).splitlines()]


def test_every_type_loads_with_its_address_and_type(tmp_path) -> None:
    path = write_config(
        tmp_path,
        """
        feeds:
          - url: https://example.org/rss.xml
          - {type: sitemap, url: https://www.rferl.org/sitemap.xml}
          - {type: page, url: https://example.org/news, items: "div.news article", link: "h2 a"}
          - {type: telegram, channel: asiaplus}
          - {type: gdelt, query: '"Rogun" sourcelang:english'}
          - {type: google_news, query: 'Rogun dam', hl: ru, gl: TJ}
        """,
    )
    feeds = load_config(path).feeds
    assert [f.type for f in feeds] == [
        "feed",
        "sitemap",
        "page",
        "telegram",
        "gdelt",
        "google_news",
    ]
    assert feeds[3].url == "https://t.me/s/asiaplus"
    assert feeds[4].url == (
        "https://api.gdeltproject.org/api/v2/doc/doc?query=%22Rogun%22+sourcelang%3Aenglish"
        "&mode=artlist&format=json&maxrecords=250&sort=datedesc"
    )
    assert feeds[5].url == "https://news.google.com/rss/search?q=Rogun+dam&hl=ru&gl=TJ&ceid=TJ%3Aru"
    assert feeds[4].name == 'GDELT: "Rogun" sourcelang:english'


def test_a_page_without_items_and_a_bad_selector_are_errors_where_they_are(tmp_path) -> None:
    found = problems(
        tmp_path,
        "  - type: page\n    url: https://example.org/news\n"
        "  - {type: page, url: https://example.org/b, items: 'div..x'}\n",
    )
    assert found == [
        "2:5: feeds[0].items: missing required key 'items'",
        "4:53: feeds[1].items: not a valid CSS selector: 'div..x'",
    ]


def test_an_unknown_type_and_a_key_of_another_type_name_what_is_known(tmp_path) -> None:
    found = problems(
        tmp_path,
        "  - {type: telegrm, channel: asiaplus}\n"
        "  - {type: sitemap, url: 'https://e.org/s.xml', query: x}\n"
        "  - {type: telegram}\n",
    )
    assert found == [
        "2:12: feeds[0].type: unknown source type 'telegrm' "
        "(known: feed, sitemap, page, telegram, gdelt, google_news)",
        "3:49: feeds[1].query: unknown key 'query' (known: full_text, headers, interval, "
        "max_age, max_bytes, max_interval, max_sitemaps, max_urls, min_interval, name, password, "
        "paused, push_poll, tags, timeout, type, url, username)",
        "4:5: feeds[2]: a telegram source needs exactly one of 'url' or 'channel'",
    ]
