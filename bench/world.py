"""The world the benchmark polls: N feeds of M news items, a fifth of them carried by two
feeds, and the change that replaces a fifth of every feed's items.

Items share text the way real news does: an English item is its own lede and three real paragraphs
(the article bodies of the corpus's extraction benchmark, each reused in about twenty unrelated
items, as wire paragraphs, quotes and boilerplate are), so that many stored articles share a
paragraph without being one story. Of the stories two feeds carry, half are cross-posted under
the same link with tracking parameters, half syndicated: the second feed's copy is cut to its
first two paragraphs (the story's own lede and a real one) under a longer headline and a link of
its own (one story, two articles).

Everything is a pure function of (seed, feeds, items, generation), so two runs serve the same
bytes and a feed's ETag only changes when its items do.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20261128
SHARE_EVERY = 5  # one item in five is a story that another feed carries too
PARTNER_OFFSETS = (1, 7, 31, 113, 401)  # who shares a slot's story with whom (see story_key)
RUSSIAN_SHARE = 1 / 6
WATCH_TERM_SHARE = 0.04  # sentences that name a watched subject (SCO, Rogun, NATO)
EPOCH = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ITEM_SPACING = timedelta(minutes=17)

ENGLISH = (  # noqa: SIM905 (a word list reads better as prose)
    "government minister talks border trade energy security water dam reservoir river summit "
    "delegation agreement pipeline railway corridor investment loan bank export import grain "
    "cotton prices inflation election parliament president opposition protest court ruling "
    "sanctions defence troops exercise alliance region capital province officials reported "
    "said according statement meeting visit cooperation project construction power station "
    "turbine capacity electricity shortage winter spring drought flood harvest farmers workers "
    "migrants remittances currency budget deficit tax reform law journalists media internet "
    "the a of in on for with from by at to and as after before during while new first last "
    "second third major local national foreign international regional economic political "
    "military diplomatic joint annual historic controversial planned delayed approved signed "
    "announced confirmed denied warned called urged agreed expected launched completed opened"
).split()
_RUSSIAN = (  # noqa: SIM905
    "правительство министр переговоры граница торговля энергетика безопасность вода плотина "
    "водохранилище река саммит делегация соглашение трубопровод железная дорога инвестиции "
    "кредит экспорт зерно хлопок цены выборы парламент президент суд санкции учения регион "
    "столица заявил сообщил встреча визит сотрудничество строительство электростанция "
    "мощность электроэнергия зима весна урожай рабочие мигранты бюджет закон журналисты "
    "в на с по из для и после перед во время новый первый крупный местный национальный"
).split()
WATCH_TERMS = (
    "SCO",
    "the Shanghai Cooperation Organisation",
    "the Rogun dam",
    "Rogun",
    "NATO",
    "the North Atlantic Treaty",
)
_WATCH_TERMS_RU = ("ШОС", "Рогунской ГЭС", "Рогун", "НАТО")
_SYLLABLES = "ka ro gu na ta ji ki sh an da be ra mo zo lu ve ni te sa mi ob ur al is".split()  # noqa: SIM905
_SITES = ("news.example.org", "www.example.com", "daily.example.net", "asia.example.info")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BODIES = CORPUS / "articles" / "article-extraction-benchmark" / "ground-truth.json"
PARAGRAPHS_PER_ITEM = 3
MIN_PARAGRAPH_WORDS = 30  # a news paragraph: long enough to be one, short enough that three
MAX_PARAGRAPH_WORDS = 90  # make an item (a longer one would be most of the item it is in)


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    feeds: int
    items: int
    generation: int = 0
    seed: int = SEED
    epoch: datetime = EPOCH  # when story 0 was published; stories follow every ITEM_SPACING


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    key: str
    title: str
    link: str
    guid: str
    summary_html: str
    author: str
    published: datetime
    russian: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedDocument:
    """One feed as served: its bytes and the validators a conditional GET is checked against."""

    path: str
    body: bytes
    content_type: str
    etag: str
    last_modified: str


def recent_epoch(now: datetime, items: int) -> datetime:
    """An epoch that makes the newest items of the first change about an hour old at ``now``."""
    return now - ITEM_SPACING * (items + items // SHARE_EVERY) - timedelta(hours=1)


def changed(world: World) -> World:
    """The world after every feed replaced a fifth of its items with new ones."""
    return replace(world, generation=world.generation + 1)


def feed_path(index: int) -> str:
    return f"/feeds/{index:05d}.xml"


def feed_window(world: World) -> range:
    """The story sequence numbers a feed shows now: each change slides it by a fifth."""
    start = world.generation * (world.items // SHARE_EVERY)
    return range(start, start + world.items)


def feed_stories(world: World, index: int) -> list[Story]:
    """A feed's items, newest first."""
    return [_story_at(world, index, seq) for seq in reversed(feed_window(world))]


def story_keys(world: World) -> set[str]:
    """Every distinct article the world holds right now (a cross-post counted once, a
    syndicated copy on its own: it has a link of its own)."""
    return {article_key(world, i, seq) for i in range(world.feeds) for seq in feed_window(world)}


def article_key(world: World, index: int, seq: int) -> str:
    """The article slot ``seq`` of feed ``index`` holds: its story, or the story's syndicated
    copy (the second feed of every other shared slot)."""
    key = story_key(world, index, seq)
    return key + "~cut" if _syndicated(key, index) else key


def _syndicated(key: str, index: int) -> bool:
    if not key.startswith("s-"):
        return False
    _, first, _, seq = key.split("-")
    return (int(seq) // SHARE_EVERY) % 2 == 1 and index != int(first)


def render(world: World, index: int) -> FeedDocument:
    """A feed as RSS 2.0, or as Atom for one feed in four, with stable validators."""
    stories = feed_stories(world, index)
    atom = index % 4 == 3
    body = (_atom if atom else _rss)(world, index, stories)
    newest = max(s.published for s in stories)
    return FeedDocument(
        path=feed_path(index),
        body=body,
        content_type="application/atom+xml" if atom else "application/rss+xml; charset=utf-8",
        etag='"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
        last_modified=format_datetime(newest.astimezone(UTC), usegmt=True),
    )


def story_key(world: World, index: int, seq: int) -> str:
    """Which story slot ``seq`` of feed ``index`` holds.

    One slot in five holds a story shared by two feeds: at such a slot feed i and feed
    (d - i) mod N show the same story, d varying with the slot so that pairs spread out. The
    pairing is its own inverse, so both feeds show the story in the same slot and drop it
    together when the window slides (a feed that pairs with itself keeps a story of its own).
    """
    if seq % SHARE_EVERY == 0:
        offset = PARTNER_OFFSETS[(seq // SHARE_EVERY) % len(PARTNER_OFFSETS)]
        partner = (offset - index) % world.feeds
        if partner != index:
            return f"s-{min(index, partner)}-{max(index, partner)}-{seq}"
    return f"f-{index}-{seq}"


def _story_at(world: World, index: int, seq: int) -> Story:
    key = story_key(world, index, seq)
    story = _story(world.seed, world.epoch, key, seq)
    if key.startswith("f-"):
        return story
    if _syndicated(key, index):  # the first paragraph under a longer headline, its own link
        rng = random.Random(f"{world.seed}:{key}:cut")
        site = f"syndicated{index}.example.org"
        return replace(
            story,
            key=key + "~cut",
            title=f"{story.title}: what we know so far about the story",
            link=f"https://{site}/{key.replace('-', '/')}/copy.html",
            guid=f"feed{index}-{key}-copy",
            summary_html=_summary_html(rng, _opening(story.summary_html), site),
        )
    # Cross-posts carry their own guid and tracking parameters; the URL is the same story.
    return replace(
        story,
        guid=f"feed{index}-{story.key}",
        link=f"{story.link}?utm_source=feed{index}&utm_medium=rss",
    )


@cache
def name_pool(seed: int) -> tuple[str, ...]:
    rng = random.Random(seed)
    return tuple(
        "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))).capitalize() for _ in range(3000)
    )


def make_sentence(rng: random.Random, names: tuple[str, ...], russian: bool) -> str:
    """Words drawn afresh for every story, so unrelated stories share no sentences (as in life)."""
    words = rng.choices(_RUSSIAN if russian else ENGLISH, k=rng.randint(9, 22))
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice(names))
    if rng.random() < WATCH_TERM_SHARE:
        terms = _WATCH_TERMS_RU if russian else WATCH_TERMS
        words.insert(rng.randrange(len(words)), rng.choice(terms))
    sentence = " ".join(words)
    return sentence[0].upper() + sentence[1:] + "."


def _story(seed: int, epoch: datetime, key: str, seq: int) -> Story:
    rng = random.Random(f"{seed}:{key}")
    names = name_pool(seed)
    russian = rng.random() < RUSSIAN_SHARE
    # A Russian story still quotes the odd English sentence, and the other way round.
    sentences = [
        make_sentence(rng, names, russian if rng.random() < 0.85 else not russian)
        for _ in range(rng.randint(4, 9))
    ]
    sentences[0] = make_sentence(rng, names, russian)
    title = sentences[0].rstrip(".")[:90].rsplit(" ", 1)[0] + f" ({seq})"
    site = rng.choice(_SITES)
    slug = key.replace("-", "/")
    if russian:
        paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    else:  # its own lede (where a watched subject may be named), then real paragraphs
        paragraphs = [" ".join(sentences[:2]), *story_paragraphs(seed, key)]
    return Story(
        key=key,
        title=title,
        link=f"https://{site}/{slug}/story.html",
        guid=f"https://{site}/{slug}/story.html",
        summary_html=_summary_html(rng, paragraphs, site),
        author=rng.choice(("Staff", "Reuters", "AP", "Рустам Каримов", "Dilnoza Yusupova")),
        published=epoch + ITEM_SPACING * seq,
        russian=russian,
    )


def _opening(summary_html: str) -> list[str]:
    """The text of a story's first two paragraphs as served: its lede and the paragraph after."""
    texts = re.findall(r"<p>(.*?)</p>", summary_html, flags=re.S)[:2]
    return [html.unescape(re.sub(r"<[^>]+>", "", text)) for text in texts]


@cache
def _paragraph_pool() -> tuple[str, ...]:
    """Every paragraph of the corpus's real article bodies long enough to be one."""
    try:
        items = json.loads(BODIES.read_text(encoding="utf-8")).values()
    except OSError as exc:
        raise SystemExit(f"bench: the corpus's article bodies are needed: {BODIES}: {exc}") from exc
    return tuple(
        " ".join(p.split())
        for item in items
        for p in item["articleBody"].split("\n")
        if MIN_PARAGRAPH_WORDS <= len(p.split()) <= MAX_PARAGRAPH_WORDS
    )


@cache
def paragraph_words() -> tuple[str, ...]:
    """Words of 7+ letters found in only one or two paragraphs of the pool, sorted: watch terms
    are names and specific words, so each matches the few dozen items its paragraphs are in."""
    seen: dict[str, int] = {}
    for paragraph in _paragraph_pool():
        for word in {w.lower() for w in paragraph.split() if w.isalpha() and len(w) > 6}:
            seen[word] = seen.get(word, 0) + 1
    return tuple(sorted(w for w, n in seen.items() if n <= 2))


def story_paragraphs(seed: int, key: str) -> tuple[str, ...]:
    """A story's real paragraphs, drawn from the pool: each is reused by about
    (stories x PARAGRAPHS_PER_ITEM / pool size) unrelated stories."""
    pool = _paragraph_pool()
    rng = random.Random(f"{seed}:{key}:paragraphs")
    return tuple(pool[i] for i in rng.sample(range(len(pool)), PARAGRAPHS_PER_ITEM))


def _summary_html(rng: random.Random, texts: list[str] | tuple[str, ...], site: str) -> str:
    """Paragraphs with links, inline markup, entities and the odd image, as CMSs write them."""
    paragraphs = []
    for text in texts:
        words = text.split(" ")
        if len(words) > 6 and rng.random() < 0.6:
            at = rng.randrange(1, len(words) - 3)
            href = f"https://{site}/topic/{rng.randrange(10_000)}"
            words[at] = f'<a href="{href}">{words[at]} {words[at + 1]}</a>'
            del words[at + 1]
        if len(words) > 4 and rng.random() < 0.4:
            at = rng.randrange(len(words))
            words[at] = f"<strong>{words[at]}</strong>"
        text = " ".join(words).replace(" and ", " &amp; ", 1).replace("s ", "&#8217;s ", 1)
        if rng.random() < 0.3:
            text = f"&quot;{text}&quot;&nbsp;&mdash; {rng.choice(('officials', 'агентство'))}"
        paragraphs.append(f"<p>{text}</p>")
    if rng.random() < 0.3:
        image = f'<img src="https://{site}/img/{rng.randrange(10**6)}.jpg" alt="" width="640"/>'
        paragraphs.insert(0, image)
    return "\n".join(paragraphs)


def _rss(world: World, index: int, stories: list[Story]) -> bytes:
    items = "".join(
        "<item>"
        f"<title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
        f'<guid isPermaLink="false">{escape(s.guid)}</guid>'
        f"<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate>"
        f"<dc:creator>{escape(s.author)}</dc:creator><category>news</category>"
        f"<description>{escape(s.summary_html)}</description>"
        "</item>\n"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
        f"<title>Bench feed {index}</title><link>https://feeds.example.org/{index}/</link>"
        f"<description>Regional news desk {index}</description><language>en</language>\n"
        + items
        + "</channel></rss>\n"
    ).encode()


def _atom(world: World, index: int, stories: list[Story]) -> bytes:
    entries = "".join(
        "<entry>"
        f'<title>{escape(s.title)}</title><link rel="alternate" href="{escape(s.link)}"/>'
        f"<id>{escape(s.guid)}</id><updated>{s.published.isoformat()}</updated>"
        f"<author><name>{escape(s.author)}</name></author>"
        f'<summary type="html">{escape(s.summary_html)}</summary>'
        "</entry>\n"
        for s in stories
    )
    updated = max(s.published for s in stories).isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>Bench feed {index}</title><id>urn:bench:feed:{index}</id>"
        f'<link rel="alternate" href="https://feeds.example.org/{index}/"/>'
        f"<updated>{updated}</updated>\n" + entries + "</feed>\n"
    ).encode()
