"""How much work one rule may ask for: bounds on its words, wildcards and phrases.

Matching is linear in the text for every rule, but the factor is the rule's size; a query
typed into the web page or the CLI (or a link that fills it in) must not be able to make that
factor thousands. The bounds are far above any watch rule an analyst writes by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from monitor.errors import MonitorError
from monitor.rules.syntax import And, Near, Node, Not, Or, RuleSyntaxError, Term, position

N = TypeVar("N", Term, Near)

MAX_QUERY_CHARS = 20_000
MAX_WORDS = 1_000  # every word of every term and phrase, lists included
MAX_WILDCARD_WORDS = 50
MAX_PHRASE_WORDS = 32
MAX_NEARS = 20
MAX_TRY_CHARS = 100_000  # text pasted to try a rule on: a long article is a third of this


class TextTooLong(MonitorError, ValueError):
    """Text given to try a rule on is longer than a rule is tried on by hand."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(
            f"the text has {length:,} characters; a rule is tried on at most {MAX_TRY_CHARS:,}"
        )


def check_text(*parts: str) -> None:
    length = sum(map(len, parts))
    if length > MAX_TRY_CHARS:
        raise TextTooLong(length)


def check_limits(tree: Node, source: str | None = None) -> None:
    """Raise RuleSyntaxError at the first term past a bound; ``source`` is the query text the
    tree was parsed from, to give line and column, or None for a whole rule with its lists."""
    for count, near in enumerate(_nodes(tree, Near), start=1):
        if count > MAX_NEARS:
            _refuse(f"a rule may have at most {MAX_NEARS} NEARs", near.right, source)
    words = wildcards = 0
    for term in _nodes(tree, Term):
        words += len(term.words)
        wildcards += sum(w.wildcard for w in term.words)
        reason = None
        if len(term.words) > MAX_PHRASE_WORDS:
            reason = f"a phrase may have at most {MAX_PHRASE_WORDS} words, this one has {len(term.words)}"
        elif words > MAX_WORDS:
            reason = f"a rule may have at most {MAX_WORDS:,} words"
        elif wildcards > MAX_WILDCARD_WORDS:
            reason = f"a rule may have at most {MAX_WILDCARD_WORDS} words with wildcards"
        if reason is not None:
            _refuse(reason, term, source)


def _refuse(reason: str, at: Node, source: str | None) -> None:
    first = next(_nodes(at, Term), None)  # a NEAR is pointed at by the term after it
    if source is None or first is None:
        raise RuleSyntaxError(reason, column=1)
    line, column = position(source, first.column - 1)
    raise RuleSyntaxError(reason, column=column, line=line)


def check_length(source: str) -> None:
    if len(source) > MAX_QUERY_CHARS:
        raise RuleSyntaxError(
            f"a query may have at most {MAX_QUERY_CHARS:,} characters, this one has "
            f"{len(source):,}",
            column=1,
        )


def _nodes(node: Node, kind: type[N]) -> Iterator[N]:
    """The nodes of one kind in reading order, without recursion (a tree may be 100 deep)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            yield node
        if isinstance(node, And | Or):
            stack.extend(reversed(node.children))
        elif isinstance(node, Not):
            stack.append(node.child)
        elif isinstance(node, Near):
            stack.extend((node.right, node.left))
