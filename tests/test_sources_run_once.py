"""`news-monitor run --once` over every source type at once, served on loopback: the first run
stores each source's backlog without alerting, the next alerts each new Rogun mention once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from conftest import REPO, FeedServer
from sources.test_gdelt import artlist
from sources.test_page import page
from sources.test_sitemap import news_sitemap
from sources.test_telegram import message, preview
from sources_run import digest_texts, source_config


def run_once(config) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "run", "--once", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_source_type_alerts_its_new_rogun_mention_once(tmp_path, feeds: FeedServer) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(hours=2)

    def serve(new: bool) -> None:
        fresh = now - timedelta(minutes=1)
        feeds.set(
            "/sitemap_news.xml.gz",
            news_sitemap(
                [("https://e.org/s/1", "Rogun in the sitemap, old", old.isoformat())]
                + (
                    [("https://e.org/s/2", "Rogun in the sitemap", fresh.isoformat())]
                    if new
                    else []
                )
            ),
            "application/x-gzip",
        )
        items = [("/p/1", "Rogun on the page, old", old.isoformat(), "")]
        items += [("/p/2", "Rogun on the page", fresh.isoformat(), "")] if new else []
        feeds.set("/news", page(items), "text/html")
        posts = [message("desk/1", "Rogun on Telegram, old.", old)]
        posts += [message("desk/2", "Rogun on Telegram.", fresh)] if new else []
        feeds.set("/s/desk", preview(posts), "text/html")
        arts = [("https://e.org/g/1", "Rogun in GDELT, old", old)]
        arts += [("https://e.org/g/2", "Rogun in GDELT", fresh)] if new else []
        feeds.set("/gdelt", artlist(arts), "application/json")

    serve(new=False)
    sources = [
        f"{{type: sitemap, url: {feeds.url('/sitemap_news.xml.gz')}}}",
        f"{{type: page, url: {feeds.url('/news')}, items: 'div.news-list article'}}",
        f"{{type: telegram, url: {feeds.url('/s/desk')}}}",
        f"{{type: gdelt, query: Rogun, url: {feeds.url('/gdelt')}}}",
    ]
    config = source_config(tmp_path, sources[0])
    text = config.read_text().replace(f"  - {sources[0]}\n", "".join(f"  - {s}\n" for s in sources))
    config.write_text(text)

    first = run_once(config)
    assert first.returncode == 0, first.stderr
    assert digest_texts(tmp_path) == []
    serve(new=True)
    second = run_once(config)
    assert second.returncode == 0, second.stderr
    third = run_once(config)
    assert third.returncode == 0, third.stderr
    digests = digest_texts(tmp_path)
    assert len(digests) == 1, [d[:300] for d in digests]
    [digest] = digests
    for link in ("https://e.org/s/2", "/p/2", "https://t.me/desk/2", "https://e.org/g/2"):
        assert digest.count(link) == 1, link
    for link in ("https://e.org/s/1", "/p/1", "https://t.me/desk/1", "https://e.org/g/1"):
        assert link not in digest
