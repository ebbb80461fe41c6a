"""What a search-index prefilter may say of a rule, whatever the index's query language: the
parts that can only narrow (terms, AND, NEAR as AND) and where it must give up (NOT, feed, tag,
site and lang, an OR with a part it cannot say). The languages (fts.py, tsquery.py) only write
terms and joins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.rules.syntax import And, EntityRef, Near, Node, Or, Term


@dataclass(frozen=True, slots=True, kw_only=True)
class Language:
    """How one index's query language writes a term and joins parts (never given one part)."""

    term: Callable[[Term], str | None]  # None: the index cannot find this term reliably
    all_of: Callable[[list[str]], str]
    any_of: Callable[[list[str]], str]


def superset(node: Node, language: Language) -> str | None:
    """A query in ``language`` that finds at least every article ``node`` holds for; None if
    none is safe. A part left out of an AND still leaves a superset; out of an OR it does not."""
    match node:
        case Term():
            return language.term(node)
        case And():
            return all_of([superset(c, language) for c in node.children], language)
        case Near():
            return all_of([superset(node.left, language), superset(node.right, language)], language)
        case Or():
            parts = [superset(c, language) for c in node.children]
            if any(p is None for p in parts):
                return None
            return language.any_of([p for p in parts if p is not None])
        case EntityRef():
            # every form's beginnings as prefixes: the index finds them, the matcher judges
            return superset(node.entity.search_terms(node.fields), language)
    return None  # NOT and feed/tag/site/lang cannot narrow an index search safely


def all_of(parts: list[str | None], language: Language) -> str | None:
    """The parts that are there, AND-ed; None when none is."""
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else language.all_of(kept)
