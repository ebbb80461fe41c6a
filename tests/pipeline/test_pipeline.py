"""One poll of a feed end to end: loopback HTTP feeds, a real SQLite file, real digest files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config
from loopback_guard import loopback_session

from monitor.config.load import load_config
from monitor.service.app import build_app, due_feeds, poll_feeds, run_once
from monitor.store.records import FeedHealth

RULES = """
rules:
  - name: Rogun
    any: [Rogun, Рогун*]
    digest: instant
  - name: SCO
    query: '{SCO} OR "Shanghai Cooperation Organi*ation"'
    digest: daily
digests:
  instant: {schedule: instant, channels: [archive]}
  daily: {schedule: "0 8 * * *", channels: [archive]}
channels:
  archive: {type: file, path: %(digests)s}
"""


def make_config(tmp_path: Path, urls: list[str], **defaults: str) -> Path:
    feeds = "".join(f"  - url: {u}\n    name: Feed {i}\n" for i, u in enumerate(urls))
    extra = "".join(f"  {k}: {v}\n" for k, v in defaults.items())
    body = (
        f"database: {tmp_path / 'monitor.db'}\ndefaults:\n  interval: 15m\n{extra}feeds:\n{feeds}"
        + RULES % {"digests": tmp_path / "digests"}
    )
    return write_config(tmp_path, body)


def item(n: int, clock: Clock, text: str = "Regional news.", **extra: str) -> dict:
    base = {
        "title": f"Story {n}",
        "link": f"https://news.example.org/story/{n}?utm_source=rss",
        "guid": f"story-{n}",
        "description": text,
        "pubDate": clock.now - timedelta(hours=1),
    }
    return base | extra


def digest_texts(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in sorted((tmp_path / "digests").glob("*.txt"))]


def test_first_poll_stores_the_backlog_without_alerting_then_new_items_alert(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock, "Rogun dam works resume.")]))
    app = build_app(load_config(make_config(tmp_path, [url])), clock=clock)

    first = run_once(app)
    assert [o.new_articles for o in first] == [1]
    assert first[0].matches == 0
    assert digest_texts(tmp_path) == []

    clock.advance(minutes=20)
    feeds.set(
        "/a.xml",
        rss(
            [
                item(1, clock, "Rogun dam works resume."),
                item(2, clock, "A new tunnel at the Rogun site."),
            ]
        ),
    )
    second = run_once(app)
    assert second[0].new_articles == 1 and second[0].matches == 1
    texts = digest_texts(tmp_path)
    assert len(texts) == 1 and "Story 2" in texts[0] and "Story 1" not in texts[0]


def test_unchanged_feed_is_a_conditional_get_and_stores_nothing(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock)]))
    app = build_app(load_config(make_config(tmp_path, [url])), clock=clock)
    run_once(app)
    again = run_once(app)
    assert again[0].outcome == "not_modified"
    assert again[0].new_articles == 0


def test_the_same_story_from_two_feeds_is_one_article_with_two_sources(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    a = feeds.set("/a.xml", rss([item(1, clock)]))
    b = feeds.set("/b.xml", rss([item(5, clock)]))
    app = build_app(load_config(make_config(tmp_path, [a, b])), clock=clock)
    run_once(app)
    clock.advance(minutes=20)
    shared = item(9, clock, "Rogun reservoir filling begins.")
    feeds.set("/a.xml", rss([item(1, clock), shared]))
    # same story, other guid, link with other tracking parameters and a fragment
    feeds.set(
        "/b.xml",
        rss(
            [
                item(5, clock),
                shared
                | {"guid": "b-9", "link": "https://NEWS.example.org:443/story/9?fbclid=x#top"},
            ]
        ),
    )
    outcomes = run_once(app)
    assert sum(o.new_articles for o in outcomes) == 1
    rows = app.db.query(
        "SELECT COUNT(*) FROM article_sources s JOIN articles a ON a.id = s.article_id WHERE a.title = 'Story 9'"
    )
    assert rows[0][0] == 2
    texts = digest_texts(tmp_path)
    assert len(texts) == 1 and texts[0].count("Story 9") == 1


def test_changing_guids_do_not_create_new_articles_for_known_urls(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock) | {"guid": "random-1"}]))
    app = build_app(load_config(make_config(tmp_path, [url])), clock=clock)
    run_once(app)
    for n in range(3):
        clock.advance(minutes=20)
        feeds.set("/a.xml", rss([item(1, clock) | {"guid": f"random-{n + 2}"}]))
        assert run_once(app)[0].new_articles == 0
    assert app.db.query("SELECT COUNT(*) FROM articles")[0][0] == 1


def test_items_older_than_max_age_are_stored_but_never_alerted(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock)]))
    app = build_app(load_config(make_config(tmp_path, [url], max_age="2d")), clock=clock)
    run_once(app)
    clock.advance(minutes=20)
    old = item(2, clock, "Rogun history.") | {"pubDate": clock.now - timedelta(days=30)}
    feeds.set("/a.xml", rss([item(1, clock), old]))
    outcome = run_once(app)[0]
    assert outcome.new_articles == 1 and outcome.matches == 0


def test_a_failing_feed_is_recorded_and_the_others_still_poll(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    good = feeds.set("/good.xml", rss([item(1, clock)]))
    bad = feeds.fail("/bad.xml", 500)
    garbage = feeds.set("/garbage.xml", b"\x00\x01 this is not a feed", "text/plain")
    app = build_app(load_config(make_config(tmp_path, [bad, garbage, good])), clock=clock)
    outcomes = {o.url: o for o in run_once(app)}
    assert outcomes[good].outcome == "ok" and outcomes[good].new_articles == 1
    assert outcomes[bad].outcome == "error" and "500" in outcomes[bad].error
    assert outcomes[garbage].outcome == "error"
    health = {r.url: r for r in app.store.feed_health()}
    assert health[bad].consecutive_failures == 1 and health[bad].last_error


def test_a_restart_polls_only_what_is_due_and_realerts_nothing(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([item(1, clock)]))
    path = make_config(tmp_path, [url])
    app = build_app(load_config(path), clock=clock)
    run_once(app)
    clock.advance(minutes=20)
    feeds.set("/a.xml", rss([item(1, clock), item(2, clock, "Rogun again.")]))
    run_once(app)
    assert len(digest_texts(tmp_path)) == 1

    restarted = build_app(load_config(path), clock=clock)
    assert due_feeds(restarted) == []  # polled a moment ago: nothing is due
    clock.advance(minutes=30)
    assert [f.url for f in due_feeds(restarted)] == [url]
    poll_feeds(restarted, due_feeds(restarted))
    run_once(restarted)
    assert len(digest_texts(tmp_path)) == 1  # nothing new, nothing re-sent


def test_an_unexpected_crash_in_one_feed_is_recorded_and_backs_off(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    good = feeds.set("/good.xml", rss([item(1, clock)]))
    cursed = feeds.set("/cursed.xml", rss([item(2, clock)]))
    app = build_app(load_config(make_config(tmp_path, [cursed, good])), clock=clock)
    real_parse = app.ctx.parse

    def parse(body: bytes, *, url: str, content_type: str | None = None):  # noqa: ANN202
        if url == cursed:
            raise RuntimeError("bug triggered by this feed")
        return real_parse(body, url=url, content_type=content_type)

    app.ctx.parse = parse
    outcomes = {o.url: o for o in run_once(app)}
    assert outcomes[good].new_articles == 1
    assert outcomes[cursed].outcome == "error" and "bug triggered" in outcomes[cursed].error
    row = {r.url: r for r in app.store.feed_health()}[cursed]
    assert row.consecutive_failures == 1 and row.next_check_at and row.next_check_at > clock.now


def test_a_permanent_redirect_moves_the_stored_url(
    tmp_path, feeds: FeedServer, clock: Clock, httpserver
) -> None:  # noqa: ANN001
    new = feeds.set("/new.xml", rss([item(1, clock)]))
    httpserver.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": new}
    )
    old = httpserver.url_for("/old.xml")
    app = build_app(load_config(make_config(tmp_path, [old])), clock=clock)
    app.ctx.session = loopback_session()  # the redirect goes through the guard
    assert run_once(app)[0].new_articles == 1
    row = app.store.feed_health()[0]
    assert row.redirect_to == new
    clock.advance(minutes=20)
    run_once(app)
    assert feeds.requests["/new.xml"] == 2
    assert httpserver.get_matching_requests_count(httpserver.create_matcher("/old.xml")) == 1


def test_410_stops_polling_that_feed(tmp_path, feeds: FeedServer, clock: Clock) -> None:
    gone = feeds.fail("/gone.xml", 410)
    app = build_app(load_config(make_config(tmp_path, [gone])), clock=clock)
    assert run_once(app)[0].outcome == "gone"
    clock.advance(days=2)
    assert due_feeds(app) == []
    assert run_once(app) == []


def test_retry_after_and_exponential_backoff_set_the_next_poll(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    limited = feeds.fail("/limited.xml", 429, {"Retry-After": "7200"})
    broken = feeds.fail("/broken.xml", 503)
    app = build_app(load_config(make_config(tmp_path, [limited, broken])), clock=clock)
    run_once(app)
    rows = {r.url: r for r in app.store.feed_health()}
    wait = next_check(rows[limited]) - clock.now
    assert timedelta(hours=2) <= wait <= timedelta(hours=2.2)
    first = next_check(rows[broken]) - clock.now
    clock.advance(hours=1)
    poll_feeds(app, app.config.feeds[1:])
    row = {r.url: r for r in app.store.feed_health()}[broken]
    second = next_check(row) - clock.now
    assert row.consecutive_failures == 2 and second > first * 1.5


def next_check(row: FeedHealth) -> datetime:
    assert row.next_check_at is not None
    return row.next_check_at
