"""A watch rule: its query and any/all/none lists compiled into one tree, plus its restrictions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.rules.limits import check_length, check_limits
from monitor.rules.parser import Entities, make_term, parse
from monitor.rules.syntax import (
    DEFAULT_FIELDS,
    FIELDS,
    And,
    EntityRef,
    Meta,
    Node,
    Not,
    Or,
    RuleSyntaxError,
    Term,
    position,
    render,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A compiled rule. ``tree`` holds query, any, all and none joined by AND."""

    name: str
    tree: Node
    tags: tuple[str, ...] = ()  # only articles from feeds with one of these tags
    feeds: tuple[str, ...] = ()  # only articles from these feeds (name or URL)
    mentions: int = 1  # at least this many hits in the title, text or author
    warnings: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """The whole rule as one query, as the matcher reads it."""
        return render(self.tree)


def build_rule(
    *,
    name: str,
    query: str | None = None,
    any: Sequence[str] = (),  # noqa: A002 - the names of the YAML keys
    all: Sequence[str] = (),  # noqa: A002
    none: Sequence[str] = (),
    tags: Sequence[str] = (),
    feeds: Sequence[str] = (),
    mentions: int = 1,
    entities: Entities | None = None,
) -> Rule:
    """Compile a rule; raises RuleSyntaxError naming the query column or the list item.

    ``entities`` are the declared entities a query or list item may name as ``@Name``."""
    if isinstance(any, str) or isinstance(all, str) or isinstance(none, str):
        raise TypeError("any, all and none take lists of terms, not a string")
    if mentions < 1:
        raise RuleSyntaxError(f"must be at least 1, not {mentions}", column=1, item="mentions")
    parts: list[Node] = []
    warnings: list[str] = []
    if query is not None:
        check_length(query)
        parsed = parse(query, entities)
        check_limits(parsed.tree, query)
        parts.append(parsed.tree)
        warnings += parsed.warnings
    if any:
        parts.append(_joined(Or, _items("any", any, entities)))
    if all:
        parts.extend(_items("all", all, entities))
    if none:
        parts.append(Not(child=_joined(Or, _items("none", none, entities))))
    if not parts:
        raise RuleSyntaxError("a rule needs a query or any/all/none terms", column=1)
    tree = _joined(And, parts)
    if any or all or none:
        check_limits(tree)
    if not _has_positive_term(tree):
        warnings.append("no positive term: the rule matches every article that lacks its terms")
    return Rule(
        name=name,
        tree=tree,
        tags=tuple(tags),
        feeds=tuple(feeds),
        mentions=mentions,
        warnings=tuple(warnings),
    )


def rule_warnings(rule: Rule) -> list[str]:
    """What `check` should point out: ambiguous OR, look-alike operators, unknown fields."""
    return list(rule.warnings)


def _joined(kind: type[And] | type[Or], nodes: list[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.children if isinstance(node, kind) else (node,))
    return flat[0] if len(flat) == 1 else kind(children=tuple(flat))


def _items(key: str, items: Sequence[str], entities: Entities | None) -> list[Node]:
    return [_item(f"{key}[{i}]", item, entities) for i, item in enumerate(items)]


def _item(where: str, item: str, entities: Entities | None = None) -> Node:
    """A list item is one term or phrase, as in a query; several words make a phrase."""
    if not isinstance(item, str):
        raise RuleSyntaxError(
            f"expected a term, got {builtins.type(item).__name__}", column=1, item=where
        )
    try:
        return _item_node(item, entities)
    except RuleSyntaxError as error:
        raise error.within(where) from None


def _item_node(item: str, entities: Entities | None = None) -> Node:
    text = item.strip()
    scope, _, rest = text.partition(":")
    if rest and scope.lower() in FIELDS and not scope[-1:].isspace():
        node = _item_node(rest, entities)
        return _rescoped(node, scope.lower(), item)
    if text.startswith(("{", '"', "@")):
        tree = parse(text, entities).tree
        if isinstance(tree, EntityRef):
            return tree
        if isinstance(tree, Term):
            return tree
        raise RuleSyntaxError(f"expected one term or phrase, got {render(tree)}", column=1)

    def fail(reason: str, offset: int) -> RuleSyntaxError:
        line, column = position(item, offset)
        return RuleSyntaxError(reason, column=column, line=line)

    offset = item.find(text[:1]) if text else 0
    if '"' in text:
        raise fail("quotes go around a whole item", item.index('"'))
    return make_term(
        text, scope=None, case_sensitive=False, quoted=False, offset=offset, error=fail
    )


def term_item(text: str) -> Term:
    """One term or phrase as a list item reads it (an entity's base form), unscoped."""
    node = _item_node(text)
    if not isinstance(node, Term) or node.fields != DEFAULT_FIELDS:
        raise RuleSyntaxError(f"expected a term or phrase, got {text.strip()!r}", column=1)
    return node


def _rescoped(node: Node, field: str, item: str) -> Node:
    if isinstance(node, EntityRef) and field in ("title", "text", "author"):
        return EntityRef(name=node.name, entity=node.entity, fields=(field,), column=node.column)
    if isinstance(node, Term):
        if field in ("title", "text", "author"):
            return Term(
                source=node.source,
                words=node.words,
                case_sensitive=node.case_sensitive,
                quoted=node.quoted,
                fields=(field,),
                column=node.column,
            )
        return Meta(field=field, value=node.source, column=node.column)
    raise RuleSyntaxError(f"expected one term or phrase in {item!r}", column=1)


def _has_positive_term(node: Node) -> bool:
    if isinstance(node, Not):
        return False
    if isinstance(node, And | Or):
        return builtins.any(_has_positive_term(c) for c in node.children)
    return True
