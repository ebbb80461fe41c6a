"""An entity compiled from its base forms: what `@Name` matches in an article's words.

Each base form is a term or a phrase of the rule language. A form written ``{in braces}``, one
with a wildcard, and one in a script written without spaces (Chinese, Japanese) is matched as
that term, exactly as the rule language would. Any other form's words each become an
``EntityWord``: a word of the article stands for it when its skeleton (spelling.py) is one of
the word's stems followed by an ending that stem may take (endings.py), and it is not one of
the entity's ``not`` words. A phrase needs all its words, adjacent and in order, each inflected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import cast

from monitor.rules.entities.endings import Stem, stems
from monitor.rules.entities.spelling import prefixes, search_prefixes, skeleton, stem_anchors
from monitor.rules.index import STEM_HITS, Anchor, anchors
from monitor.rules.stemindex import PREFIX_LETTERS as SHORT_LETTERS
from monitor.rules.stemindex import STEM_LETTERS
from monitor.rules.syntax import And, Node, Or, RuleSyntaxError, Term, Word
from monitor.rules.tokens import CJK_CHAR, split_words
from monitor.rules.view import FieldView, Span

_MAX_HEADS = 12  # a short stem's endings' beginnings worth spelling out for the rule index
_MIN_SWAP = 5  # stems at least this long also match with one a written o (Islam, Islom)
_APOSTROPHE = frozenset("'`’‘")
_SPLIT_BY_APOSTROPHE = re.compile(r"[^\W\d_]['`’‘][^\W\d_]")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)  # by identity: cheap to hash
class EntityWord:
    """One word of a base form, with every stem it may be written with."""

    text: str  # as the form wrote it
    stems: tuple[Stem, ...]
    prefixes: frozenset[str]  # normal-form beginnings of the article words worth trying
    refused: tuple[Stem, ...] = ()
    anchors: frozenset[tuple[str, str]] = frozenset()  # what the rule index files it under
    stem_keys: frozenset[str] = frozenset()  # the keys of its "stem" anchors
    word_keys: frozenset[str] = frozenset()  # and of its "word" anchors

    def accepts(self, word: str) -> bool:
        """Whether an article's word (normal form, or two joined at an apostrophe) is this one."""
        skel = skeleton(word)
        if _fits(skel, self.refused):
            return False
        return _fits(skel, self.stems)

    def spans(self, view: FieldView) -> list[Span]:
        """Where the word stands in the field: one word, or two joined at an apostrophe."""
        key = id(self)  # the entity outlives every view, so its id stays its own
        found = view.memo.get(key)
        if found is None:
            found = [(i, i + 1) for form in self._candidates(view) for i in view.positions(form)]
            found += [(at, at + 2) for at, joined in apostrophe_joins(view) if self.accepts(joined)]
            view.memo[key] = found
        return found  # type: ignore[return-value]

    def _candidates(self, view: FieldView) -> list[str]:
        """The field's words that are this one. Only words that start one of its stems are
        folded and tried: those the rule index found (most articles have none), or in a
        field read on its own (explain), those found here."""
        starting = cast("Collection[str] | None", view.memo.get(STEM_HITS))
        if starting is None:
            starting = view.memo[STEM_HITS] = view.vocabulary
        stems, vocabulary = self.stem_keys, view.vocabulary
        return [
            form
            for form in starting
            if (form[:STEM_LETTERS] in stems or form[:SHORT_LETTERS] in stems)
            and form in vocabulary
            and self.accepts(form)
        ] + [form for form in self.word_keys if form in vocabulary and self.accepts(form)]


def _fits(skel: str, options: Sequence[Stem]) -> bool:
    return any(skel.startswith(s.stem) and skel[len(s.stem) :] in s.endings for s in options)


def apostrophe_joins(view: FieldView) -> list[tuple[int, str]]:
    """Latin words cut in two at an ASCII apostrophe (Rog'un, O'zbekiston), joined back."""
    found = view.memo.get(apostrophe_joins)
    if found is None:
        found = view.memo[apostrophe_joins] = _joins(view)
    return found  # type: ignore[return-value]


def _joins(view: FieldView) -> list[tuple[int, str]]:
    text = view.text
    if not any(mark in text for mark in _APOSTROPHE) or not _SPLIT_BY_APOSTROPHE.search(text):
        return []
    parts, normal = split_words(text), view.normal
    if len(parts) // 2 != len(normal):
        return []  # text whose lower-casing moved letters: not worth a second segmentation
    return [
        (k, f"{normal[k]}'{normal[k + 1]}")
        for k in range(len(normal) - 1)
        if parts[2 * k + 2] in _APOSTROPHE
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityForm:
    """One base form: a phrase of entity words, or a term matched as written."""

    source: str  # as the config wrote it
    words: tuple[EntityWord, ...] = ()
    term: Term | None = None

    def spans(
        self, view: FieldView, term_spans: Callable[[Term, FieldView], list[Span]]
    ) -> list[Span]:
        if self.term is not None:
            return term_spans(self.term, view)
        reached: dict[int, set[int]] = {}  # start -> where the phrase so far ends
        for k, word in enumerate(self.words):
            found = word.spans(view)
            if k == 0:
                for start, end in found:
                    reached.setdefault(start, set()).add(end)
                continue
            ends_at: dict[int, set[int]] = {}
            for start, end in found:
                ends_at.setdefault(start, set()).add(end)
            reached = {
                s: {e2 for e in ends for e2 in ends_at.get(e, ())} for s, ends in reached.items()
            }
            reached = {s: ends for s, ends in reached.items() if ends}
            if not reached:
                return []
        return sorted((s, e) for s, ends in reached.items() for e in ends)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """A declared entity: its forms and the words never taken for it."""

    name: str
    forms: tuple[EntityForm, ...]
    refused: tuple[str, ...] = field(default=())

    def spans(
        self, view: FieldView, term_spans: Callable[[Term, FieldView], list[Span]]
    ) -> list[tuple[Span, EntityForm]]:
        """Every place a form stands in the field, with the form: the longest at a start, and
        of equals the one written in the text's script (Рогунской <- Рогун, not Rogun)."""
        best: dict[int, tuple[Span, EntityForm]] = {}
        for form in self.forms:
            for span in form.spans(view, term_spans):
                held = best.get(span[0])
                if (
                    held is None
                    or span[1] > held[0][1]
                    or (
                        span[1] == held[0][1]
                        and not _same_script(held[1], view, span)
                        and _same_script(form, view, span)
                    )
                ):
                    best[span[0]] = (span, form)
        return [best[s] for s in sorted(best)]

    def search_terms(self, fields: tuple[str, ...]) -> Node:
        """The entity as terms a search index understands: each form as written, or each of
        its words as the beginnings its spellings share (a superset: the matcher judges)."""
        forms: list[Node] = []
        for form in self.forms:
            if form.term is not None:
                forms.append(_scoped(form.term, fields))
                continue
            words: list[Node] = []
            for word in form.words:
                beginnings = sorted({b for s in word.stems for b in search_prefixes(s.stem)})
                words.append(Or(children=tuple(_prefix_term(b, fields) for b in beginnings)))
            forms.append(words[0] if len(words) == 1 else And(children=tuple(words)))
        return forms[0] if len(forms) == 1 else Or(children=tuple(forms))

    def anchors(self) -> frozenset[Anchor] | None:
        """Keys for the rule index (index.py), one of which every article naming it has."""
        found: set[Anchor] = set()
        for form in self.forms:
            if form.term is not None:
                keys = anchors(form.term)
                if keys is None:
                    return None
                found |= keys
                continue
            # Any one word of a phrase would do; all of them are filed, so that the stems the
            # index finds in an article are there for every word to start from.
            for word in form.words:
                found |= {
                    (kind, key, word.accepts) if kind == "stem" else (kind, key)
                    for kind, key in word.anchors
                }
        return frozenset(found)


def _same_script(form: EntityForm, view: FieldView, span: Span) -> bool:
    written = view.normal[span[0]][:1]
    return bool(written) and written.isascii() == form.source.lstrip('"{')[:1].isascii()


def _prefix_term(beginning: str, fields: tuple[str, ...]) -> Term:
    key = beginning + "*"
    return Term(source=key, words=(Word(key=key, folded=key),), fields=fields)


def _scoped(term: Term, fields: tuple[str, ...]) -> Term:
    return Term(
        source=term.source,
        words=term.words,
        case_sensitive=term.case_sensitive,
        quoted=term.quoted,
        fields=fields,
    )


def entity_word(text: str, refused: tuple[Stem, ...]) -> EntityWord:
    base = skeleton(text)
    found = list(stems(base))
    for stem in list(found):
        if len(stem.stem) >= _MIN_SWAP:  # Islam/Islom, Tashkent/Toshkent: Russian a, Uzbek o
            found += [
                Stem(stem=stem.stem[:i] + "o" + stem.stem[i + 1 :], endings=stem.endings)
                for i, letter in enumerate(stem.stem)
                if letter == "a"
            ]
    beginnings = frozenset(p for stem in found for p in prefixes(stem.stem))
    # The form as written always finds itself, whatever folding shortened its skeleton (ii).
    cut = STEM_LETTERS if len(text) >= STEM_LETTERS else SHORT_LETTERS
    own = {("stem", text[:cut])} if len(text) >= SHORT_LETTERS else {("word", text)}
    keys = _word_anchors(found, beginnings) | own
    return EntityWord(
        text=text,
        stems=tuple(found),
        prefixes=beginnings,
        refused=refused,
        anchors=keys,
        stem_keys=frozenset(key for kind, key in keys if kind == "stem"),
        word_keys=frozenset(key for kind, key in keys if kind == "word"),
    )


def _word_anchors(found: list[Stem], beginnings: frozenset[str]) -> frozenset[tuple[str, str]]:
    """Each stem's first STEM_LETTERS letters in every spelling; a shorter stem (Китай: кита-)
    with the first letters of each ending it takes. The three-letter beginnings when that
    would make too many keys, or a spelling is too short to say that much."""
    keys: set[tuple[str, str]] = set()
    for stem in found:
        cut = STEM_LETTERS - len(stem.stem)
        heads = {(e[:cut], len(e) <= cut) for e in stem.endings} if cut > 0 else {("", False)}
        if len(heads) > _MAX_HEADS:
            return _short_anchors(beginnings)
        for head, whole in heads:
            long = stem_anchors(stem.stem + head, STEM_LETTERS, whole=whole)
            if long is None:
                return _short_anchors(beginnings)
            keys |= long
    return frozenset(keys)


def _short_anchors(beginnings: frozenset[str]) -> frozenset[tuple[str, str]]:
    return frozenset(("stem", p) if len(p) == SHORT_LETTERS else ("word", p) for p in beginnings)


def compile_entity(
    name: str,
    forms: Sequence[str],
    refused: Sequence[str] = (),
    *,
    parse_form: Callable[[str], Term],
) -> Entity:
    """An entity from its base forms (terms or phrases) and the words never taken for it.

    ``parse_form`` reads one form as the rule language would (a list item); its errors are
    raised with ``forms[i]`` or ``not[i]`` as the item.
    """
    refused_stems: list[Stem] = []
    for i, word in enumerate(refused):
        term = _parsed(parse_form, word, f"not[{i}]")
        if len(term.words) != 1:
            raise RuleSyntaxError("a 'not' entry is one word", column=1, item=f"not[{i}]")
        refused_stems += stems(skeleton(term.words[0].folded))
    compiled = []
    for i, form in enumerate(forms):
        term = _parsed(parse_form, form, f"forms[{i}]")
        exact = term.case_sensitive or any(w.wildcard or CJK_CHAR.search(w.key) for w in term.words)
        if exact or not any(skeleton(w.folded) for w in term.words):
            compiled.append(EntityForm(source=form, term=term))
            continue
        words = tuple(entity_word(w.folded, tuple(refused_stems)) for w in term.words)
        compiled.append(EntityForm(source=form, words=words))
    if not compiled:
        raise RuleSyntaxError("an entity needs at least one form", column=1, item="forms")
    return Entity(name=name, forms=tuple(compiled), refused=tuple(refused))


def _parsed(parse_form: Callable[[str], Term], text: str, item: str) -> Term:
    try:
        return parse_form(text)
    except RuleSyntaxError as error:
        raise error.within(item) from None
