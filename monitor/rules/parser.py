"""Query text -> node tree: the lexer and a recursive-descent parser (NOT > NEAR-free AND > OR).

Grammar, loosest first::

    or     := and (OR and)*
    and    := unary ((AND)? unary)*          juxtaposition is AND
    unary  := (NOT | -) unary | near
    near   := primary (NEAR/n primary)*
    primary:= field: primary | ( or ) | "phrase" | {Case Sensitive} | @Entity | word
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from monitor.rules.syntax import (
    DEFAULT_FIELDS,
    FIELDS,
    META_FIELDS,
    And,
    EntityRef,
    Meta,
    Near,
    Node,
    Not,
    Or,
    RuleSyntaxError,
    Term,
    Word,
    is_positional,
    position,
    render,
)
from monitor.rules.tokens import exact, query_words, strip_marks

_OPERATORS = {"AND", "OR", "NOT"}
_WORD_END = re.compile(r'[\s()"{}]')
_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
_NEAR = re.compile(r"NEAR(?:/(.*))?")
_MAX_DEPTH = 100
_STARTS_TERM = {"word", "phrase", "brace", "entity", "field", "not", "("}
_ENTITY = re.compile(r"@([\w.-]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    kind: str  # word phrase brace entity field and or not near ( ) end
    text: str
    offset: int
    distance: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    tree: Node
    warnings: tuple[str, ...]


Entities = Mapping[str, Any]  # the config's entities (entities.compiled.Entity) by name


def parse_query(source: str, entities: Entities | None = None) -> Node:
    """Parse a query into its node tree; raises RuleSyntaxError with the column."""
    return parse(source, entities).tree


def parse(source: str, entities: Entities | None = None) -> Parsed:
    """Parse a query, keeping the warnings `check` shows (ambiguous OR, look-alike operators)."""
    parser = _Parser(source, entities or {})
    return Parsed(tree=parser.query(), warnings=tuple(parser.warnings))


class _Parser:
    def __init__(self, source: str, entities: Entities) -> None:
        self.source = source
        self.entities = entities
        self.warnings: list[str] = []
        self.tokens = list(self._lex())
        self.at = 0
        self.depth = 0

    @contextmanager
    def deeper(self, token: Token) -> Iterator[None]:
        """One more level of nesting while the block parses what is inside it; trees this deep
        are typos, and recursion has limits. Siblings side by side are not nesting."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(f"nested more than {_MAX_DEPTH} levels deep", token.offset)
        try:
            yield
        finally:
            self.depth -= 1

    # -- errors and warnings ---------------------------------------------------------------

    def error(self, reason: str, offset: int) -> RuleSyntaxError:
        line, column = position(self.source, offset)
        return RuleSyntaxError(reason, column=column, line=line)

    def warn(self, message: str, offset: int) -> None:
        line, column = position(self.source, offset)
        self.warnings.append(f"{line}:{column}: {message}")

    # -- lexer ---------------------------------------------------------------------------------

    def _lex(self) -> list[Token]:
        s, i, out = self.source, 0, []
        while i < len(s):
            c = s[i]
            if c.isspace():
                i += 1
            elif c in "()":
                out.append(Token(kind=c, text=c, offset=i))
                i += 1
            elif c in '"{':
                close = '"' if c == '"' else "}"
                end = s.find(close, i + 1)
                if end < 0:
                    raise self.error("unclosed quote" if c == '"' else "unclosed '{'", i)
                kind = "phrase" if c == '"' else "brace"
                out.append(Token(kind=kind, text=s[i + 1 : end], offset=i))
                i = end + 1
            elif c == "}":
                raise self.error("unexpected '}'", i)
            elif c == "-" and (i == 0 or s[i - 1].isspace() or s[i - 1] in "(:-"):
                if i + 1 >= len(s) or s[i + 1].isspace() or s[i + 1] == ")":
                    raise self.error("expected a term right after '-'", i + 1)
                out.append(Token(kind="not", text="-", offset=i))
                i += 1
            else:
                i = self._lex_word(i, out)
        out.append(Token(kind="end", text="end of query", offset=len(s)))
        return out

    def _lex_word(self, i: int, out: list[Token]) -> int:
        match = _WORD_END.search(self.source, i)
        end = match.start() if match else len(self.source)
        text = self.source[i:end]
        prefix = _FIELD_PREFIX.match(text)
        if prefix and prefix.group(1).lower() in FIELDS:
            out.append(Token(kind="field", text=prefix.group(1).lower(), offset=i))
            return i + prefix.end()
        if text in _OPERATORS:
            out.append(Token(kind=text.lower(), text=text, offset=i))
        elif entity := _ENTITY.fullmatch(text):
            out.append(Token(kind="entity", text=entity.group(1), offset=i))
        elif near := _NEAR.fullmatch(text):
            distance = near.group(1)
            if distance is None or not distance.isdigit() or not distance.isascii():
                raise self.error("NEAR needs a number of words, like NEAR/5", i)
            out.append(Token(kind="near", text=text, offset=i, distance=int(distance)))
        else:
            self._warn_lookalikes(text, i)
            out.append(Token(kind="word", text=text, offset=i))
        return end

    def _warn_lookalikes(self, text: str, offset: int) -> None:
        upper = text.upper()
        if upper in _OPERATORS or upper.startswith("NEAR/"):
            op = upper.split("/")[0]
            self.warn(f"'{text}' is searched as a word; operators are upper case ({op})", offset)
        elif (prefix := _FIELD_PREFIX.match(text)) and len(text) > prefix.end():
            known = ", ".join(FIELDS)
            self.warn(f"'{prefix.group(0)}' is not a field ({known}); searched as words", offset)

    # -- parser --------------------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect_term_after(self, operator: Token) -> None:
        following = self.peek()
        if following.kind not in _STARTS_TERM:
            raise self.error(f"expected a term after {operator.text}", following.offset)

    def query(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty query", 0)
        tree = self.or_(None)
        leftover = self.peek()
        if leftover.kind != "end":
            raise self.error(f"unexpected '{leftover.text}'", leftover.offset)
        return tree

    def or_(self, scope: str | None) -> Node:
        first, loose = self.and_(scope)
        parts, any_loose, first_or = [first], loose, None
        while self.peek().kind == "or":
            operator = self.take()
            first_or = first_or or operator
            self.expect_term_after(operator)
            part, loose = self.and_(scope)
            parts.append(part)
            any_loose = any_loose or loose
        if len(parts) == 1:
            return first
        tree = Or(children=tuple(parts))
        if any_loose and first_or is not None:
            self.warn(
                f"OR mixed with AND/NOT without parentheses: read as {render(tree)}",
                first_or.offset,
            )
        return tree

    def and_(self, scope: str | None) -> tuple[Node, bool]:
        items = [self.unary(scope)]
        while True:
            following = self.peek()
            if following.kind == "and":
                self.take()
                self.expect_term_after(following)
            elif following.kind not in _STARTS_TERM:
                break
            items.append(self.unary(scope))
        loose = len(items) > 1 or isinstance(items[0], Not)
        return (items[0] if len(items) == 1 else And(children=tuple(items))), loose

    def unary(self, scope: str | None) -> Node:
        if self.peek().kind == "not":
            operator = self.take()
            self.expect_term_after(operator)
            with self.deeper(operator):
                return Not(child=self.unary(scope))
        return self.near(scope)

    def near(self, scope: str | None) -> Node:
        left = self.primary(scope)
        with ExitStack() as chain:  # `a NEAR b NEAR c` nests to the left: each NEAR is a level
            while self.peek().kind == "near":
                operator = self.take()
                if self.peek().kind == "not":
                    raise self.error(f"expected a term after {operator.text}", self.peek().offset)
                self.expect_term_after(operator)
                right = self.primary(scope)
                if not (is_positional(left) and is_positional(right)):
                    reason = "NEAR joins words, phrases or OR groups of them in the title or text"
                    raise self.error(reason, operator.offset)
                chain.enter_context(self.deeper(operator))
                left = Near(left=left, right=right, distance=operator.distance)
        return left

    def primary(self, scope: str | None) -> Node:
        token = self.take()
        if token.kind == "field":
            following = self.peek()
            right_after = token.offset + len(token.text) + 1  # `title: x` is not `title:x`
            if following.offset != right_after or following.kind not in _STARTS_TERM - {"not"}:
                raise self.error(f"expected a term after {token.text}:", right_after)
            with self.deeper(token):
                return self.primary(token.text)
        if token.kind == "(":
            if self.peek().kind == ")":
                raise self.error("empty parentheses", token.offset)
            with self.deeper(token):
                inner = self.or_(scope)
            if self.take().kind != ")":
                raise self.error("unclosed '('", token.offset)
            return inner
        if token.kind in ("word", "phrase", "brace"):
            return self.term(token, scope)
        if token.kind == "entity":
            return self.entity(token, scope)
        if token.kind in ("and", "or", "near"):
            raise self.error(f"expected a term before {token.text}", token.offset)
        if token.kind == "end":
            raise self.error("expected a term", token.offset)
        raise self.error(f"unexpected '{token.text}'", token.offset)

    def entity(self, token: Token, scope: str | None) -> Node:
        entity = self.entities.get(token.text)
        if entity is None:
            known = ", ".join(f"@{name}" for name in self.entities) or "none declared"
            raise self.error(f"unknown entity '@{token.text}' (entities: {known})", token.offset)
        if scope in META_FIELDS:
            raise self.error(f"{scope}: takes a value, not an entity", token.offset)
        fields = (scope,) if scope else DEFAULT_FIELDS
        return EntityRef(name=token.text, entity=entity, fields=fields, column=token.offset + 1)

    def term(self, token: Token, scope: str | None) -> Node:
        return make_term(
            token.text,
            scope=scope,
            case_sensitive=token.kind == "brace",
            quoted=token.kind == "phrase",
            offset=token.offset + (token.kind != "word"),
            error=self.error,
        )


def make_term(
    text: str,
    *,
    scope: str | None,
    case_sensitive: bool,
    quoted: bool,
    offset: int,
    error: Callable[[str, int], RuleSyntaxError],
) -> Node:
    """A Term (or Meta for feed/tag/site/lang) from the text of a word, phrase or braces."""
    fail = error
    value = text.strip().strip('"') if case_sensitive else text.strip()
    if scope in META_FIELDS:
        if not value:
            raise fail(f"expected a value after {scope}:", offset)
        return Meta(field=scope, value=value, column=offset + 1)
    found = list(query_words(value))
    if not found:
        raise fail(f"'{text}' has no letters or digits to search for", offset)
    form = exact if case_sensitive else strip_marks
    words = tuple(Word(key=form(w), folded=strip_marks(w)) for w in found)
    if all(w.anything for w in words):
        raise fail("a wildcard needs letters beside it", offset)
    return Term(
        source=value,
        words=words,
        case_sensitive=case_sensitive,
        quoted=quoted or len(words) > 1 and bool(re.search(r"\s", value)),
        fields=(scope,) if scope else DEFAULT_FIELDS,
        column=offset + 1,
    )
