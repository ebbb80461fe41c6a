"""Changing one entity of `entities:` (DESIGN §16) in the config's text, as `edit` changes a
rule: only its line, every other byte kept."""

from __future__ import annotations

from collections.abc import Sequence

from ruamel.yaml.comments import CommentedMap

from monitor.config.edit import (
    EditError,
    Span,
    comment_after,
    comment_column,
    line_ending,
    plain,
    raw_tree,
    scalar,
    split_lines,
    trim,
    yaml_value,
)


def entity_fields(text: str, name: str) -> dict[str, list[str]] | None:
    """An entity of `entities:` (DESIGN §16) as the file writes it: its forms and the words
    never to take for it."""
    entities = raw_tree(text).get("entities")
    if not isinstance(entities, CommentedMap) or name not in entities:
        return None
    value = plain(entities[name])
    if isinstance(value, dict):
        return {"forms": list(value.get("forms") or []), "not": list(value.get("not") or [])}
    return {"forms": list(value or []), "not": []}


def set_entity(
    text: str, original: str | None, name: str, forms: Sequence[str], never: Sequence[str] = ()
) -> str:
    """Write one entity (`Name: [forms]`, or the long form when it has words it must never
    be taken for) in place of `original`, or after the last one when `original` is None."""
    value = yaml_value(list(forms))
    if never:
        value = f"{{forms: {value}, not: {yaml_value(list(never))}}}"
    pair = f"{scalar(name)}: {value}"
    tree = raw_tree(text)
    lines = split_lines(text)
    newline = line_ending(lines)
    entities = tree.get("entities")
    if original is not None:
        if not isinstance(entities, CommentedMap) or original not in entities:
            raise EditError(f"there is no entity named {original!r}")
        span = _entity_spans(lines, tree)[original]
        first = lines[span.start]
        written = first[: span.col] + pair
        if span.end == span.start + 1 and (comment := comment_after(first, span.col)):
            written = written.ljust(comment_column(first, span.col) - 1) + " " + comment
        lines[span.start : span.end] = [written + newline]
        return "".join(lines)
    if isinstance(entities, CommentedMap) and len(entities) and not entities.fa.flow_style():
        spans = _entity_spans(lines, tree)
        last = max(spans.values(), key=lambda s: s.start)
        lines[last.end : last.end] = [" " * last.col + pair + newline]
        return "".join(lines)
    if "entities" in tree and entities is not None and len(entities):
        raise EditError("'entities' is written in flow style ({...}); edit it by hand")
    if "entities" in tree:  # `entities: {}` or `entities:` with nothing
        at = tree.lc.key("entities")[0]
        lines[at : at + 1] = [f"entities:{newline}", "  " + pair + newline]
        return "".join(lines)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    return "".join([*lines, newline, f"entities:{newline}", "  " + pair + newline])


def delete_entity(text: str, name: str) -> str:
    tree = raw_tree(text)
    entities = tree.get("entities")
    if not isinstance(entities, CommentedMap) or name not in entities:
        raise EditError(f"there is no entity named {name!r}")
    lines = split_lines(text)
    span = _entity_spans(lines, tree)[name]
    if len(entities) == 1:
        at = tree.lc.key("entities")[0]
        lines[span.start : span.end] = []
        lines[at] = f"entities: {{}}{line_ending(lines)}"
        return "".join(lines)
    lines[span.start : span.end] = []
    return "".join(lines)


def _entity_spans(lines: list[str], tree: CommentedMap) -> dict[str, Span]:
    entities = tree["entities"]
    keys = sorted((entities.lc.key(k)[0], entities.lc.key(k)[1], str(k)) for k in entities)
    col = keys[0][1]
    end = len(lines)
    for n in range(keys[-1][0] + 1, len(lines)):
        stripped = lines[n].lstrip(" ")
        if (
            stripped.strip()
            and not stripped.startswith("#")
            and len(lines[n]) - len(stripped) < col
        ):
            end = n
            break
    within = Span(keys[0][0], trim(lines, keys[-1][0] + 1, end, col - 1), col)
    spans = {}
    for i, (line, key_col, key) in enumerate(keys):
        stop = keys[i + 1][0] if i + 1 < len(keys) else within.end
        spans[key] = Span(line, trim(lines, line + 1, stop, key_col), key_col)
    return spans
