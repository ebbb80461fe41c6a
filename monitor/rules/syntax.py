"""The parsed form of a rule: the node records, the syntax error, and rendering back to text."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import MonitorError

TEXT_FIELDS = ("title", "text", "author")
META_FIELDS = ("feed", "tag", "site", "lang")
FIELDS = TEXT_FIELDS + META_FIELDS
DEFAULT_FIELDS = ("title", "text")  # where an unscoped term may match


class RuleSyntaxError(MonitorError, ValueError):
    """A query or list item that cannot be parsed; ``column`` is 1-based within ``line``.

    ``item`` names the part of a rule that failed when it is not the query (``any[2]``).
    """

    def __init__(self, reason: str, *, column: int, line: int = 1, item: str | None = None) -> None:
        self.reason = reason
        self.column = column
        self.line = line
        self.item = item
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: {self.reason}"
        return f"{self.item}: {where}" if self.item else where

    def within(self, item: str) -> RuleSyntaxError:
        """The same error, said to be in a named part of the rule."""
        return RuleSyntaxError(self.reason, column=self.column, line=self.line, item=item)


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset in a query."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Word:
    """One word of a term: ``key`` is what is compared (normal or exact form, with wildcards)."""

    key: str
    folded: str = ""  # the normal form of ``key``; differs only for case-sensitive words
    # Worked out once here, since matching asks for them on every candidate article:
    wildcard: bool = field(init=False, compare=False)
    anything: bool = field(init=False, compare=False)  # only wildcards, like a lone `*`
    prefix: str = field(init=False, compare=False)  # the letters before the first wildcard

    def __post_init__(self) -> None:
        settle = object.__setattr__  # the record is frozen
        settle(self, "folded", self.folded or self.key)
        settle(self, "wildcard", "*" in self.key or "?" in self.key)
        settle(self, "anything", not self.key.strip("*?"))
        settle(self, "prefix", re.split(r"[*?]", self.key, maxsplit=1)[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """A word or a phrase (several words adjacent, in order) in one or more text fields."""

    source: str  # as written, without quotes, braces or scope
    words: tuple[Word, ...]
    case_sensitive: bool = False
    quoted: bool = field(default=False, compare=False)  # only how it is shown
    fields: tuple[str, ...] = DEFAULT_FIELDS
    column: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Meta:
    """A condition on the article's feed, feed tags, site or language rather than its words."""

    field: str
    value: str
    column: int = dataclasses.field(default=1, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Near:
    """Both sides in one field with at most ``distance`` words between them, either order."""

    left: Node
    right: Node
    distance: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityRef:
    """``@Name``: any form of a declared entity (rules/entities/) in one or more text fields."""

    name: str
    # an entities.compiled.Entity, which imports this module: typed loosely to keep one direction
    entity: Any = field(compare=False, repr=False)
    fields: tuple[str, ...] = DEFAULT_FIELDS
    column: int = field(default=1, compare=False)


Node = Term | Meta | And | Or | Not | Near | EntityRef


def is_positional(node: Node) -> bool:
    """Whether a node has word positions, so NEAR can measure distances from it."""
    if isinstance(node, Term | Near | EntityRef):
        return True
    return isinstance(node, Or) and all(is_positional(c) for c in node.children)


def render(node: Node) -> str:
    """The node as query text, fully parenthesised where OR meets AND, so the reading is plain."""
    match node:
        case Term():
            return _render_term(node)
        case Meta():
            value = f'"{node.value}"' if _needs_quotes(node.value) else node.value
            return f"{node.field}:{value}"
        case Not():
            inner = render(node.child)
            return f"NOT ({inner})" if isinstance(node.child, And | Or) else f"NOT {inner}"
        case And():  # a group inside its own kind stays a group: the text reads back the same
            return " AND ".join(_grouped(c, Or | And) for c in node.children)
        case Or():
            return " OR ".join(_grouped(c, And | Or) for c in node.children)
        case Near():
            side = (_grouped(node.left, And | Or | Not), _grouped(node.right, And | Or | Not))
            return f"{side[0]} NEAR/{node.distance} {side[1]}"
        case EntityRef():
            if node.fields == DEFAULT_FIELDS:
                return f"@{node.name}"
            return " OR ".join(f"{f}:@{node.name}" for f in node.fields)
    raise TypeError(node)  # pragma: no cover


def _grouped(node: Node, kinds: type | object) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, kinds) else text  # type: ignore[arg-type]


def _needs_quotes(text: str) -> bool:
    """Whether bare text would read back as something else: several tokens, an operator, NOT."""
    prefix = re.match(r"([A-Za-z]+):", text)
    return (
        bool(re.search(r'[\s()"{}]', text))
        or text.startswith("-")
        or text in ("AND", "OR", "NOT")
        or re.fullmatch(r"NEAR(/.*)?", text) is not None
        or (prefix is not None and prefix.group(1).lower() in FIELDS)
    )


def _render_term(term: Term) -> str:
    if term.case_sensitive:
        text = f"{{{term.source}}}"
    elif term.quoted or _needs_quotes(term.source):
        text = f'"{term.source}"'
    else:
        text = term.source
    if term.fields == DEFAULT_FIELDS:
        return text
    return " OR ".join(f"{f}:{text}" for f in term.fields)
