"""The same polled archive searched and backtested on SQLite (FTS5 prefilter) and on PostgreSQL
(tsquery prefilter): the same answers, and on PostgreSQL the index narrows what the matcher reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import Config, load_config
from monitor.service.app import build_app, run_once
from monitor.service.explore import backtest, resolve_rule, search_page
from monitor.store.backend import open_database
from monitor.store.browse import Browse

# (title, description, author): accents, ё, ß, CJK, hyphens, apostrophes, underscores, digits.
STORIES = [
    ("NATO's summit in Vilnius", "Leaders of the North-Atlantic Treaty met.", "Jean O'Brien"),
    ("Королёв и ракета", "Сергей Королев говорил о Рогунской ГЭС.", ""),
    ("Die Straße nach Duschanbe", "Die Strasse ist lang, der ÜBERFLUSS groß.", ""),
    ("Café talks", "At the CAFE on rue de l'Église the SCO met.", "Smith"),
    ("中国人民银行", "新闻 news from Beijing about the Shanghai Cooperation Organisation.", ""),
    ("Anti-missile shield", "An anti missile shield for Tajikistan, the Rogun dam nearby.", ""),
    ("Йошкар-Ола", "йод и иод; the dam at Rogun is far away.", ""),
    ("Fiasco in Scotland", "A Scottish sco fiasco; nothing about dams.", ""),
    ("G7 snake_case 2024", "The g7 met in 2024 on co-operation with the SCO.", ""),
    ("Shanghai Cooperation Organization summit", "The SCO summit closed in Tashkent.", ""),
]
RULES = [
    "NATO",
    "NATO's",
    '"North Atlantic Treaty"',
    "королев",
    "Королёв NEAR/3 ракета",
    "Рогун*",
    "Straße OR uberfluss",
    "cafe OR église",
    '{SCO} OR "Shanghai Cooperation Organi*ation"',
    "中国",
    '"国人"',
    "anti-missile Tajik*",
    "йошкар NOT иод",
    "Rogun NEAR/2 dam",
    '"Rogun dam"',
    "dam* -fiasco",
    "title:fiasco",
    "author:smith OR author:o'brien",
    "snake G7",
    "cooperation OR co-operation",
    "tag:asia OR news",
    "-NATO",
    "@Rogun",
    "@SCO",
    "title:@Rogun OR @Rogun NEAR/2 dam",
]


@dataclass(frozen=True)
class Archives:
    sqlite: Config
    postgres: Config
    now: object


def config_for(tmp_path: Path, database: str, feed: str, name: str) -> Config:
    body = f"""
        database: {database}
        allow_private_networks: true
        feeds:
          - {{url: {feed}, name: Wire, tags: [asia]}}
        entities:
          Rogun: [Rogun, Рогун]
          SCO: ['"Shanghai Cooperation Organization"', 上海合作组织]
        rules:
          - {{name: Rogun, any: [Rogun], digest: daily}}
        digests:
          daily: {{schedule: "0 8 * * *", channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        """
    return load_config(write_config(tmp_path, body, name=name))


@pytest.fixture
def archives(tmp_path: Path, postgres_url: str, feeds: FeedServer, clock: Clock) -> Archives:
    items = [
        {"title": t, "description": d, "author": a, "link": f"https://news.example.org/{n}",
         "guid": f"g{n}", "pubDate": clock.now - timedelta(hours=n)}
        for n, (t, d, a) in enumerate(STORIES)
    ]  # fmt: skip
    feed = feeds.set("/wire.xml", rss(items))
    both = Archives(
        sqlite=config_for(tmp_path, str(tmp_path / "monitor.db"), feed, "sqlite.yaml"),
        postgres=config_for(tmp_path, postgres_url, feed, "postgres.yaml"),
        now=clock.now,
    )
    for cfg in (both.sqlite, both.postgres):
        run_once(build_app(cfg, clock=clock))
    return both


def backtested(cfg: Config, query: str, now) -> list[str]:  # noqa: ANN001
    rule = resolve_rule(query, cfg)
    return [f.title for f in backtest(cfg, rule, since=timedelta(days=7), now=now)]


def searched(cfg: Config, query: str, now) -> list[str]:  # noqa: ANN001
    rule = resolve_rule(query, cfg)
    store = Browse(open_database(cfg.database))
    titles: list[str] = []
    after = None
    while True:  # page by page, two a page, as the web page reads them
        page = search_page(cfg, store, rule, since=timedelta(days=7), now=now, after=after, limit=2)
        titles += [hit.found.title for hit in page.hits]
        if page.next is None:
            return titles
        after = page.next


def test_both_backends_find_the_same_articles_for_every_rule(archives: Archives) -> None:
    answers = {
        query: [
            backtested(cfg, query, archives.now) for cfg in (archives.sqlite, archives.postgres)
        ]
        for query in RULES
    }
    differing = {q: found for q, found in answers.items() if found[0] != found[1]}
    assert differing == {}
    # and the answers are the ones a reader expects, not two empty lists
    assert answers["NATO's"][1] == ["NATO's summit in Vilnius"]
    assert answers["королев"][1] == ["Королёв и ракета"]
    assert answers["Straße OR uberfluss"][1] == ["Die Straße nach Duschanbe"]
    assert answers["中国"][1] == ["中国人民银行"]
    assert answers['"国人"'][1] == ["中国人民银行"]
    assert answers["author:smith OR author:o'brien"][1] == [
        "NATO's summit in Vilnius",
        "Café talks",
    ]
    assert answers['"Rogun dam"'][1] == ["Anti-missile shield"]
    assert len(answers["Rogun NEAR/2 dam"][1]) == 2
    assert len(answers["tag:asia OR news"][1]) == len(STORIES)
    # entities: found in their inflected forms through the index's prefixes, on both backends
    assert answers["@Rogun"][1] == ["Королёв и ракета", "Anti-missile shield", "Йошкар-Ола"]
    assert answers["@SCO"][1] == [
        "中国人民银行",
        "Shanghai Cooperation Organization summit",
    ]


def test_the_search_page_reads_the_same_pages_on_both_backends(archives: Archives) -> None:
    for query in ('{SCO} OR "Shanghai Cooperation Organi*ation"', "the", "dam*", "-NATO"):
        pages = [searched(cfg, query, archives.now) for cfg in (archives.sqlite, archives.postgres)]
        assert pages[0] == pages[1] == backtested(archives.postgres, query, archives.now)
        assert pages[0], query


def test_on_postgresql_the_matcher_reads_only_what_the_index_finds(
    tmp_path: Path, postgres_url: str, feeds: FeedServer, clock: Clock
) -> None:
    items = [
        {"title": f"Weather {n}", "description": "Rain over the valley.", "link": f"https://news.example.org/{n}",
         "guid": f"g{n}", "pubDate": clock.now - timedelta(minutes=n)}
        for n in range(300)
    ]  # fmt: skip
    items[7]["description"] = "Rain over the Rogun dam."
    items[150]["title"] = "The dam at Rogun"
    cfg = config_for(tmp_path, postgres_url, feeds.set("/wire.xml", rss(items)), "monitor.yaml")
    run_once(build_app(cfg, clock=clock))
    read: list[int] = []

    def count(rows: list[dict]) -> list[dict]:
        read.append(len(rows))
        return rows

    rule = resolve_rule("Rogun NEAR/3 dam", cfg)
    found = backtest(cfg, rule, since=timedelta(days=7), now=clock.now, track=count)
    assert sorted(f.title for f in found) == ["The dam at Rogun", "Weather 7"]
    assert read == [2]  # of the 300 articles of the period
    # an entity: the index is asked for its forms' beginnings, the matcher judges
    found = backtest(
        cfg, resolve_rule("@Rogun", cfg), since=timedelta(days=7), now=clock.now, track=count
    )
    assert sorted(f.title for f in found) == ["The dam at Rogun", "Weather 7"]
    assert read[-1] == 2
    # a rule the index cannot narrow (a lone NOT) reads the period, and finds the same way
    every = backtest(
        cfg, resolve_rule("-Rogun", cfg), since=timedelta(days=7), now=clock.now, track=count
    )
    assert read[-1] == 300 and len(every) == 298
