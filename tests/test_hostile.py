"""Hostile feeds, all in ONE real `news-monitor run --once`: each is recorded as its feed's error
or warning, memory stays bounded, and the good feeds in the same run are stored as usual."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import hostile_feeds as h
import pytest
from conftest import now_utc, rss, write_config

PEAK_RSS_LIMIT_MB = 400
SECRET_MARKER = "xxe-marker-5f1d0c2e"


def news_monitor() -> list[str]:
    script = Path(sys.executable).parent / "news-monitor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "monitor.cli"]


def run_once_measured(config: Path, *, timeout: float = 120) -> tuple[int, str, float]:
    """Run the real CLI; returns (exit code, stderr, the child's own peak RSS in MB).

    The CLI runs as the grandchild of a small launcher: a process forked (or vforked) from
    this one starts its peak RSS at the size of this test process, which a long suite makes
    hundreds of MB; forked from the launcher it counts only its own. The launcher reports the
    CLI's rusage from os.wait4 (its alone, where RUSAGE_CHILDREN would be the largest child
    ever reaped) and exits with its code.
    """
    report = config.parent / "maxrss.txt"
    with open(config.parent / "stderr.log", "w+b") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(report), *news_monitor(), "run", "--once",
             "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "NEWS_MONITOR_CONFIG": ""},
            start_new_session=True,  # a hung run is killed with its launcher, as a group
        )  # fmt: skip
        try:
            _, status, _usage = _wait4(proc, timeout)
        finally:
            if proc.returncode is None and proc.poll() is None:
                proc.kill()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return os.waitstatus_to_exitcode(status), stderr, int(report.read_text()) / 1024


_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def _wait4(proc: subprocess.Popen, timeout: float) -> tuple[int, int, object]:
    import threading

    def kill() -> None:  # a hung run fails the test instead of hanging it
        os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        result = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(result[1])
    return result


def good_feed(host: str, count: int) -> bytes:
    when = now_utc() - timedelta(hours=1)
    return rss(
        [
            {
                "title": f"{host} story {n} about the Rogun dam",
                "link": f"https://{host}/story/{n}",
                "guid": f"{host}-{n}",
                "description": "Works resumed on the Rogun dam.",
                "pubDate": when,
            }
            for n in range(count)
        ]
    )


HOSTILE = {
    # path: (payload builder, extra feed settings, what must be recorded)
    "/billion-laughs.xml": (lambda tmp: h.respond(h.billion_laughs()), {}, "error_or_warning"),
    "/quadratic.xml": (lambda tmp: h.respond(h.quadratic_blowup()), {}, "error_or_warning"),
    "/xxe.xml": (lambda tmp: h.respond(h.xxe(str(tmp / "secret.txt"))), {}, "error_or_warning"),
    "/gzip-bomb.xml": (
        lambda tmp: h.respond(h.gzip_bomb(), headers={"Content-Encoding": "gzip"}),
        {},
        "too_large",
    ),
    "/too-big-declared.xml": (
        lambda tmp: h.respond(h.oversized(3)),
        {"max_bytes": "1MB"},
        "too_large",
    ),
    "/too-big-streamed.xml": (
        lambda tmp: h.respond(h.oversized(3), length=False),
        {"max_bytes": "1MB"},
        "too_large",
    ),
    "/trickle.xml": (lambda tmp: h.trickle, {"timeout": "3s"}, "timeout"),
    "/never-answers.xml": (lambda tmp: h.never_answer, {"timeout": "3s"}, "timeout"),
    "/attribute-flood.xml": (lambda tmp: h.respond(h.attribute_flood()), {}, "parse"),
    "/unclosed-tags.xml": (lambda tmp: h.respond(h.unclosed_tags()), {}, "parse"),
    "/nested-html.xml": (lambda tmp: h.respond(h.nested_html_summary()), {}, "parse"),
    "/invalid-utf8.xml": (lambda tmp: h.respond(h.invalid_utf8()), {}, "error_or_warning"),
    "/lying-encoding.xml": (
        lambda tmp: h.respond(
            h.lying_encoding(), headers={"Content-Type": "text/xml; charset=utf-8"}
        ),
        {},
        "error_or_warning",
    ),
}


def write_run_config(tmp_path: Path, server: h.RawServer) -> Path:
    feeds = []
    for path, (_, settings, _) in HOSTILE.items():
        feeds.append(f"  - url: {server.url(path)}\n    name: {path.strip('/')}\n")
        feeds += [f"    {key}: {value}\n" for key, value in settings.items()]
    for path in ("/many-items.xml", "/good-1.xml", "/good-2.xml"):
        feeds.append(f"  - url: {server.url(path)}\n    name: {path.strip('/')}\n")
    body = (
        f"database: {tmp_path / 'monitor.db'}\n"
        "defaults:\n  interval: 15m\n  timeout: 20s\n  max_bytes: 10MB\n"
        "feeds:\n" + "".join(feeds) + "rules:\n  - name: Rogun\n    any: [Rogun]\n"
        "    digest: instant\n"
        "digests:\n  instant: {schedule: instant, channels: [archive]}\n"
        f"channels:\n  archive: {{type: file, path: {tmp_path / 'digests'}}}\n"
    )
    return write_config(tmp_path, body)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "secret.txt").write_text(SECRET_MARKER, encoding="utf-8")
    routes = {path: build(tmp) for path, (build, _, _) in HOSTILE.items()}
    routes["/many-items.xml"] = h.respond(h.many_items(10_000))
    routes["/good-1.xml"] = h.respond(good_feed("one.example.org", 5))
    routes["/good-2.xml"] = h.respond(good_feed("two.example.org", 7))
    server = h.RawServer(routes)
    try:
        config = write_run_config(tmp, server)
        code, stderr, peak_mb = run_once_measured(config)
    finally:
        server.close()
    db = sqlite3.connect(tmp / "monitor.db")
    db.row_factory = sqlite3.Row
    feeds = {r["url"].rsplit("/", 1)[1]: dict(r) for r in db.execute("SELECT * FROM feeds")}
    per_feed = dict(
        db.execute("SELECT feed, COUNT(*) FROM article_sources GROUP BY feed").fetchall()
    )
    articles = {
        url.rsplit("/", 1)[1]: per_feed.get(url, 0) for url in (r["url"] for r in feeds.values())
    }
    db.close()
    return {
        "tmp": tmp,
        "code": code,
        "stderr": stderr,
        "peak_mb": peak_mb,
        "feeds": feeds,
        "articles": articles,
    }


def test_the_run_exits_0_despite_every_hostile_feed(hostile_run: dict) -> None:
    assert hostile_run["code"] == 0, hostile_run["stderr"][-3000:]
    assert "Traceback" not in hostile_run["stderr"]


def test_peak_memory_of_the_whole_run_stays_bounded(hostile_run: dict) -> None:
    print(f"peak RSS of run --once over the hostile set: {hostile_run['peak_mb']:.0f} MB")
    assert hostile_run["peak_mb"] < PEAK_RSS_LIMIT_MB


@pytest.mark.parametrize("path", sorted(HOSTILE))
def test_each_hostile_feed_is_recorded_with_its_error_or_warning(
    hostile_run: dict, path: str
) -> None:
    expected = HOSTILE[path][2]
    row = hostile_run["feeds"][path.strip("/")]
    assert row["last_polled_at"], f"{path} was never polled"
    if expected == "error_or_warning":
        assert row["last_error"] or row["last_warning"], row
    else:
        assert row["last_outcome"] == "error", row
        assert row["last_error"].startswith(f"{expected}:"), row


def test_the_ten_thousand_item_feed_is_stored_in_full(hostile_run: dict) -> None:
    assert hostile_run["feeds"]["many-items.xml"]["last_outcome"] == "ok"
    assert hostile_run["articles"]["many-items.xml"] == 10_000


def test_good_feeds_in_the_same_run_store_their_articles(hostile_run: dict) -> None:
    assert hostile_run["feeds"]["good-1.xml"]["last_outcome"] == "ok"
    assert hostile_run["feeds"]["good-2.xml"]["last_outcome"] == "ok"
    assert hostile_run["articles"]["good-1.xml"] == 5
    assert hostile_run["articles"]["good-2.xml"] == 7


def test_no_entity_was_expanded_into_stored_text(hostile_run: dict) -> None:
    db = sqlite3.connect(hostile_run["tmp"] / "monitor.db")
    longest = db.execute(
        "SELECT MAX(LENGTH(title) + LENGTH(summary) + LENGTH(text)) FROM articles"
    ).fetchone()[0]
    db.close()
    assert longest < 100_000  # lol9 is 3e9 characters, the quadratic title 256e6


def test_the_local_file_named_by_xxe_never_reaches_the_database(hostile_run: dict) -> None:
    tmp: Path = hostile_run["tmp"]
    stored = b"".join(p.read_bytes() for p in tmp.glob("monitor.db*"))
    assert SECRET_MARKER.encode() not in stored
    assert SECRET_MARKER not in hostile_run["stderr"]
    digests = (
        [p.read_text() for p in (tmp / "digests").glob("*")] if (tmp / "digests").exists() else []
    )
    assert not any(SECRET_MARKER in text for text in digests)


# The worker pool on its own -------------------------------------------------------------------


def test_a_parse_over_its_time_limit_is_stopped_and_the_pool_goes_on() -> None:
    from monitor.errors import ParseError
    from monitor.pipeline.isolate import IsolatedParser

    parser = IsolatedParser(workers=1, base_seconds=1.0, seconds_per_mb=0.0)
    try:
        with pytest.raises(ParseError, match="stopped after"):
            parser(h.attribute_flood(), url="http://127.0.0.1/flood.xml")
        parsed = parser(good_feed("after.example.org", 3), url="http://127.0.0.1/after.xml")
        assert [e.guid for e in parsed.entries] == [f"after.example.org-{n}" for n in range(3)]
    finally:
        parser.close()


def test_a_parse_over_its_memory_limit_is_stopped_and_the_pool_goes_on() -> None:
    from monitor.errors import ParseError
    from monitor.pipeline.isolate import IsolatedParser

    parser = IsolatedParser(workers=1, memory_bytes=160 * 2**20)
    try:
        with pytest.raises(ParseError):
            parser(h.nested_html_summary(), url="http://127.0.0.1/nested.xml")
        parsed = parser(good_feed("after.example.org", 2), url="http://127.0.0.1/after.xml")
        assert len(parsed.entries) == 2
    finally:
        parser.close()


def test_a_broken_feed_keeps_its_own_parse_error_message() -> None:
    from monitor.errors import ParseError
    from monitor.pipeline.isolate import IsolatedParser

    parser = IsolatedParser(workers=1)
    try:
        with pytest.raises(ParseError, match="^empty body$"):
            parser(b"   ", url="http://127.0.0.1/empty.xml")
    finally:
        parser.close()


# Declarations and prolog comments -------------------------------------------------------------


def test_a_prolog_comment_that_mentions_a_doctype_does_not_break_the_feed() -> None:
    from monitor.sources.feed.parse import parse_feed

    body = (
        b'<?xml version="1.0"?><!-- the description reads "<!DOCTYPE" -->'
        b"<rss><channel><item><title>Kept</title><link>https://example.org/1</link></item>"
        b"</channel></rss>"
    )
    assert [e.title for e in parse_feed(body, url="http://127.0.0.1/c.xml").entries] == ["Kept"]


def test_entity_declarations_hidden_in_a_prolog_comment_are_never_expanded() -> None:
    from monitor.sources.feed.parse import parse_feed

    big = "B" * 50_000
    body = (
        f'<?xml version="1.0"?><!-- <!DOCTYPE rss [<!ENTITY big "{big}">]> -->'
        f'<!DOCTYPE rss [<!ENTITY big "{big}">]>'
        "<rss><channel><item><title>" + "&big;" * 2_000 + "</title>"
        "<link>https://example.org/1</link></item></channel></rss>"
    ).encode()
    for fast in (True, False):
        entries = parse_feed(body, url="http://127.0.0.1/c.xml", fast=fast).entries
        assert all(len(e.title) < 20_000 for e in entries)
