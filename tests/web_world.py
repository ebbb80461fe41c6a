"""A small archive for the web page tests, stored through the real store and matcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from conftest import write_config

from monitor.config.load import Config, load_config
from monitor.pipeline.matching import match_rows
from monitor.rules import Matcher
from monitor.store.backend import open_database
from monitor.store.store import SourceUpdate, Store, StoredArticle
from testsupport.feeds import mark_polled

NOW = datetime.fromisoformat("2026-11-20T09:00:00+00:00")
WIRE = "https://wire.example.org/feed.xml"
DESK = "https://desk.example.org/rss"
HOSTILE_TITLE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">Rogun dam'


def world_config(tmp: Path, *, web: str = "", database: str | None = None) -> Config:
    """The web tests' config: an SQLite file in ``tmp`` unless another ``database`` is named."""
    path = write_config(
        tmp,
        f"""
        database: {database or tmp / "monitor.db"}
        timezone: Asia/Dushanbe
        feeds:
          - url: {WIRE}
            name: Wire
          - url: {DESK}
            name: Central Asia desk
        entities:
          Rogun: [Rogun, Рогун]
        rules:
          - name: Rogun
            any: [Rogun, Рогун]
            digest: daily
          - name: SCO
            query: '"Shanghai Cooperation Organization" OR {{SCO}}'
            digest: daily
        digests:
          daily: {{schedule: "0 8 * * *", channels: [console]}}
        channels:
          console: {{type: console}}
        {web}
        """,
    )
    return load_config(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    id: str
    title: str
    summary: str
    feed: str = WIRE
    link: str = ""
    age: timedelta = timedelta(hours=1)
    cluster: str | None = None
    also: tuple[str, ...] = ()  # other feeds that carried the same article


def store_items(config: Config, items: list[Item], *, now: datetime = NOW) -> Store:
    """Stores each item as an article of its feed and records the matches the rules find."""
    store = Store(open_database(config.database))
    matcher = Matcher([r.rule for r in config.rules])
    mark_polled(store, config, now)
    for item in items:
        seen = now - item.age
        article = StoredArticle(
            id=item.id,
            url=item.link or f"https://example.org/{item.id}",
            link=item.link or f"https://example.org/{item.id}",
            guid=item.id,
            feed=item.feed,
            title=item.title,
            summary=item.summary,
            text="",
            author=None,
            language=None,
            published=seen,
            first_seen=seen,
            cluster_id=item.cluster or item.id,
        )
        store.save_articles(item.feed, [article], [], {}, seen)
        for other in item.also:
            again = SourceUpdate(article_id=item.id, guid=item.id, url=article.link)
            store.save_articles(other, [], [again], {}, seen + timedelta(minutes=1))
        feed = config.feed(item.feed)
        assert feed is not None
        store.save_matches(match_rows(matcher, config.rules, article, feed, seen))
    store.index_new_articles()
    return store
