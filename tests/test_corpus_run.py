"""The whole shared corpus in ONE `news-monitor run --once`: every entry feedparser sees in a file
is stored, or skipped with the reason recorded on its feed."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import quote, unquote

import feedparser
import pytest
from conftest import CORPUS, write_config
from servers import QuietHandler, serve
from test_hostile import run_once_measured

FOLDERS = ("feeds", "feedparser-tests")
SKIPPED = re.compile(r"skipped (\d+) of (\d+) entries")


def corpus_files() -> dict[str, bytes]:
    files = {}
    for folder in FOLDERS:
        for path in sorted((CORPUS / folder).rglob("*")):
            if path.is_file():
                files["/" + quote(str(path.relative_to(CORPUS)))] = path.read_bytes()
    return files


def content_type(path: str) -> str:
    return "application/json" if path.endswith(".json") else "application/xml"


class StaticServer:
    """Every corpus file on 127.0.0.1, as a publisher would serve it."""

    def __init__(self, files: dict[str, bytes]) -> None:
        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                body = files.get(self.path)
                self.reply(200 if body is not None else 404, body or b"", content_type(self.path))

        self.server, self.base = serve(Handler)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def feedparser_entries(body: bytes, ctype: str) -> int:
    headers = {"content-type": ctype}
    return len(feedparser.parse(body, response_headers=headers, sanitize_html=False).entries)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("corpus")
    files = corpus_files()
    server = StaticServer(files)
    try:
        feeds = "".join(
            f"  - url: {server.base}{path}\n    name: {unquote(path)[1:]!r}\n" for path in files
        )
        config = write_config(
            tmp,
            f"database: {tmp / 'monitor.db'}\n"
            "defaults:\n  interval: 15m\n  timeout: 20s\n"
            f"feeds:\n{feeds}"
            "rules:\n  - name: NATO\n    query: 'NATO OR \"North Atlantic Treaty\"'\n"
            "    digest: instant\n"
            "digests:\n  instant: {schedule: instant, channels: [archive]}\n"
            f"channels:\n  archive: {{type: file, path: {tmp / 'digests'}}}\n",
        )
        code, stderr, peak_mb = run_once_measured(config, timeout=300)
    finally:
        server.close()
    db = sqlite3.connect(tmp / "monitor.db")
    db.row_factory = sqlite3.Row
    rows = {r["url"][len(server.base) :]: dict(r) for r in db.execute("SELECT * FROM feeds")}
    stored = dict(db.execute("SELECT feed, COUNT(*) FROM article_sources GROUP BY feed").fetchall())
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return {
        "files": files,
        "code": code,
        "stderr": stderr,
        "peak_mb": peak_mb,
        "rows": rows,
        "stored": {path: stored.get(server.base + path, 0) for path in files},
        "integrity": integrity,
    }


def test_the_corpus_run_exits_0_with_every_feed_polled(corpus_run: dict) -> None:
    assert corpus_run["code"] == 0, corpus_run["stderr"][-3000:]
    assert set(corpus_run["rows"]) == set(corpus_run["files"])
    assert corpus_run["integrity"] == "ok"
    print(f"corpus: {len(corpus_run['files'])} files, peak RSS {corpus_run['peak_mb']:.0f} MB")


def test_no_poll_of_a_corpus_file_crashed(corpus_run: dict) -> None:
    crashed = {
        path: row["last_error"]
        for path, row in corpus_run["rows"].items()
        if (row["last_error"] or "").startswith("internal error")
    }
    assert crashed == {}


def test_every_entry_feedparser_sees_is_stored_or_skipped_with_a_reason(corpus_run: dict) -> None:
    lost = {}
    total = 0
    for path, body in corpus_run["files"].items():
        expected = feedparser_entries(body, content_type(path))
        total += expected
        row = corpus_run["rows"][path]
        found = SKIPPED.search(row["last_warning"] or "")
        skipped = int(found.group(1)) if found else 0
        accounted = corpus_run["stored"][path] + skipped
        if accounted < expected:
            lost[unquote(path)] = (expected, accounted, row["last_error"] or row["last_warning"])
    print(f"corpus: {total} entries seen by feedparser")
    assert lost == {}
