"""Near-duplicate detection: bottom-k sketches of word shingles and how near two of them are.

A fingerprint keeps the k smallest 64-bit hashes of the article's word shingles (title and
text, normalised). Two sketches estimate the Jaccard resemblance of the shingle sets; the story
index (stories/folding.py) finds candidates through the values a fingerprint is filed under and
confirms them with that estimate. Parameters were chosen on labelled real articles by
bench/neardup_calibration.py, which runs that same folding.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SKETCH_SIZE = 128
SHINGLE_WORDS = 4
THRESHOLD = 0.45
# Texts with fewer distinct shingles than this are never folded: a headline and a one-line
# summary share too little text to tell a rewrite of one story from two stories on one topic.
MIN_SHINGLES = 12
# Only the smallest sketch values are indexed: two texts above the threshold share some of
# them. An article is filed under its INDEX_KEYS smallest values and looks up its PROBE_KEYS
# smallest: filing is a random write into the index's B-tree under the single write lock (at 8
# keys, most of a cold run's storing), looking up is a cheap read. Measured on the calibration
# set (1272 copies): filed under 4 and probing 8 finds 1265, as do 8/8 and all 128 values;
# 4/4 finds 1259, 16/16 finds 1266; no setting folds different stories.
INDEX_KEYS = 4
PROBE_KEYS = 8
# Containment is discounted against resemblance: it needs more evidence to fold two texts.
CONTAINMENT_WEIGHT = 0.7
# The lead: every shingle hash of the text's first LEAD_SHINGLES shingles (the title left out,
# since copies re-word it). A copy cut to its first sentences is all lead, and the lead of the
# full story holds it; the bottom-k sketch of the full story keeps too few of the short copy's
# shingles to tell.
LEAD_SHINGLES = 96
MIN_LEAD = 16  # a shorter lead is a headline or a line, not evidence
LEAD_THRESHOLD = 0.6  # share of the shorter lead found in the other lead
# The lead only speaks for a copy cut short: the shorter text must be all lead (its headline
# aside, up to HEADLINE_SHINGLES). Two long articles that open with the same paragraph (a wire
# paragraph reused in a rewrite, a quote) are different stories: of 2,000 pairs of real
# three-paragraph articles sharing their first paragraph, 698 folded without this condition,
# 41 with it (their shared paragraph most of both texts); the calibration's recall went from
# 0.998 to 0.994 (five heavily edited copies below the threshold).
HEADLINE_SHINGLES = 32
# The opening: the smallest hashes of the text's first OPENING_SHINGLES shingles, which a cut-short
# copy and its full story share whole, whichever is stored first. Filed under its
# LEAD_INDEX_KEYS smallest, looked up by LEAD_PROBE_KEYS. (Keys taken from the whole lead were
# one-sided: of 151 real stories cut to three sentences, 10 copies stored after their full story
# shared no key with it, while 1 full story stored after its copy did.)
OPENING_SHINGLES = 24
LEAD_INDEX_KEYS = 4
LEAD_PROBE_KEYS = 8

_WORD = re.compile(r"\w+")
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# 4: with the opening; 3: with the lead; 2: CRC-32/Adler-32 hashes (1 was BLAKE2b, 2.5x slower)
_FORMAT_VERSION = 4
_HEADER_V2 = struct.Struct("<BHI")  # version, sketch length, distinct shingles
_HEADER_V3 = struct.Struct("<BHIH")  # version 3: ... and lead length
_HEADER = struct.Struct("<BHIHB")  # version 4: ... and opening length


@dataclass(frozen=True, slots=True, kw_only=True)
class Fingerprint:
    """The bottom-k sketch of one article (ascending hashes) and its number of shingles."""

    hashes: tuple[int, ...]
    shingles: int
    lead: tuple[int, ...] = ()  # ascending hashes of the text's first LEAD_SHINGLES shingles
    # the LEAD_PROBE_KEYS smallest hashes of its first OPENING_SHINGLES shingles, ascending
    opening: tuple[int, ...] = ()

    def to_bytes(self) -> bytes:
        values = self.hashes + self.lead + self.opening
        return _HEADER.pack(
            _FORMAT_VERSION, len(self.hashes), self.shingles, len(self.lead), len(self.opening)
        ) + struct.pack(f"<{len(values)}Q", *values)

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        version = data[0] if data else 0
        if version == 2:  # stored before the lead existed: folds by resemblance only
            _, length, shingles = _HEADER_V2.unpack_from(data)
            if len(data) == _HEADER_V2.size + 8 * length:
                hashes = struct.unpack_from(f"<{length}Q", data, _HEADER_V2.size)
                return cls(hashes=hashes, shingles=shingles)
        elif version == 3 and len(data) >= _HEADER_V3.size:
            _, length, shingles, lead = _HEADER_V3.unpack_from(data)
            if len(data) == _HEADER_V3.size + 8 * (length + lead):
                values = struct.unpack_from(f"<{length + lead}Q", data, _HEADER_V3.size)
                # filed under its lead's smallest values then: they stand for the opening
                return cls(
                    hashes=values[:length],
                    shingles=shingles,
                    lead=values[length:],
                    opening=values[length : length + LEAD_PROBE_KEYS],
                )
        elif version == _FORMAT_VERSION and len(data) >= _HEADER.size:
            _, length, shingles, lead, opening = _HEADER.unpack_from(data)
            total = length + lead + opening
            if len(data) == _HEADER.size + 8 * total:
                values = struct.unpack_from(f"<{total}Q", data, _HEADER.size)
                return cls(
                    hashes=values[:length],
                    shingles=shingles,
                    lead=values[length : length + lead],
                    opening=values[length + lead :],
                )
        raise ValueError(f"not a version {_FORMAT_VERSION} fingerprint ({len(data)} bytes)")

    def index_keys(self) -> tuple[int, ...]:
        """The values an index files this article under (signed, as SQLite stores them)."""
        return self._signed(INDEX_KEYS, LEAD_INDEX_KEYS)

    def probe_keys(self) -> tuple[int, ...]:
        """The values to look this article's near duplicates up by (a superset of
        ``index_keys``: a copy's smallest values are among this article's few smallest)."""
        return self._signed(PROBE_KEYS, LEAD_PROBE_KEYS)

    def _signed(self, count: int, lead: int) -> tuple[int, ...]:
        if not self.foldable:
            return ()
        values = self.hashes[:count] + (self.opening[:lead] if len(self.lead) >= MIN_LEAD else ())
        return tuple(dict.fromkeys(v - (1 << 64) if v >= 1 << 63 else v for v in values))

    @property
    def foldable(self) -> bool:
        """Whether there is enough text to call this a near duplicate of anything."""
        return self.shingles >= MIN_SHINGLES


def words(text: str) -> list[str]:
    """Case-, width- and accent-folded words, so that typographic edits do not count."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return _WORD.findall(folded)


def shingles(title: str, text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The distinct runs of ``size`` consecutive words of the title followed by the text."""
    tokens = words(title) + words(text)
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return set(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))


def fingerprint(title: str, text: str, size: int = SHINGLE_WORDS) -> Fingerprint:
    """The sketch of an article's normalised title and text, with the lead of its text."""
    title_words, text_words = words(title), words(text)
    tokens = title_words + text_words
    if len(tokens) < size:
        return sketch({" ".join(tokens)} if tokens else set())
    # _hash64 inlined: this runs once per shingle of every new article
    crc32, adler32 = zlib.crc32, zlib.adler32
    hashed = [
        crc32(data) << 32 | adler32(data)
        for data in map(
            str.encode, map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False))
        )
    ]
    start = len(title_words)  # the first shingle wholly inside the text
    distinct = set(hashed)
    return Fingerprint(
        hashes=tuple(sorted(distinct)[:SKETCH_SIZE]),
        shingles=len(distinct),
        lead=tuple(sorted(set(hashed[start : start + LEAD_SHINGLES]))),
        opening=tuple(sorted(set(hashed[start : start + OPENING_SHINGLES]))[:LEAD_PROBE_KEYS]),
    )


def fingerprints(texts: Sequence[tuple[str, str]]) -> list[Fingerprint]:
    """The sketch of each (title, text) pair."""
    return [fingerprint(title, text) for title, text in texts]


def fingerprint_bytes(texts: Sequence[tuple[str, str]]) -> list[bytes]:
    """The sketch of each (title, text) pair, serialised: the compact form to send between
    processes."""
    return [fingerprint(title, text).to_bytes() for title, text in texts]


def sketch(shingle_set: set[str]) -> Fingerprint:
    """The bottom-k sketch of a set of shingles (without a lead)."""
    hashed = {_hash64(data) for data in map(str.encode, shingle_set)}
    return Fingerprint(hashes=tuple(sorted(hashed)[:SKETCH_SIZE]), shingles=len(hashed))


def without(fp: Fingerprint, common: Iterable[int]) -> Fingerprint:
    """``fp`` without the given values (index keys, signed or not): boilerplate shared by
    many stories is not shared text."""
    drop = {v & 0xFFFF_FFFF_FFFF_FFFF for v in common}
    if not drop:
        return fp
    return Fingerprint(
        hashes=tuple(v for v in fp.hashes if v not in drop),
        shingles=fp.shingles,
        lead=tuple(v for v in fp.lead if v not in drop),
        opening=tuple(v for v in fp.opening if v not in drop),
    )


def resemblance(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard resemblance of the two shingle sets (exact when both are small): the
    share of the union's SKETCH_SIZE smallest values that both sketches hold."""
    if not a.hashes or not b.hashes:
        return 0.0
    in_b = set(b.hashes)
    # one sort of at most 2 x SKETCH_SIZE values in C (heapq.nsmallest took 60% of a fold)
    union = sorted(in_b.union(a.hashes))[:SKETCH_SIZE]
    cutoff = union[-1]
    return sum(1 for value in a.hashes if value <= cutoff and value in in_b) / len(union)


def containment(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated share of the smaller text's shingles found in the larger one: a wire story's
    cut-short summary against a fuller one. 0 when too few shingles can be compared."""
    if not a.hashes or not b.hashes:
        return 0.0
    small, large = (a, b) if a.shingles <= b.shingles else (b, a)
    # Below the smaller of the two largest kept hashes both sketches hold every shingle hash.
    limit = min(small.hashes[-1], large.hashes[-1])
    compared = [value for value in small.hashes if value <= limit]
    if len(compared) < MIN_SHINGLES:
        return 0.0
    in_large = set(large.hashes)
    return sum(1 for value in compared if value in in_large) / len(compared)


def lead_containment(a: Fingerprint, b: Fingerprint) -> float:
    """Share of the shorter lead found in the other: a copy cut to the story's first sentences
    against the full story (or a copy that goes on where the other stopped)."""
    small, large = (a.lead, b.lead) if len(a.lead) <= len(b.lead) else (b.lead, a.lead)
    if len(small) < MIN_LEAD:
        return 0.0
    in_large = set(large)
    return sum(1 for value in small if value in in_large) / len(small)


def similarity(a: Fingerprint, b: Fingerprint, resembling: float | None = None) -> float:
    """How near two articles are, 0 to 1; at or above THRESHOLD they are one story.
    ``resembling``: their ``resemblance`` when the caller has it already."""
    if not (a.foldable and b.foldable):
        return 0.0
    if resembling is None:
        resembling = resemblance(a, b)
    score = max(resembling, CONTAINMENT_WEIGHT * containment(a, b))
    if score < THRESHOLD and cut_short(a, b) and lead_containment(a, b) >= LEAD_THRESHOLD:
        return THRESHOLD  # one story: the same opening, one copy cut shorter
    return score


def cut_short(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether the shorter of two texts is all opening (a copy cut to its first sentences),
    so that their leads may tell whether they are one story."""
    small = a if a.shingles <= b.shingles else b
    return small.shingles <= len(small.lead) + HEADLINE_SHINGLES


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    return similarity(a, b) >= THRESHOLD


def _hash64(data: bytes) -> int:
    # A min-hash needs uniform, stable (across processes) hashes, not a cryptographic one:
    # CRC-32 orders the sketch, Adler-32 breaks its ties; both are single C calls.
    return zlib.crc32(data) << 32 | zlib.adler32(data)
