"""The world of one summit, on SQLite and on PostgreSQL, polled in every order and in parallel:
the same alerts, the same stories and the same cluster ids every time.

Feeds on loopback: the desk (full text; the page is on its own site) carries the summit story,
whose only Rogun mention is in the page's last paragraph; the wire cross-posts it under the same
link with tracking parameters; an agency syndicates it cut to its first three sentences under a
longer headline; a Russian feed carries a Cyrillic Rogun story; an old Rogun story sits in the
backlog of every feed and one more, a month old, turns up later. Each order runs on a fresh
database; cluster ids are article ids (hashes of canonical URLs), so they are compared as they
are, across orders and backends.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Clock, FeedServer, rss, write_config
from test_fulltext import PARAGRAPHS, article_page

from monitor.config.load import load_config
from monitor.pipeline.refresh import refresh_feed
from monitor.service.app import App, build_app, send_instant_digests
from monitor.stories.identity import identify

TITLE = "Leaders gather in Astana for the annual summit"
WIRE_TITLE = "Summit in Astana: leaders of the member states gather for trade and security talks"
AGENCY_LINK = "https://agency.example.net/world/2026/11/astana-summit-opens.html"
CYRILLIC = (
    "Строительство Рогунской ГЭС продолжится по графику, заявили в Душанбе. Правительство "
    "Таджикистана пригласило соседей осмотреть площадку весной. Рогун станет крупнейшей "
    "гидроэлектростанцией в Центральной Азии, сообщили в министерстве энергетики."
)
OLD_ROGUN = "An old report on the Rogun dam: the first turbine was started years ago in Nurek."
FEEDS = ("Desk", "Wire", "Agency", "Russian")


class World:
    """The feeds' documents on the loopback server; ``run`` polls them into a fresh database."""

    def __init__(self, tmp_path: Path, feeds: FeedServer, clock: Clock) -> None:
        self.tmp, self.feeds, self.start = tmp_path, feeds, clock.now
        self.page = feeds.set("/world/summit.html", article_page(TITLE, PARAGRAPHS), "text/html")
        loopback = feeds.url("/").replace("localhost", "127.0.0.1").rstrip("/")
        self.urls = {
            "Desk": feeds.url("/desk.xml"),  # on the page's own site
            "Wire": loopback + "/wire.xml",
            "Agency": loopback + "/agency.xml",
            "Russian": loopback + "/ru.xml",
        }
        self.runs = 0

    def run(self, database: str, order: tuple[str, ...] | None) -> dict[str, object]:
        """Backlogs, then the summit round polled in ``order`` (None: all at once); what the
        user sees of it."""
        self.runs += 1
        clock = Clock(self.start)
        app = self._app(database, clock)
        for name in FEEDS:  # each feed's first poll: its backlog, stored and never alerted
            self._serve(name, [self._item(name, "old", OLD_ROGUN, clock, days=2)])
            refresh_feed(self._feed(app, name), app.ctx)
        clock.advance(minutes=20)
        for name in FEEDS:
            self._serve(name, self._round(name, clock))
        if order is None:
            with ThreadPoolExecutor(len(FEEDS)) as pool:
                list(pool.map(lambda n: refresh_feed(self._feed(app, n), app.ctx), FEEDS))
        else:
            for name in order:
                refresh_feed(self._feed(app, name), app.ctx)
        send_instant_digests(app)
        return seen(app)

    def _round(self, name: str, clock: Clock) -> list[dict]:
        month_old = self._item(name, "month-old", OLD_ROGUN + " Archive.", clock, days=30)
        if name == "Desk":
            return [self._item(name, "s1", PARAGRAPHS[0], clock, link=self.page), month_old]
        if name == "Wire":
            link = self.page + "?utm_source=wire&utm_medium=rss&fbclid=AbC#top"
            return [self._item(name, "w-77", PARAGRAPHS[0], clock, link=link)]
        if name == "Agency":
            text = " ".join(PARAGRAPHS[:3])  # the first three sentences, a longer headline
            return [self._item(name, "a-5", text, clock, link=AGENCY_LINK, title=WIRE_TITLE)]
        return [self._item(name, "ru-1", CYRILLIC, clock, title="Рогунская ГЭС: стройка идёт")]

    def _item(
        self,
        name: str,
        guid: str,
        text: str,
        clock: Clock,
        *,
        link: str | None = None,
        title: str = TITLE,
        days: float = 0,
    ) -> dict:
        return {
            "title": title if guid not in ("old", "month-old") else f"Old news {guid}",
            "link": link or f"https://{name.lower()}.example.org/{guid}.html",
            "guid": f"{name}-{guid}",
            "description": text,
            "pubDate": clock.now - timedelta(days=days, minutes=5),
        }

    def _serve(self, name: str, items: list[dict]) -> None:
        self.feeds.set(f"/{self.urls[name].rsplit('/', 1)[1]}", rss(items, title=name))

    def _feed(self, app: App, name: str):  # noqa: ANN202
        return next(f for f in app.config.feeds if f.name == name)

    def _app(self, database: str, clock: Clock) -> App:
        place = self.tmp / f"run{self.runs}"
        place.mkdir()
        feeds = "".join(
            f'  - {{url: "{url}", name: {name}'
            + (", full_text: true" if name == "Desk" else "")
            + "}\n"
            for name, url in self.urls.items()
        )
        path = write_config(
            place,
            f"database: {database}\nallow_private_networks: true\nfeeds:\n{feeds}"
            "rules:\n"
            "  - {name: Rogun, any: [Rogun, Рогун*], digest: instant}\n"
            "  - {name: Summit, any: [summit], digest: instant}\n"
            "digests:\n  instant: {schedule: instant, channels: [archive]}\n"
            f"channels:\n  archive: {{type: file, path: {place / 'digests'}}}\n",
        )
        return build_app(load_config(path), clock=clock)


def seen(app: App) -> dict[str, object]:
    """What a user sees: each article's story, the stories each rule alerted, the alerts sent."""
    stories = dict(app.db.query("SELECT url, COALESCE(cluster_id, id) FROM articles"))
    matched = app.db.query(
        """SELECT m.rule, COALESCE(a.cluster_id, a.id) FROM matches m
           JOIN articles a ON a.id = m.article_id"""
    )
    digests = app.db.query("SELECT COUNT(*) FROM deliveries")[0][0]
    return {
        "stories": stories,
        "alerted": sorted(Counter((rule, story) for rule, story in matched).items()),
        "deliveries": digests,
    }


@pytest.fixture
def world(tmp_path: Path, feeds: FeedServer, clock: Clock) -> World:
    return World(tmp_path, feeds, clock)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A fresh database of one backend for each call."""
    if request.param == "sqlite":
        counter = itertools.count()
        return lambda: str(tmp_path / f"monitor{next(counter)}.db")
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.new_database


def expected(world: World) -> dict[str, object]:
    page = identify(feed_url="", guid=None, link=world.page, title=TITLE).article_id
    agency = identify(feed_url="", guid=None, link=AGENCY_LINK, title=WIRE_TITLE).article_id
    summit = min(page, agency)  # a story goes by its smallest article id
    russian = identify(
        feed_url="", guid=None, link="https://russian.example.org/ru-1.html", title=""
    ).article_id
    return {"summit": summit, "russian": russian, "page": page, "agency": agency}


def orders() -> Iterator[tuple[str, ...]]:
    yield from itertools.permutations(FEEDS)


def test_every_poll_order_gives_the_same_alerts_stories_and_cluster_ids(
    world: World, databases: Callable[[], str]
) -> None:
    want = expected(world)
    first = world.run(databases(), ("Desk", "Wire", "Agency", "Russian"))
    stories = first["stories"]
    assert isinstance(stories, dict)
    # the cross-post is one article; the cut-short copy under its longer headline folds into it
    assert stories[world.page] == stories[AGENCY_LINK] == want["summit"]  # canonical URLs
    # the Cyrillic story is one of its own; the old report every feed carried, one more
    assert stories["https://russian.example.org/ru-1.html"] == want["russian"]
    old = {story for link, story in stories.items() if link.endswith("old.html")}
    assert len(old) == 1 and len(set(stories.values())) == 3
    # alerted once each: the summit (its Rogun mention is in the page text only), the Cyrillic
    # story; never the backlog or the month-old item
    assert first["alerted"] == sorted(
        [
            (("Rogun", want["summit"]), 1),
            (("Rogun", want["russian"]), 1),
            (("Summit", want["summit"]), 1),
        ]
    )
    for order in orders():
        assert world.run(databases(), order) == first, order


def test_parallel_polls_give_what_one_order_gives(
    world: World, databases: Callable[[], str]
) -> None:
    first = world.run(databases(), ("Agency", "Wire", "Russian", "Desk"))
    for _ in range(4):
        assert world.run(databases(), None) == first
