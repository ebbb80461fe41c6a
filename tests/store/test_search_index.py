"""The full-text index is filled in batches: search and backtests still see every stored article,
full-text updates keep the index sound, and databases of the old schema stay searchable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Clock, FeedServer, rss, write_config

from monitor.config.load import Config, load_config
from monitor.service.app import build_app, poll_feeds, run_once
from monitor.service.explore import backtest, resolve_rule, search_archive
from monitor.service.scheduler import Service
from monitor.store import search_index
from monitor.store.db import Database
from monitor.store.store import Store

PAGE = (
    b"<!doctype html><html><head><title>Summit</title></head><body><article><h1>Summit</h1>"
    b"<p>Leaders of the member states gathered in Astana for the annual summit of the region.</p>"
    b"<p>In a closing remark, the Tajik delegation said the Rogun dam would continue on schedule"
    b" and invited neighbours to inspect the site next spring.</p></article></body></html>"
)


def config(tmp_path: Path, feeds_yaml: str) -> Config:
    return load_config(
        write_config(
            tmp_path,
            f"""
            database: {tmp_path / "monitor.db"}
            allow_private_networks: true
            feeds:
            {feeds_yaml}
            rules:
              - name: Rogun
                any: [Rogun]
                digest: daily
            digests:
              daily: {{schedule: "0 8 * * *", channels: [archive]}}
            channels:
              archive: {{type: file, path: {tmp_path / "digests"}}}
            """,
        )
    )


def story(n: int, clock: Clock, text: str, link: str | None = None) -> dict:
    return {
        "title": f"Story {n}",
        "link": link or f"https://news.example.org/{n}",
        "guid": f"g{n}",
        "description": text,
        "pubDate": clock.now - timedelta(minutes=10),
    }


def found_titles(cfg: Config, query: str, clock: Clock) -> list[str]:
    rule = resolve_rule(query, None)
    return sorted(
        a.title
        for a in search_archive(cfg, rule, since=timedelta(days=30), limit=50, now=clock.now)
    )


def indexed_ids(db: Database, fts_query: str) -> set[str]:
    """What the index alone answers, without the indexing a search does first."""
    return set(Store(db).fts_candidates(fts_query, datetime(2000, 1, 1, tzinfo=UTC)))


def integrity_check(db: Database) -> None:
    search_index.check(db.connection())


def test_search_finds_an_article_right_after_run_once(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set(
        "/a.xml", rss([story(1, clock, "Talks on the Rogun dam."), story(2, clock, "Rain.")])
    )
    cfg = config(tmp_path, f"  - {{url: {url}, name: A}}")
    app = build_app(cfg, clock=clock)
    run_once(app)

    assert len(indexed_ids(app.db, "rogun")) == 1  # indexed by run --once itself
    assert found_titles(cfg, "Rogun", clock) == ["Story 1"]
    assert found_titles(cfg, "rain OR rogun", clock) == ["Story 1", "Story 2"]


def test_a_backtest_in_a_service_that_has_not_ticked_yet_finds_fresh_articles(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    url = feeds.set("/a.xml", rss([story(1, clock, "Talks on the Rogun dam.")]))
    cfg = config(tmp_path, f"  - {{url: {url}, name: A}}")
    service = Service(cfg, clock=clock)
    try:
        poll_feeds(service.app, cfg.feeds)  # what the pool does between two ticks
        assert indexed_ids(service.app.db, "rogun") == set()

        found = backtest(cfg, resolve_rule("Rogun", cfg), since=timedelta(days=30), now=clock.now)
        assert [a.title for a in found] == ["Story 1"]

        feeds.set("/a.xml", rss([story(2, clock, "Rogun again.")]))
        clock.advance(hours=2)
        poll_feeds(service.app, cfg.feeds)
        assert len(indexed_ids(service.app.db, "rogun")) == 1
        service.tick()  # the next tick indexes what came in meanwhile
        assert len(indexed_ids(service.app.db, "rogun")) == 2
    finally:
        service.shutdown()


def test_full_text_updates_before_and_after_indexing_keep_the_index_sound(
    tmp_path, feeds: FeedServer, clock: Clock
) -> None:
    first, second = (
        feeds.set("/p/1.html", PAGE, "text/html"),
        feeds.set("/p/2.html", PAGE, "text/html"),
    )
    teaser = feeds.set("/teaser.xml", rss([story(1, clock, "Summit opens.", first)]))
    full = feeds.url("/full.xml")
    feeds.set("/full.xml", rss([story(1, clock, "Summit opens.", first)]))
    cfg = config(
        tmp_path,
        f"  - {{url: {teaser}, name: Teaser}}\n"
        f"              - {{url: {full}, name: Full, full_text: true}}",
    )
    app = build_app(cfg, clock=clock)
    by_url = {f.url: f for f in cfg.feeds}
    # Story 1 gets its full text from the second feed before anything was indexed ...
    outcomes = poll_feeds(app, [by_url[teaser]]) + poll_feeds(app, [by_url[full]])
    assert app.store.index_new_articles() == 1
    integrity_check(app.db)
    # ... story 2 only after it was indexed with its summary.
    clock.advance(hours=2)
    feeds.set("/teaser.xml", rss([story(2, clock, "Summit closes.", second)]))
    outcomes += run_once(app)
    feeds.set("/full.xml", rss([story(2, clock, "Summit closes.", second)]))
    clock.advance(hours=2)
    outcomes += run_once(app)

    assert [o.error for o in outcomes if o.outcome != "not_modified"] == [None] * 4

    integrity_check(app.db)
    texts = {r[0]: r[1] for r in app.db.query("SELECT title, full_text_status FROM articles")}
    assert texts == {"Story 1": "ok", "Story 2": "ok"}
    assert found_titles(cfg, "Rogun", clock) == ["Story 1", "Story 2"]
