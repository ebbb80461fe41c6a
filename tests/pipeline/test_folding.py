"""Folding through the pipeline: an outlet's footer never folds its different stories, a copy
under its own footer still folds, and an article whose page text arrives after it was stored
(from a one-line wire blurb) joins the story its text repeats, so that story alerts once."""

from __future__ import annotations

from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config
from test_fulltext import PARAGRAPHS, article_page

from monitor.config.load import load_config
from monitor.pipeline.refresh import refresh_feed
from monitor.service.app import App, build_app

FOOTER = (
    "Sign up for our morning newsletter to get the day's top stories from the region in your "
    "inbox. Copyright 2026 Steppe Daily Media Group. All rights reserved."
)
STORIES = [
    "The price of bread in Bishkek rose for the third month running, bakers said on Monday.",
    "A new bridge over the Amu Darya opened to lorries after four years of construction work.",
    "The central bank of Kazakhstan held its key rate, citing slowing inflation in the autumn.",
    "Farmers in the Fergana valley began the cotton harvest a week early after a hot summer.",
    "An Almaty football club signed a Serbian coach on a two-year contract, the club said.",
    "Dushanbe airport will extend its runway to take wide-body aircraft from next spring.",
    "Teachers in Osh staged a one-day strike over unpaid wages, the regional union reported.",
    "A snowstorm closed the mountain pass between Bishkek and Osh for two days this week.",
]


def app_for(tmp_path: Path, clock: Clock, feeds_yaml: str) -> App:
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        allow_private_networks: true
        feeds:
        {feeds_yaml}
        rules:
          - name: Rogun
            any: [Rogun]
            digest: instant
        digests:
          instant: {{schedule: instant, channels: [archive]}}
        channels:
          archive: {{type: file, path: {tmp_path / "digests"}}}
        """,
    )
    return build_app(load_config(path), clock=clock)


def item(title: str, link: str, description: str, clock: Clock) -> dict:
    return {"title": title, "link": link, "description": description, "pubDate": clock.now}


def poll(app: App, name: str) -> None:
    refresh_feed(next(f for f in app.config.feeds if f.name == name), app.ctx)


def clusters(app: App) -> dict[str, str]:
    return dict(app.db.query("SELECT link, cluster_id FROM articles"))


def test_an_outlets_footer_folds_none_of_its_stories_and_a_copy_still_folds(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    app = app_for(
        tmp_path,
        clock,
        f"  - {{url: {feeds.url('/daily.xml')}, name: Daily}}\n"
        f"          - {{url: {feeds.url('/other.xml')}, name: Other}}",
    )
    daily = [
        item(f"Story {n}", f"https://daily.example/{n}", f"<p>{s}</p><p>{FOOTER}</p>", clock)
        for n, s in enumerate(STORIES)
    ]
    feeds.set("/daily.xml", rss(daily))
    poll(app, "Daily")
    assert len(set(clusters(app).values())) == len(STORIES)
    copy = STORIES[2] + " Analysts had expected the hold."
    feeds.set(
        "/other.xml",
        rss(
            [
                item(
                    "Rates on hold",
                    "https://other.example/r",
                    f"<p>{copy}</p><p>Other Times</p>",
                    clock,
                )
            ]
        ),
    )
    poll(app, "Other")
    found = clusters(app)
    assert found["https://other.example/r"] == found["https://daily.example/2"]


def test_page_text_arriving_later_joins_the_story_it_repeats_and_alerts_once(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    page = feeds.set("/world/summit.html", article_page("Summit", PARAGRAPHS), "text/html")
    app = app_for(
        tmp_path,
        clock,
        f"  - {{url: {feeds.url('/paper.xml')}, name: Paper}}\n"
        f"          - {{url: {feeds.url('/wire.xml')}, name: Wire}}\n"
        f"          - {{url: {feeds.url('/desk.xml')}, name: Desk, full_text: true}}",
    )
    for path in ("/paper.xml", "/wire.xml", "/desk.xml"):  # past every feed's backlog
        feeds.set(path, rss([item("Old", f"https://old.example{path}", "An older item.", clock)]))
        poll(app, {"/paper.xml": "Paper", "/wire.xml": "Wire", "/desk.xml": "Desk"}[path])
    clock.advance(minutes=20)
    story = " ".join(PARAGRAPHS)
    feeds.set(
        "/paper.xml",
        rss([item("Tajiks vow to finish Rogun", "https://paper.example/s", story, clock)]),
    )
    feeds.set("/wire.xml", rss([item("Summit opens", page, "Leaders meet in Astana.", clock)]))
    feeds.set("/desk.xml", rss([item("Summit opens", page, "Leaders meet in Astana.", clock)]))
    poll(app, "Paper")  # the full story, Rogun in its last paragraph: alerted
    poll(app, "Wire")  # a blurb too short to fold: a story of its own for now
    assert clusters(app)[page] == page_id(app, page)
    poll(app, "Desk")  # the page text arrives: the same story as the paper's
    found = clusters(app)
    assert found[page] == found["https://paper.example/s"]
    rogun = app.db.query("SELECT COUNT(*) FROM matches WHERE rule = 'Rogun'")[0][0]
    assert rogun == 1


def page_id(app: App, link: str) -> str:
    return app.db.query("SELECT id FROM articles WHERE link = ?", (link,))[0][0]
