"""Fingerprints computed in the parse workers are the ones the polling process would compute,
so near duplicates fold the same whichever process sketched them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import CORPUS

from monitor.errors import ParseError
from monitor.pipeline.isolate import IsolatedParser
from monitor.sources.feed.parse import parse_feed
from monitor.stories.neardup import fingerprints, is_near_duplicate


def _real_texts(feeds: int = 12) -> list[tuple[str, str]]:
    listed = json.loads((CORPUS / "provenance" / "real_world_feeds_heuristic.json").read_text())
    texts: list[tuple[str, str]] = []
    for item in listed[:feeds]:
        body = (CORPUS / item["path"]).read_bytes()
        parsed = parse_feed(body, url="https://" + item["host"] + "/feed")
        texts += [(e.title, e.content or e.summary) for e in parsed.entries]
    return texts


@pytest.fixture(scope="module")
def pool() -> Iterator[IsolatedParser]:
    parser = IsolatedParser(workers=1)
    yield parser
    parser.close()


def test_a_worker_sketches_real_articles_exactly_as_this_process_does(
    pool: IsolatedParser,
) -> None:
    texts = _real_texts()
    assert len(texts) > 50
    assert pool.fingerprints(texts) == fingerprints(texts)


def test_a_story_sketched_in_a_worker_folds_with_its_copy_sketched_here(
    pool: IsolatedParser,
) -> None:
    title, text = max(_real_texts(), key=lambda pair: len(pair[1]))
    copy = (title.upper(), "By our correspondent. " + text)
    [worker_made] = pool.fingerprints([(title, text)])
    [here] = fingerprints([copy])
    assert is_near_duplicate(worker_made, here)


def test_a_closed_pool_refuses_work_so_callers_can_sketch_in_process() -> None:
    parser = IsolatedParser(workers=1)
    parser.close()
    with pytest.raises(ParseError, match="closed"):
        parser.fingerprints([("title", "text")])
