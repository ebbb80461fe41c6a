"""Changing one rule or feed in the config's text, leaving every other byte as it was.

Pure: text in, text out. The file is read with ruamel's round-trip loader only to learn where
each list item and key sits; the change is then spliced into the original lines, so comments,
key order, quoting, flow mappings and `${VAR}` placeholders elsewhere stay byte for byte (a
ruamel dump would reflow them). Values are the file's own, never the environment's.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from monitor.errors import ConfigError

# The keys the rule form edits, in the order a new rule is written; the rest are kept.
RULE_KEYS = ("name", "query", "any", "all", "none", "digest", "priority")
Value = str | bool | Sequence[str] | None  # None: the key is removed
_PLAIN = re.compile(r"[\w][\w .\-/()+]*|https?://[^\s#,\[\]{}'\"]+", re.UNICODE)


class EditError(ConfigError):
    """The change cannot be made to this text (no such rule, a list written in flow style)."""


@dataclass(frozen=True, slots=True)
class Span:
    """Lines [start, end) of the text; `col` is where the item's or key's content starts."""

    start: int
    end: int
    col: int


def raw_tree(text: str) -> CommentedMap:
    """The file as written (placeholders unexpanded), with positions."""
    try:
        tree = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise EditError(f"the config is not valid YAML: {exc}") from None
    if tree is None:
        return CommentedMap()
    if not isinstance(tree, CommentedMap):
        raise EditError("the config is not a mapping")
    return tree


def rule_fields(text: str, name: str) -> dict[str, Any] | None:
    """The form keys of rule `name` as the file writes them, or None when there is none."""
    entry = rule_entry(text, name)
    return None if entry is None else {k: entry[k] for k in RULE_KEYS if k in entry}


def rule_entry(text: str, name: str) -> dict[str, Any] | None:
    """Every key of rule `name` as the file writes it (tags, mentions, spike... too)."""
    found = _find(raw_tree(text), "rules", lambda item: str(item.get("name")) == name)
    return None if found is None else {str(k): plain(v) for k, v in found[1].items()}


def set_rule(text: str, original: str | None, fields: Mapping[str, Value]) -> str:
    """Replace the form keys of rule `original` (keeping its other keys), or append a new rule
    when `original` is None. Only the lines of keys whose value changed are touched."""
    tree = raw_tree(text)
    if original is None:
        return _append(text, tree, "rules", {k: v for k, v in fields.items() if v is not None})
    found = _find(tree, "rules", lambda item: str(item.get("name")) == original)
    if found is None:
        raise EditError(f"there is no rule named {original!r}")
    return _set_keys(text, tree, "rules", found[0], fields)


def delete_rule(text: str, name: str) -> str:
    tree = raw_tree(text)
    found = _find(tree, "rules", lambda item: str(item.get("name")) == name)
    if found is None:
        raise EditError(f"there is no rule named {name!r}")
    return _delete(text, tree, "rules", found[0])


def add_feed(text: str, entry: Mapping[str, Value]) -> str:
    """Append one source (`url`, and `name`, `type`, `tags` when given) to `feeds:`."""
    return add_feeds(text, [entry])


def add_feeds(text: str, entries: Sequence[Mapping[str, Value]]) -> str:
    """Append sources to `feeds:` in one pass (an OPML file may bring hundreds)."""
    if not entries:
        return text
    items = [{k: v for k, v in e.items() if v} for e in entries]
    return _append(text, raw_tree(text), "feeds", *items)


def set_feed_keys(text: str, index: int, fields: Mapping[str, Value]) -> str:
    """Change keys of the `index`th item of `feeds:` (e.g. `paused`)."""
    return _set_keys(text, raw_tree(text), "feeds", index, fields)


def feed_items(text: str) -> list[dict[str, Any]]:
    """Each `feeds:` item as written (placeholders unexpanded), in file order."""
    feeds = raw_tree(text).get("feeds")
    if not isinstance(feeds, CommentedSeq):
        return []
    return [plain(item) if isinstance(item, CommentedMap) else {} for item in feeds]


# --- splicing ------------------------------------------------------------------------------


def _find(tree: CommentedMap, key: str, wanted: Any) -> tuple[int, CommentedMap] | None:
    items = tree.get(key)
    if not isinstance(items, CommentedSeq):
        return None
    for i, item in enumerate(items):
        if isinstance(item, CommentedMap) and wanted(item):
            return i, item
    return None


def _block_list(tree: CommentedMap, key: str) -> CommentedSeq:
    items = tree[key]
    if not isinstance(items, CommentedSeq) or (items.fa.flow_style() and len(items)):
        raise EditError(f"'{key}' is not a block list ('- ' items); edit it by hand")
    return items


def _item_spans(lines: list[str], tree: CommentedMap, key: str) -> list[Span]:
    items = _block_list(tree, key)
    starts = [(items.lc.item(i)[0], items.lc.item(i)[1]) for i in range(len(items))]
    spans = []
    for i, (line, col) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else _list_end(lines, line, col - 2)
        spans.append(Span(line, trim(lines, line + 1, end, col - 2), col))
    return spans


def _list_end(lines: list[str], first: int, dash: int) -> int:
    """The line after the last item: the first content line back at the list's level."""
    for n in range(first + 1, len(lines)):
        stripped = lines[n].lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = len(lines[n]) - len(stripped)
        if indent < dash or (indent == dash and not stripped.startswith("-")):
            return n
    return len(lines)


def trim(lines: list[str], floor: int, end: int, level: int) -> int:
    """`end` moved up past blank lines and comments at `level` or shallower: those belong to
    what follows (the next item's or key's comment), not to what is being changed."""
    while end > floor:
        stripped = lines[end - 1].lstrip(" ")
        indent = len(lines[end - 1]) - len(stripped)
        if stripped.strip() and not (stripped.startswith("#") and indent <= level):
            break
        end -= 1
    return end


def _key_spans(lines: list[str], item: CommentedMap, within: Span) -> dict[str, Span]:
    keys = sorted((item.lc.key(k)[0], item.lc.key(k)[1], k) for k in item)
    spans = {}
    for i, (line, col, key) in enumerate(keys):
        end = keys[i + 1][0] if i + 1 < len(keys) else within.end
        spans[str(key)] = Span(line, trim(lines, line + 1, end, col), col)
    return spans


def _set_keys(
    text: str, tree: CommentedMap, key: str, index: int, fields: Mapping[str, Value]
) -> str:
    lines = split_lines(text)
    newline = line_ending(lines)
    within = _item_spans(lines, tree, key)[index]
    item = tree[key][index]
    spans = _key_spans(lines, item, within)
    edits: list[tuple[int, int, list[str]]] = []
    appended: list[str] = []
    for name, value in fields.items():
        current = plain(item[name]) if name in item else None
        if _same(current, value):
            continue
        span = spans.get(name)
        if span is None:
            appended.append(" " * within.col + pair(name, value) + newline)
        elif value is None:
            edits.append((span.start, span.end, []))
        else:
            first = lines[span.start]
            written = first[: span.col] + pair(name, value)
            if span.end == span.start + 1 and (comment := comment_after(first, span.col)):
                # a comment after the value stays, at its column where the new value allows
                at = comment_column(first, span.col)
                written = written.ljust(at - 1) + " " + comment
            edits.append((span.start, span.end, [written + newline]))
    if appended:
        edits.append((within.end, within.end, appended))
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        if start == within.start and not new:
            raise EditError(f"cannot remove the first key of {key}[{index}]")
        lines[start:end] = new
    return "".join(lines)


def _append(text: str, tree: CommentedMap, key: str, *items: Mapping[str, Value]) -> str:
    lines = split_lines(text)
    newline = line_ending(lines)
    existing = tree.get(key) if key in tree else None
    if isinstance(existing, CommentedSeq) and len(existing):
        spans = _item_spans(lines, tree, key)
        at, col = spans[-1].end, spans[-1].col
        lines[at:at] = [line for item in items for line in _itemsplit_lines(item, col, newline)]
        return "".join(lines)
    block = [line for item in items for line in _itemsplit_lines(item, 4, newline)]
    if key in tree:  # `rules: []`, `rules:` with nothing, written on one line
        line = tree.lc.key(key)[0]
        comment = comment_after(lines[line], 0)
        lines[line : line + 1] = [f"{key}:{'  ' + comment if comment else ''}{newline}", *block]
        return "".join(lines)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    return "".join([*lines, newline, f"{key}:{newline}", *block])


def _delete(text: str, tree: CommentedMap, key: str, index: int) -> str:
    lines = split_lines(text)
    newline = line_ending(lines)
    span = _item_spans(lines, tree, key)[index]
    if len(tree[key]) == 1:
        line = tree.lc.key(key)[0]
        lines[span.start : span.end] = []
        lines[line] = f"{key}: []{newline}"
        return "".join(lines)
    lines[span.start : span.end] = []
    return "".join(lines)


def _itemsplit_lines(fields: Mapping[str, Value], col: int, newline: str) -> list[str]:
    pairs = [pair(k, v) for k, v in fields.items() if v is not None]
    dash = " " * (col - 2) + "- "
    return [(dash if i == 0 else " " * col) + p + newline for i, p in enumerate(pairs)]


# --- scalars -------------------------------------------------------------------------------


def pair(key: str, value: Value) -> str:
    if key == "query" and isinstance(value, str):  # queries are quoted, as the examples write them
        return f"{key}: {_quoted(value)}"
    return f"{key}: {yaml_value(value)}"


def yaml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return scalar(value)
    assert value is not None
    return "[" + ", ".join(scalar(v) for v in value) + "]"


def scalar(value: str) -> str:
    """A plain scalar where YAML reads it back as this same string, else single-quoted."""
    if "\n" in value or "\r" in value:
        raise EditError("a value may not span lines")
    if _PLAIN.fullmatch(value) and not value.endswith(" ") and _reads_as(value, value):
        return value
    return _quoted(value)


def _quoted(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise EditError("a value may not span lines")
    return "'" + value.replace("'", "''") + "'"


def _reads_as(written: str, value: str) -> bool:
    try:
        loaded = YAML(typ="safe").load(f"k: {written}")
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == value


def plain(value: Any) -> Any:
    if isinstance(value, CommentedMap):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _same(current: Any, new: Value) -> bool:
    if isinstance(new, list | tuple):
        return isinstance(current, list) and [str(c) for c in current] == list(new)
    if new is None or isinstance(new, bool):
        return current is new or current == new
    return current is not None and str(current) == new


def comment_after(line: str, col: int) -> str:
    """The `# comment` after a value on `line` (quotes respected), or ""."""
    at = comment_column(line, col)
    return line[at:].rstrip("\r\n") if at < len(line) else ""


def comment_column(line: str, col: int = 0) -> int:
    quote = ""
    n = col
    while n < len(line):
        c = line[n]
        if quote == "'" and c == "'":
            if line[n + 1 : n + 2] == "'":
                n += 1  # '' is a quote inside a single-quoted scalar
            else:
                quote = ""
        elif quote == '"' and c == "\\":
            n += 1
        elif quote == '"' and c == '"':
            quote = ""
        elif not quote and c in "'\"":
            quote = c
        elif not quote and c == "#" and n > 0 and line[n - 1] in " \t":
            return n
        n += 1
    return len(line)


def split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def line_ending(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def undo(current: str, before: str, after: str) -> str:
    """`current` with the change `before` -> `after` taken back, changes made since kept.

    When nothing changed since, this is `before` byte for byte. Otherwise each block of lines
    the change wrote must still stand, unchanged, in `current`; if a later change touched one
    of them there is no safe answer and EditError says so.
    """
    if current == after:
        return before
    made, now, was = split_lines(after), split_lines(current), split_lines(before)
    where = difflib.SequenceMatcher(a=made, b=now, autojunk=False)
    kept = [b for b in where.get_matching_blocks() if b.size]
    edits: list[tuple[int, int, list[str]]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=made, b=was, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        # the lines [i1, i2) the change wrote (or the point it removed lines at), in `current`
        start = _mapped(kept, i1, i2, len(made))
        if start is None:
            raise EditError("later changes touched the same lines; revert those first")
        edits.append((start, start + (i2 - i1), was[j1:j2]))
    for start, end, lines in sorted(edits, key=lambda e: e[0], reverse=True):
        now[start:end] = lines
    return "".join(now)


def _mapped(blocks: list[Any], i1: int, i2: int, total: int) -> int | None:
    """Where lines [i1, i2) of the old text stand in the new one, with the line before and
    the line after them (so a removal is put back in its place), or None."""
    lo, hi = (i1 - 1 if i1 > 0 else i1), (i2 + 1 if i2 < total else i2)
    for block in blocks:
        if block.a <= lo and hi <= block.a + block.size:
            return int(block.b + (i1 - block.a))
    return None
