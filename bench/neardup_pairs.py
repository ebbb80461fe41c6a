"""Labelled article pairs for the near-duplicate calibration, built from the shared corpus."""

from __future__ import annotations

import gzip
import html
import itertools
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import feedparser
from selectolax.lexbor import LexborHTMLParser

from monitor.stories.neardup import words

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BENCHMARK = CORPUS / "articles" / "article-extraction-benchmark"
FEEDS = CORPUS / "feeds"

# One outlet's feed of one day: its items are different stories, often on the same topic.
NEWS_FEEDS = [
    *(
        f"arminreiter-FeedReader/Feeds/Rss20{name}.xml"
        for name in [
            "CTVNews",
            "IndianExpress",
            "JapanTimes",
            "JapanToday",
            "NYTimes",
            "Reuters",
            "TheMirror",
            "DailyMail",
            "MoscowTimes",
            "BreakingNews",
            "LeMonde",
            "Spiegel",
            "FazNet",
        ]
    ),
    *(
        f"embedded/jmanuelbr-chrome-extension/{name}.xml"
        for name in ["bbc", "cnn", "elpais", "europapress", "huffpost"]
    ),
    "react-native-rss-parser/reuters.xml",
    "rbren-rss-parser/input/guardian.rss",
]

# The same wire story found in two feeds: (file, title start) twice.
REAL_SAME = [
    (
        ("arminreiter-FeedReader/Feeds/Rss20JapanToday.xml", "World â€º Trump says Mexico"),
        ("arminreiter-FeedReader/Feeds/Rss20Reuters.xml", "Trump says Mexico would repay"),
    ),
    (
        ("arminreiter-FeedReader/Feeds/Rss20JapanTimes.xml", "Japan, France agree to start"),
        ("arminreiter-FeedReader/Feeds/Rss20JapanToday.xml", "Politics â€º Japan, France to"),
    ),
    (
        ("arminreiter-FeedReader/Feeds/Rss20JapanTimes.xml", "Russia said scaling back"),
        ("arminreiter-FeedReader/Feeds/Rss20JapanToday.xml", "World â€º Russia says it is"),
    ),
    (
        ("feed-extractor/atom-feed-standard-realworld.xml", "Fed unleashes another big"),
        ("feed-extractor/rss-feed-standard-realworld.xml", "Fed unleashes another big"),
    ),
    (
        ("arminreiter-FeedReader/Feeds/Rss20IndianExpress.xml", "Donor to PM Theresa"),
        ("arminreiter-FeedReader/Feeds/Rss20Reuters.xml", "Donor to PM May"),
    ),
]
# One event written up independently by two outlets: reported, not scored.
REAL_EVENT = [
    (
        ("arminreiter-FeedReader/Feeds/Rss20IndianExpress.xml", "At least five dead in Fort"),
        ("arminreiter-FeedReader/Feeds/Rss20JapanToday.xml", "World â€º 5 dead, 8 injured"),
    ),
    (
        ("arminreiter-FeedReader/Feeds/Rss20IndianExpress.xml", "Beating on video began"),
        ("arminreiter-FeedReader/Feeds/Rss20JapanTimes.xml", "Police say Chicago beating"),
    ),
    (
        ("embedded/jmanuelbr-chrome-extension/bbc.xml", "Joseph McCann charged"),
        ("embedded/jmanuelbr-chrome-extension/theguardian.xml", "Man in court charged"),
    ),
]

BYLINE = "By Aigerim Nurlanova, Central Asia correspondent"
BOILERPLATE = (
    "Reporting by Olzhas Auyezov; Editing by Mark Heinrich. "
    "Sign up for our morning newsletter to get the day's top stories in your inbox. "
    "Follow us on Twitter and Facebook."
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.S | re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Doc:
    title: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    kind: str
    a: Doc
    b: Doc
    same: bool | None  # None: reported, not scored
    story: str = ""  # for same-story pairs: which story, shared by every copy of it


def load_articles() -> list[Doc]:
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    docs = []
    for page_id, item in sorted(truth.items()):
        page = gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes())
        match = _TITLE.search(page)
        title = html.unescape(match.group(1).decode("utf-8", "replace")) if match else ""
        docs.append(Doc(title=" ".join(title.split()), text=item["articleBody"]))
    return docs


def load_feed(relative: str) -> list[Doc]:
    parsed = feedparser.parse((FEEDS / relative).read_bytes())
    docs = []
    for entry in parsed.entries:
        body = (entry.get("content") or [{}])[0].get("value") or entry.get("summary", "")
        text = LexborHTMLParser(body).text(separator=" ") if body else ""
        docs.append(Doc(title=entry.get("title", ""), text=" ".join(text.split())))
    return docs


def _find(relative: str, title_start: str) -> Doc:
    return next(doc for doc in load_feed(relative) if doc.title.startswith(title_start))


def rewrite_headline(title: str, rng: random.Random) -> str:
    kept = [w for w in re.split(r"\s+[-|–]\s+", title)[0].split() if rng.random() > 0.3]
    if len(kept) > 2:
        i = rng.randrange(len(kept) - 1)
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return " ".join(kept + [rng.choice(["officials say", "report", "as it happened", "- update"])])


def trim_last_paragraph(text: str) -> str:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    return "\n".join(paragraphs[:-1]) if len(paragraphs) > 1 else text


def copy_edit(text: str, rng: random.Random, share: float = 0.04) -> str:
    variants = ["said", "says", "told", "on Tuesday", "the", "a", "also", "2024"]
    return " ".join(
        rng.choice(variants) if rng.random() < share else word for word in text.split(" ")
    )


def summary(text: str, limit: int) -> str:
    return " ".join(text.split()[:limit]) + " …"


def edited_copies(doc: Doc, rng: random.Random) -> list[tuple[str, Doc]]:
    new_title = rewrite_headline(doc.title, rng)
    with_byline = f"{BYLINE}\n{doc.text}\n{BOILERPLATE}"
    everything = f"{BYLINE}\n{copy_edit(trim_last_paragraph(doc.text), rng)}\n{BOILERPLATE}"
    return [
        ("edit: rewritten headline", Doc(title=new_title, text=doc.text)),
        ("edit: last paragraph trimmed", Doc(title=doc.title, text=trim_last_paragraph(doc.text))),
        ("edit: byline and boilerplate added", Doc(title=doc.title, text=with_byline)),
        ("edit: 4% of words changed", Doc(title=doc.title, text=copy_edit(doc.text, rng))),
        ("edit: all of the above", Doc(title=new_title, text=everything)),
    ]


def build_pairs(articles: list[Doc], seed: int = 7) -> list[Pair]:
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for number, doc in enumerate(articles):
        story = f"article {number}"
        for kind, copy in edited_copies(doc, rng):
            pairs.append(Pair(kind=kind, a=doc, b=copy, same=True, story=story))
        short_a = Doc(title=doc.title, text=summary(doc.text, 35))
        short_b = Doc(title=rewrite_headline(doc.title, rng), text=summary(doc.text, 55))
        kind = "short: two cut summaries"
        pairs.append(Pair(kind=kind, a=short_a, b=short_b, same=True, story=story))
        teaser = Doc(title=doc.title, text=summary(doc.text, 45))
        kind = "short: teaser against full text"
        pairs.append(Pair(kind=kind, a=doc, b=teaser, same=True, story=story))
    for number, ((file_a, start_a), (file_b, start_b)) in enumerate(REAL_SAME):
        a, b = _find(file_a, start_a), _find(file_b, start_b)
        kind = "real: wire story in two feeds"
        pairs.append(Pair(kind=kind, a=a, b=b, same=True, story=f"wire {number}"))
    for (file_a, start_a), (file_b, start_b) in REAL_EVENT:
        a, b = _find(file_a, start_a), _find(file_b, start_b)
        pairs.append(Pair(kind="real: one event, own write-ups", a=a, b=b, same=None))
    pairs += _same_feed_pairs()
    pairs += _topic_item_pairs()
    pairs += _alike_article_pairs(articles)
    return pairs


def _same_feed_pairs() -> list[Pair]:
    pairs = []
    for relative in NEWS_FEEDS:
        docs = {(d.title, d.text): d for d in load_feed(relative) if d.title}.values()
        for a, b in itertools.combinations(docs, 2):
            pairs.append(Pair(kind="feed: two stories of one outlet", a=a, b=b, same=False))
    return pairs


def _topic_item_pairs() -> list[Pair]:
    path = CORPUS / "topic" / "wikipedia-current-events-central-asia.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    docs = {
        item["headline"]: Doc(title=item["headline"], text=item.get("body") or "") for item in items
    }
    return [
        Pair(kind="topic: Central Asia news items", a=a, b=b, same=False)
        for a, b in itertools.combinations(docs.values(), 2)
    ]


def _alike_article_pairs(articles: list[Doc], count: int = 400) -> list[Pair]:
    """The different benchmark articles that share the most vocabulary."""
    vocab = [set(words(doc.title + " " + doc.text)) for doc in articles]
    ranked = sorted(
        itertools.combinations(range(len(articles)), 2),
        key=lambda ij: -len(vocab[ij[0]] & vocab[ij[1]]) / len(vocab[ij[0]] | vocab[ij[1]]),
    )
    return [
        Pair(kind="articles: most alike different", a=articles[i], b=articles[j], same=False)
        for i, j in ranked[:count]
    ]
