"""The syndication world: many outlets re-publishing each other's stories, polled round after
round, and how well and how cheaply the monitor folds the copies into one story each.

Each round every outlet publishes ``per_round`` new items. A fifth of the stories are
syndicated to 1-40 other outlets; each copy carries the outlet's own link and guid, a re-worded
headline, the full text, its first sentences only, or the text with a local paragraph added, and
the outlet's footer line (the same on every item of that outlet). A feed shows its last
``window`` rounds of items. Everything is a pure function of (seed, feeds, round), and the truth
(which item is a copy of which story) comes with it, so folding is scored by pair precision and
recall against the cluster ids the monitor stored.

    python -m bench.syndication [--feeds 150] [--rounds 16]   (this scenario alone)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.server import WorldServer
from bench.server import serving as serve_world
from bench.world import ENGLISH, FeedDocument, make_sentence, name_pool

SEED = 20261202
SYNDICATED_SHARE = 0.2  # a fifth of the stories reach other outlets
MAX_COPIES = 40
ROUND_SPACING = timedelta(minutes=30)
_KICKERS = ("Update:", "Analysis:", "Breaking:", "Report:", "Explainer:", "Live:")
ROUND_PATH = "/_round/"  # GET /_round/N serves round N from then on (the scenario's clock)


@dataclass(frozen=True, slots=True, kw_only=True)
class Syndication:
    feeds: int = 150
    rounds: int = 16
    per_round: int = 5  # new items in every outlet's feed each round
    window: int = 4  # rounds of items a feed shows
    seed: int = SEED
    epoch: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # round 0's time


@dataclass(frozen=True, slots=True, kw_only=True)
class Copy:
    """One item of one outlet's feed: a story as that outlet published it."""

    story: str  # the truth: copies of one story share it
    outlet: int
    guid: str
    link: str
    title: str
    html: str
    published: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class _Story:
    key: str
    title: str
    sentences: tuple[str, ...]
    published: datetime


def recent_epoch(now: datetime, rounds: int) -> datetime:
    """Round 0's time for a run that ends about now (every item within any max_age)."""
    return now - ROUND_SPACING * rounds


def round_copies(world: Syndication, rnd: int) -> dict[int, list[Copy]]:
    """The items each outlet publishes in round ``rnd``: ``per_round`` each, oldest first."""
    return _round_copies(world, rnd)


def feed_copies(world: Syndication, rnd: int, outlet: int) -> list[Copy]:
    """An outlet's feed at round ``rnd``, newest first."""
    first = max(0, rnd - world.window + 1)
    items = [c for r in range(first, rnd + 1) for c in round_copies(world, r)[outlet]]
    return items[::-1]


def truth(world: Syndication, rounds: int) -> dict[str, str]:
    """guid -> story key for every item published in rounds 0..rounds-1."""
    return {
        c.guid: c.story
        for r in range(rounds)
        for copies in round_copies(world, r).values()
        for c in copies
    }


def render(world: Syndication, rnd: int, outlet: int) -> FeedDocument:
    copies = feed_copies(world, rnd, outlet)
    items = "".join(
        "<item>"
        f"<title>{escape(c.title)}</title><link>{escape(c.link)}</link>"
        f'<guid isPermaLink="false">{escape(c.guid)}</guid>'
        f"<pubDate>{format_datetime(c.published, usegmt=True)}</pubDate>"
        f"<description>{escape(c.html)}</description>"
        "</item>\n"
        for c in copies
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{escape(_outlet_name(world.seed, outlet))}</title>"
        f"<link>https://{_domain(outlet)}/</link><description>News</description>\n"
        + items
        + "</channel></rss>\n"
    ).encode()
    newest = max((c.published for c in copies), default=world.epoch)
    return FeedDocument(
        path=feed_path(outlet),
        body=body,
        content_type="application/rss+xml; charset=utf-8",
        etag=f'"r{rnd}-{outlet}"',  # a feed changes every round: every round adds items
        last_modified=format_datetime(newest.astimezone(UTC), usegmt=True),
    )


def feed_path(outlet: int) -> str:
    return f"/outlets/{outlet:04d}.xml"


def pair_scores(predicted: dict[str, str], true: dict[str, str]) -> dict[str, float]:
    """Pair precision and recall of a clustering: over every pair of items, whether the
    monitor put them in one story (``predicted``: guid -> cluster id) and whether they are one
    (``true``: guid -> story key). Items the monitor did not store count as singletons."""
    guids = list(true)
    cells = Counter((predicted.get(g, f"unstored:{g}"), true[g]) for g in guids)
    clusters = Counter(predicted.get(g, f"unstored:{g}") for g in guids)
    stories = Counter(true[g] for g in guids)
    both = sum(_pairs(n) for n in cells.values())
    said = sum(_pairs(n) for n in clusters.values())
    real = sum(_pairs(n) for n in stories.values())
    return {
        "precision": both / said if said else 1.0,
        "recall": both / real if real else 1.0,
        "pairs_true": real,
        "pairs_folded": said,
    }


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@cache
def _round_copies(world: Syndication, rnd: int) -> dict[int, list[Copy]]:
    rng = random.Random(f"{world.seed}:{world.feeds}:round:{rnd}")
    free = {outlet: world.per_round for outlet in range(world.feeds)}
    copies: dict[int, list[Copy]] = {outlet: [] for outlet in range(world.feeds)}
    number = 0
    while free:
        origin = rng.choice(sorted(free))
        others: list[int] = []
        if rng.random() < SYNDICATED_SHARE:
            # Most syndicated stories reach a few outlets, some reach dozens (1 to 40).
            wanted = min(MAX_COPIES, int(MAX_COPIES ** rng.random()))
            candidates = [o for o in sorted(free) if o != origin]
            others = rng.sample(candidates, min(max(1, wanted), len(candidates)))
        story = _story(world, rnd, number, rng)
        number += 1
        for slot, outlet in enumerate([origin, *others]):
            copies[outlet].append(_copy(world, story, outlet, as_origin=slot == 0))
            free[outlet] -= 1
            if not free[outlet]:
                del free[outlet]
    return copies


def _story(world: Syndication, rnd: int, number: int, rng: random.Random) -> _Story:
    key = f"r{rnd}-s{number}"
    local = random.Random(f"{world.seed}:story:{key}")
    names = name_pool(world.seed)
    sentences = tuple(make_sentence(local, names, False) for _ in range(local.randint(4, 9)))
    title = sentences[0].rstrip(".")[:90].rsplit(" ", 1)[0]
    published = world.epoch + ROUND_SPACING * rnd + timedelta(seconds=rng.randrange(1500))
    return _Story(key=key, title=title, sentences=sentences, published=published)


def _copy(world: Syndication, story: _Story, outlet: int, *, as_origin: bool) -> Copy:
    rng = random.Random(f"{world.seed}:copy:{story.key}:{outlet}")
    sentences = list(story.sentences)
    title = story.title
    if not as_origin:
        title = _reworded(rng, title, _outlet_name(world.seed, outlet))
        shape = rng.random()
        if shape < 0.35 and len(sentences) > 3:  # the wire's cut: its first sentences only
            sentences = sentences[: rng.randint(2, 3)]
        elif shape < 0.5:  # a local paragraph added
            names = name_pool(world.seed)
            sentences += [make_sentence(rng, names, False) for _ in range(rng.randint(1, 2))]
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    paragraphs.append(_footer(world.seed, outlet))
    slug = story.key.replace("-", "/")
    return Copy(
        story=story.key,
        outlet=outlet,
        guid=f"urn:outlet{outlet}:{story.key}",
        link=f"https://{_domain(outlet)}/{slug}/{rng.randrange(10**6)}.html",
        title=title,
        html="".join(f"<p>{escape(p)}</p>" for p in paragraphs),
        published=story.published + timedelta(minutes=rng.randrange(1, 25) if not as_origin else 0),
    )


def _reworded(rng: random.Random, title: str, outlet_name: str) -> str:
    """The outlet's own headline: a kicker, a word or two changed, its name appended."""
    words = title.split()
    for _ in range(rng.randint(0, 2)):
        words[rng.randrange(len(words))] = rng.choice(ENGLISH)
    if rng.random() < 0.4:
        words.insert(0, rng.choice(_KICKERS))
    if rng.random() < 0.3 and len(words) > 5:
        cut = rng.randrange(2, len(words) - 2)
        words = words[cut:] + [":"] + words[:cut]
    text = " ".join(words)
    return f"{text} | {outlet_name}" if rng.random() < 0.5 else text


@cache
def _footer(seed: int, outlet: int) -> str:
    rng = random.Random(f"{seed}:footer:{outlet}")
    name = _outlet_name(seed, outlet)
    pitch = " ".join(rng.choices(ENGLISH, k=8))
    return (
        f"Follow {name} for the latest news on {pitch}. Copyright 2026 {name} Media Group, "
        f"all rights reserved; read more at {_domain(outlet)}."
    )


@cache
def _outlet_name(seed: int, outlet: int) -> str:
    names = name_pool(seed)
    return f"The {names[(outlet * 7919) % len(names)]} {('Times', 'Herald', 'Post', 'Daily')[outlet % 4]}"


def _domain(outlet: int) -> str:
    return f"outlet{outlet}.example.com"


# Serving ----------------------------------------------------------------------------------------


class RoundServer(WorldServer):
    """Serves every outlet's feed on loopback as of the current round; ``GET /_round/N`` moves
    it to round N (rendered before the answer, so the poll that follows sees only served bytes).
    """

    world: Syndication  # type: ignore[assignment]

    def _first_documents(self) -> dict[str, FeedDocument]:
        return self._render(0)

    def _path(self, index: int) -> str:
        return feed_path(index)

    def round_url(self, rnd: int) -> str:
        host, port = self._servers[0].server_address[:2]
        return f"http://{host}:{port}{ROUND_PATH}{rnd}"

    def document(self, path: str) -> FeedDocument | None:
        if path.startswith(ROUND_PATH):
            documents = self._render(int(path.removeprefix(ROUND_PATH)))
            with self._lock:
                self._documents = documents
            return FeedDocument(
                path=path, body=b"ok", content_type="text/plain", etag='"x"', last_modified=""
            )
        return super().document(path)

    def _render(self, rnd: int) -> dict[str, FeedDocument]:
        return {feed_path(o): render(self.world, rnd, o) for o in range(self.world.feeds)}


def serving(world: Syndication, *, hosts: int = 8) -> AbstractContextManager[RoundServer]:
    return serve_world(world, hosts=hosts, kind=RoundServer)


def spec_for(world: Syndication, server: RoundServer, config: Path, workers: int) -> dict[str, Any]:
    return {
        "scenario": "syndication",
        "feeds": world.feeds,
        "rounds": world.rounds,
        "epoch": world.epoch.isoformat(),
        "urls": server.urls(),
        "round_url": server.round_url(0),
        "config": str(config),
        "workers": workers,
    }


def main(argv: list[str] | None = None) -> int:
    from bench.harness import run_scenario, write_config
    from monitor.service.app import WORKERS

    parser = argparse.ArgumentParser(
        prog="python -m bench.syndication", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--feeds", type=int, default=150, help="outlets (default 150)")
    parser.add_argument("--rounds", type=int, default=16, help="poll rounds (default 16)")
    args = parser.parse_args(argv)
    world = Syndication(
        feeds=args.feeds, rounds=args.rounds, epoch=recent_epoch(datetime.now(UTC), args.rounds)
    )
    with (
        tempfile.TemporaryDirectory(prefix="news-monitor-syndication-") as workdir,
        serving(world) as server,
    ):
        config = write_config(Path(workdir), server.urls())
        result = run_scenario(spec_for(world, server, config, WORKERS), Path(workdir))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
