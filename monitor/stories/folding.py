"""Which story each new article joins, and the index keys to file it under: one pure decision
over a snapshot of the story index (DESIGN §5), the one the service runs and the calibration
bench measures.

The store loads the snapshot (``Filed`` rows under the keys the batch looks up, then the
fingerprints of the members ``members_to_compare`` names), calls ``fold``, and writes what it
returns. The decision does not depend on the order copies arrive in, as far as the index finds each
copy's near duplicates: candidates are ranked by counts and ids, never by arrival, similarity is
symmetric, an article that resembles two stories as a whole makes them one, and a story's id is the smallest
id among its members, so a story that gains a member with a smaller id is renamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.stories.neardup import THRESHOLD, Fingerprint, resemblance, similarity, without

# A key filed by more stories than this within the fold window is boilerplate (a footer, a
# sign-up line, a phrase every outlet uses), not evidence: it makes no candidates and is not
# counted as shared text, and it is filed no more, so its postings stop growing.
HOT_KEY_STORIES = 12
# Stories compared per new article at most, those sharing the most keys with it first, and
# members compared per story: the cost of joining a story is bounded whatever the archive holds
# and however many copies the story has.
MAX_CANDIDATE_STORIES = 6
MEMBERS_PER_STORY = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Filed:
    """One row of the story index: an article filed under a key, and its story's id."""

    key: int
    article_id: str
    story: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Newcomer:
    """An article to place: its id and fingerprint (None folds nothing), and its story's id
    when it has one already (an article whose page text arrived later keeps its story)."""

    id: str
    # bytes are decoded when used: a batch of 10,000 articles decoded at once held ~100 MB
    fingerprint: Fingerprint | bytes | None
    story: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Joined:
    article_id: str
    story: str  # the story's id once the whole batch is placed
    keys: tuple[int, ...]  # index keys to file the article under


@dataclass(frozen=True, slots=True, kw_only=True)
class Folding:
    """What to write: each newcomer's story and keys, and the stored stories to rename."""

    joined: tuple[Joined, ...]
    renamed: Mapping[str, str]  # stored story id -> its id from now on


def lookup_keys(batch: Iterable[Newcomer]) -> list[int]:
    """The keys whose rows the snapshot must hold: every key the batch looks copies up by."""
    return sorted({key for n in batch if (fp := _fp(n.fingerprint)) for key in fp.probe_keys()})


def members_to_compare(filed: Iterable[Filed], batch: Sequence[Newcomer]) -> set[str]:
    """The stored articles whose fingerprints ``fold`` compares the batch with."""
    index = _Index(filed)
    wanted: set[str] = set()
    for n in batch:
        fp = _fp(n.fingerprint)
        if fp and fp.foldable:
            for members in index.candidates(fp.probe_keys(), n.id)[0].values():
                wanted.update(members)
    return wanted


def fold(
    filed: Iterable[Filed],
    fingerprints: Mapping[str, Fingerprint | bytes],
    batch: Sequence[Newcomer],
) -> Folding:
    """Place each article of ``batch``, in turn (an article is a candidate for those after it),
    given the index rows ``filed`` and the ``fingerprints`` of the members to compare."""
    index = _Index(filed)
    known: dict[str, Fingerprint | bytes | None] = dict(fingerprints)
    placed: list[tuple[str, str, tuple[int, ...]]] = []
    for n in batch:
        fp = _fp(n.fingerprint)
        stories = [index.resolve(n.story)] if n.story else []
        if not stories and fp is not None and fp.foldable:
            stories = _repeated(index, known, n.id, fp)
        # The smallest id among the article and the stories it repeats names the story, whoever
        # came first; an article that resembles two stories as a whole makes them one.
        story = min([n.id, *stories])
        for other in stories:
            if other != story:
                index.rename(other, story)
        keys = index.file(n.id, story, fp.index_keys() if fp else ())
        if fp is not None:
            known[n.id] = n.fingerprint  # as given: bytes stay bytes
        placed.append((n.id, story, keys))
    joined = tuple(Joined(article_id=a, story=index.resolve(s), keys=k) for a, s, k in placed)
    return Folding(joined=joined, renamed=index.renamed())


def _repeated(
    index: _Index, known: Mapping[str, Fingerprint | bytes | None], own: str, fp: Fingerprint
) -> list[str]:
    """The candidate stories ``fp`` belongs to: every one it resembles as a whole (Jaccard
    resemblance at or above THRESHOLD) or holds a copy of (it is the longer text: a full story
    after its cut-short copies), else the one it is nearest to (the smallest id on a tie): a
    short text found in several stories (a shared wire paragraph) joins one and merges none.
    Each story is compared through its members that share most keys with ``fp``."""
    stories, hot = index.candidates(fp.probe_keys(), own)
    fp = without(fp, hot)
    resembling: list[str] = []
    best: tuple[float, str] | None = None
    for story, members in stories.items():
        compared = [without(f, hot) for m in members if (f := _fp(known.get(m)))]
        resembled = [resemblance(fp, other) for other in compared]
        scores = [similarity(fp, o, r) for o, r in zip(compared, resembled, strict=True)]
        # evidence enough to merge: the texts resemble, or this one holds the other whole
        if any(
            r >= THRESHOLD or (score >= THRESHOLD and fp.shingles >= other.shingles)
            for other, r, score in zip(compared, resembled, scores, strict=True)
        ):
            resembling.append(story)
        score = max(scores, default=0.0)
        if score >= THRESHOLD and (best is None or (-score, story) < (-best[0], best[1])):
            best = (score, story)
    if resembling:
        return resembling
    return [best[1]] if best else []


def _fp(value: Fingerprint | bytes | None) -> Fingerprint | None:
    """A fingerprint, decoded from its bytes if need be (None: none, or a format unknown)."""
    if value is None or isinstance(value, Fingerprint):
        return value
    try:
        return Fingerprint.from_bytes(value) if value else None
    except ValueError:
        return None


class _Index:
    """The snapshot's postings (key -> story -> members), as the batch changes them."""

    def __init__(self, filed: Iterable[Filed]) -> None:
        self._postings: dict[int, dict[str, list[str]]] = {}
        self._keys: dict[str, set[int]] = {}  # story -> the keys it is filed under
        self._alias: dict[str, str] = {}  # a story's former id -> its id now
        self._stored: set[str] = set()  # ids of the stories the snapshot holds
        for row in filed:
            self._postings.setdefault(row.key, {}).setdefault(row.story, []).append(row.article_id)
            self._keys.setdefault(row.story, set()).add(row.key)
            self._stored.add(row.story)

    def resolve(self, story: str) -> str:
        while story in self._alias:
            story = self._alias[story]
        return story

    def rename(self, story: str, new: str) -> None:
        self._alias[story] = new
        keys = self._keys.pop(story, set())
        self._keys.setdefault(new, set()).update(keys)
        for key in keys:
            stories = self._postings[key]
            stories.setdefault(new, []).extend(stories.pop(story))

    def renamed(self) -> dict[str, str]:
        return {old: self.resolve(old) for old in self._alias if old in self._stored}

    def candidates(
        self, keys: Iterable[int], own: str
    ) -> tuple[dict[str, list[str]], frozenset[int]]:
        """Up to MAX_CANDIDATE_STORIES stories sharing a key with ``keys`` (those sharing the
        most first, then the smallest id), each with the MEMBERS_PER_STORY members sharing the
        most; and the hot keys among ``keys``, which count for nothing."""
        shared: dict[str, dict[str, int]] = {}
        hot = set()
        for key in keys:
            stories = self._postings.get(key)
            if not stories:
                continue
            if len(stories) > HOT_KEY_STORIES:
                hot.add(key)
                continue
            for story, members in stories.items():
                counts = shared.setdefault(story, {})
                for member in members:
                    if member != own:
                        counts[member] = counts.get(member, 0) + 1
        ranked = sorted(
            (story for story, counts in shared.items() if counts),
            key=lambda s: (-max(shared[s].values()), s),
        )
        chosen = {
            story: sorted(shared[story], key=lambda m: (-shared[story][m], m))[:MEMBERS_PER_STORY]
            for story in ranked[:MAX_CANDIDATE_STORIES]
        }
        return chosen, frozenset(hot)

    def file(self, article: str, story: str, keys: Iterable[int]) -> tuple[int, ...]:
        """Add ``article`` to the postings of ``keys``; returns the keys to write: those its
        story is not filed under yet and that are not hot. Copies of one story repeat its keys,
        so its postings grow with what is new, not with copies."""
        filed = []
        for key in keys:
            stories = self._postings.setdefault(key, {})
            if story not in stories and len(stories) <= HOT_KEY_STORIES:
                filed.append(key)
            stories.setdefault(story, []).append(article)
            self._keys.setdefault(story, set()).add(key)
        return tuple(filed)
