"""Full text and near-duplicates through the pipeline: pages served on loopback, a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import load_config
from monitor.service.app import build_app, run_once
from monitor.sources.fetch import make_session
from monitor.sources.netguard import AddressGuard, is_forbidden_address

PARAGRAPHS = [
    "Leaders of the member states gathered in Astana on Thursday for the annual summit, where trade corridors and regional security dominated the first day of talks.",
    "Delegations from China and Russia pressed for a larger role for the organisation in financing infrastructure, while smaller members asked for clearer rules on lending.",
    "The host government presented a plan for new rail links across the steppe, which officials said could halve the time it takes to move goods to European markets.",
    "Analysts in the region noted that water and energy questions were raised behind closed doors, with several delegations seeking guarantees for the coming dry season.",
    "In a closing remark, the Tajik delegation said construction of the Rogun dam would continue on schedule and invited neighbours to inspect the site next spring.",
]


def article_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html><head><title>{title}</title></head><body>
      <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/asia">Asia</a></nav>
      <div class="share">Share on Facebook · Share on X · Email this</div>
      <article><h1>{title}</h1>{body}</article>
      <aside class="most-read"><h3>Most read</h3><ul><li>Celebrity wedding stuns fans</li><li>Football scores</li></ul></aside>
      <footer>© News Example 2026 · Privacy · Terms · Contact us</footer>
    </body></html>""".encode()


def config(tmp_path: Path, feeds_yaml: str, allow_private: bool) -> Path:
    return write_config(
        tmp_path,
        f"""
        database: {tmp_path / "monitor.db"}
        allow_private_networks: {str(allow_private).lower()}
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


def entry(n: int, link: str, clock: Clock, summary: str = PARAGRAPHS[0]) -> dict:
    return {
        "title": f"Summit day {n}",
        "link": link,
        "guid": f"s{n}",
        "description": summary,
        "pubDate": clock.now - timedelta(minutes=30),
    }


def prime_backlog(feeds: FeedServer, paths: list[str], app, clock: Clock) -> None:  # noqa: ANN001
    for path in paths:
        feeds.set(path, rss([entry(0, f"https://old.example.org{path}", clock)]))
    run_once(app)
    clock.advance(minutes=20)


def test_a_mention_only_in_the_last_paragraph_matches_with_full_text_only(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    full_page = feeds.set("/articles/1.html", article_page("Summit day 1", PARAGRAPHS), "text/html")
    teaser_page = feeds.set(
        "/articles/2.html", article_page("Summit day 2", PARAGRAPHS), "text/html"
    )
    feeds_yaml = (
        f"  - {{url: {feeds.url('/full.xml')}, name: Full, full_text: true}}\n"
        f"          - {{url: {feeds.url('/teaser.xml')}, name: Teaser}}"
    )
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=True)), clock=clock)
    prime_backlog(feeds, ["/full.xml", "/teaser.xml"], app, clock)
    feeds.set("/full.xml", rss([entry(1, full_page, clock)]))
    feeds.set("/teaser.xml", rss([entry(2, teaser_page, clock)]))

    outcomes = {o.url: o for o in run_once(app)}
    assert outcomes[feeds.url("/full.xml")].matches == 1
    assert outcomes[feeds.url("/teaser.xml")].matches == 0
    text = app.db.query("SELECT text FROM articles WHERE title = 'Summit day 1'")[0][0]
    assert "Rogun dam would continue" in text
    assert "Most read" not in text and "Privacy" not in text and "Share on Facebook" not in text


def test_links_to_private_and_metadata_addresses_are_refused_and_recorded(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    secret = feeds.set("/internal/admin.html", article_page("Internal", PARAGRAPHS), "text/html")
    feeds_yaml = f"  - {{url: {feeds.url('/f.xml')}, name: F, full_text: true}}"
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=False)), clock=clock)
    prime_backlog(feeds, ["/f.xml"], app, clock)
    feeds.set(
        "/f.xml",
        rss([entry(1, secret, clock), entry(2, "http://169.254.169.254/latest/meta-data/", clock)]),
    )

    run_once(app)  # the operator's own feed URL on loopback is trusted; its links are not
    rows = {
        r["title"]: r for r in app.db.query("SELECT title, text, full_text_status FROM articles")
    }
    assert rows["Summit day 1"]["full_text_status"].startswith("blocked")
    assert rows["Summit day 2"]["full_text_status"].startswith("blocked")
    assert feeds.requests["/internal/admin.html"] == 0  # refused before connecting
    assert rows["Summit day 1"]["text"] == ""


def test_a_redirect_from_a_public_page_to_a_private_address_is_refused(
    tmp_path, feeds: FeedServer, clock: Clock, httpserver
) -> None:  # noqa: ANN001
    httpserver.expect_request("/hop").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/"}
    )
    feeds_yaml = f"  - {{url: {feeds.url('/f.xml')}, name: F, full_text: true}}"
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=False)), clock=clock)
    # Let this test's server count as public, so that only the redirect's target is refused.
    public_loopback = AddressGuard(
        forbidden=lambda ip: str(ip) != "127.0.0.1" and is_forbidden_address(ip)
    )
    app.ctx.session = make_session("test", address_guard=public_loopback)
    prime_backlog(feeds, ["/f.xml"], app, clock)
    feeds.set("/f.xml", rss([entry(1, httpserver.url_for("/hop"), clock)]))
    run_once(app)
    status = app.db.query("SELECT full_text_status FROM articles WHERE title = 'Summit day 1'")[0][
        0
    ]
    assert status.startswith("blocked") and "169.254.169.254" in status


def test_one_story_from_two_outlets_is_alerted_once_with_also_reported_by(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    feeds_yaml = (
        f"  - {{url: {feeds.url('/wire.xml')}, name: Wire}}\n"
        f"          - {{url: {feeds.url('/paper.xml')}, name: Paper}}"
    )
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=True)), clock=clock)
    prime_backlog(feeds, ["/wire.xml", "/paper.xml"], app, clock)
    story = " ".join(PARAGRAPHS)
    republished = story.replace("on Thursday", "this week") + " Reporting by the wire desk."
    feeds.set(
        "/wire.xml",
        rss(
            [
                {
                    "title": "Rogun dam to continue, Tajikistan tells summit",
                    "link": "https://wire.example.org/a1",
                    "description": story,
                    "pubDate": clock.now,
                }
            ]
        ),
    )
    run_once(app)
    feeds.set(
        "/paper.xml",
        rss(
            [
                {
                    "title": "Tajikistan tells summit Rogun dam work will continue",
                    "link": "https://paper.example.com/world/rogun",
                    "description": republished,
                    "pubDate": clock.now,
                }
            ]
        ),
    )
    clock.advance(minutes=20)
    run_once(app)
    assert app.db.query("SELECT COUNT(*) FROM articles WHERE title LIKE '%Rogun%'")[0][0] == 2
    assert (
        app.db.query("SELECT COUNT(DISTINCT cluster_id) FROM articles WHERE title LIKE '%Rogun%'")[
            0
        ][0]
        == 1
    )
    texts = [p.read_text() for p in (tmp_path / "digests").glob("*.txt")]
    assert len(texts) == 1  # the paper's copy folded into the wire story: no second alert


def test_distinct_stories_on_one_topic_stay_apart(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    feeds_yaml = f"  - {{url: {feeds.url('/a.xml')}, name: A}}"
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=True)), clock=clock)
    prime_backlog(feeds, ["/a.xml"], app, clock)
    first = " ".join(PARAGRAPHS)
    second = (
        "Engineers at the Rogun site reported a landslide near the diversion tunnel on Monday, forcing a halt to night shifts. "
        "The operator said no workers were hurt and that inspections of the slope would take about two weeks. "
        "Downstream farmers in Uzbekistan asked for data on reservoir levels, citing last summer's shortages. "
        "The World Bank, which reviewed the project's safety studies, declined to comment on the incident."
    )
    feeds.set(
        "/a.xml",
        rss(
            [
                {
                    "title": "Rogun dam to continue, Tajikistan tells summit",
                    "link": "https://a.example.org/1",
                    "description": first,
                    "pubDate": clock.now,
                },
                {
                    "title": "Landslide halts night work at Rogun",
                    "link": "https://a.example.org/2",
                    "description": second,
                    "pubDate": clock.now,
                },
            ]
        ),
    )
    outcome = run_once(app)[0]
    assert outcome.matches == 2


def test_the_index_forgets_stories_older_than_max_age(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    from monitor.service.app import forget_old_stories

    feeds_yaml = f"  - {{url: {feeds.url('/a.xml')}, name: A}}"
    app = build_app(load_config(config(tmp_path, feeds_yaml, allow_private=True)), clock=clock)
    feeds.set(
        "/a.xml",
        rss(
            [entry(n, f"https://a.example.org/{n}", clock, PARAGRAPHS[n % 5] * 3) for n in range(5)]
        ),
    )
    run_once(app)
    keys = app.db.query("SELECT COUNT(*) FROM story_keys")[0][0]
    assert keys > 0 and forget_old_stories(app) == 0
    clock.advance(days=8)  # past the default max_age of 7 days
    assert forget_old_stories(app) == keys
    assert app.db.query("SELECT COUNT(*) FROM story_keys")[0][0] == 0
