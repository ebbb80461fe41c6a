"""An archive of articles kept in memory that stores through the service's own folding
(monitor.stories.folding): it loads the snapshot a batch needs, calls ``fold``, and applies the
result, as the store does with SQL."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.stories.folding import (
    Filed,
    Newcomer,
    fold,
    lookup_keys,
    members_to_compare,
)
from monitor.stories.neardup import Fingerprint


class MemoryArchive:
    def __init__(self) -> None:
        self.story: dict[str, str] = {}  # article id -> its story's id
        self.fingerprints: dict[str, Fingerprint] = {}
        self._filed: dict[int, list[str]] = {}  # key -> articles filed under it, in filing order
        self.compared = 0  # fingerprints loaded to compare, in all

    def store(self, batch: Sequence[tuple[str, Fingerprint]]) -> None:
        """Store a batch of new articles (``(id, fingerprint)``, ids not stored yet)."""
        newcomers = [Newcomer(id=i, fingerprint=fp) for i, fp in batch]
        self._apply(newcomers)

    def refile(self, article_id: str, fp: Fingerprint) -> None:
        """A stored article's fingerprint replaced (its page text arrived): alone in its story,
        it may join another; otherwise it stays and files its new keys."""
        story = self.story[article_id]
        alone = sum(1 for s in self.story.values() if s == story) == 1
        self._apply([Newcomer(id=article_id, fingerprint=fp, story=None if alone else story)])

    def find(self, fp: Fingerprint) -> str | None:
        """The story a new article with ``fp`` would join, if any (nothing is stored)."""
        probe = "\uffff"  # larger than any id: it renames nothing
        newcomer = Newcomer(id=probe, fingerprint=fp)
        filed = self._snapshot([newcomer])
        needed = members_to_compare(filed, [newcomer])
        found = fold(filed, {m: self.fingerprints[m] for m in needed}, [newcomer]).joined[0]
        return None if found.story == probe else found.story

    def _snapshot(self, batch: Sequence[Newcomer]) -> list[Filed]:
        return [
            Filed(key=key, article_id=a, story=self.story[a])
            for key in lookup_keys(batch)
            for a in self._filed.get(key, ())
        ]

    def _apply(self, batch: Sequence[Newcomer]) -> None:
        filed = self._snapshot(batch)
        needed = members_to_compare(filed, batch)
        self.compared += len(needed)
        result = fold(filed, {m: self.fingerprints[m] for m in needed}, batch)
        for old, new in result.renamed.items():
            self.story = {a: new if s == old else s for a, s in self.story.items()}
        for n, joined in zip(batch, result.joined, strict=True):
            self.story[joined.article_id] = joined.story
            if n.fingerprint is not None:
                self.fingerprints[n.id] = n.fingerprint
            for key in joined.keys:
                self._filed.setdefault(key, []).append(joined.article_id)
