"""Saying where a config problem is: file:line:col from the loaded YAML tree, and pydantic's
validation errors turned into one readable line each."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.config.schema import ConfigModel

# Wrong-typed values are echoed back to help, except where they may be credentials.
_ECHO_INPUT = ("int_", "bool_", "string_", "list_", "dict_", "float_")
_SECRET_KEYS = {"password", "secret", "url", "username", "token"}


def position(tree: Any, loc: tuple, key_position: bool = False) -> tuple[int, int] | None:
    """1-based line and column of the value (or key) at `loc` in the loaded tree."""
    node, best = tree, None
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            line, col = node.lc.key(part) if (last and key_position) else node.lc.value(part)
            best, node = (line + 1, col + 1), node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.lc.item(part)
            best, node = (line + 1, col + 1), node[part]
        elif isinstance(node, CommentedMap):
            continue  # a union tag in pydantic's path (e.g. the channel type): not a YAML key
        else:
            break
    if best is None and isinstance(tree, CommentedMap):
        return (1, 1)
    return best


def locate(path: str, tree: Any, loc: tuple, key_position: bool = False) -> str:
    pos = position(tree, loc, key_position)
    return f"{path}:{pos[0]}:{pos[1]}" if pos else path


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def explain_validation(exc: ValidationError, tree: Any, path: str) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        kind = error["type"]
        loc = _yaml_loc(tree, error["loc"], keep_last=kind in ("missing", "extra_forbidden"))
        if kind == "union_tag_invalid":
            tag = error.get("ctx", {}).get("tag")
            expected = str(error.get("ctx", {}).get("expected_tags", "")).replace("'", "")
            loc = (*loc, "type")
            what = "source" if loc[:1] == ("feeds",) else "channel"
            message = f"unknown {what} type '{tag}' (known: {expected})"
            where = locate(path, tree, loc)
        elif kind == "extra_forbidden":
            known = _known_keys(error["loc"][:-1])
            hint = f" (known: {', '.join(known)})" if known else ""
            message = f"unknown key '{loc[-1]}'{hint}"
            where = locate(path, tree, loc, key_position=True)
        elif kind == "missing":
            message = f"missing required key '{loc[-1]}'"
            where = locate(path, tree, loc[:-1])
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if kind.startswith(_ECHO_INPUT) and not _SECRET_KEYS & {str(p) for p in loc}:
                message += f", got {_short(error.get('input'))}"
            where = locate(path, tree, loc)
        problems.append(f"{where}: {dotted(loc)}: {message}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_loc(tree: Any, loc: tuple, *, keep_last: bool = True) -> tuple:
    """pydantic's error path without the union-member names it inserts (e.g. the channel type);
    ``keep_last=False``: a tag at the end (an error of the whole member) goes too."""
    out: list = []
    node = tree
    for i, part in enumerate(loc):
        if (
            isinstance(node, CommentedMap)
            and part in node
            or isinstance(node, CommentedSeq)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            node = node[part]
        elif (i < len(loc) - 1 or not keep_last) and isinstance(node, CommentedMap):
            continue  # not a key of this mapping: a union tag, skipped
        else:
            node = None
        out.append(part)
    return tuple(out)


def _known_keys(loc: tuple) -> list[str]:
    """The keys allowed at `loc`, found by walking the models' annotations along the path."""
    models: list[Any] = [ConfigModel]
    skip_dict_key = False
    for part in loc:
        if skip_dict_key or isinstance(part, int):
            skip_dict_key = False
            continue
        tagged = [m for m in models if _type_tag(m) == part]
        if tagged and not any(part in m.model_fields for m in models):
            models = tagged  # a union tag in the path (the source type): that member's keys
            continue
        annotations = [m.model_fields[part].annotation for m in models if part in m.model_fields]
        models, skip_dict_key = _models_in(annotations)
    return sorted({name for m in models for name in m.model_fields})


def _type_tag(model: Any) -> Any:
    """The value of a model's ``type: Literal[...]`` field, if it has one."""
    field = model.model_fields.get("type")
    values = get_args(field.annotation) if field is not None else ()
    return values[0] if len(values) == 1 else None


def _models_in(annotations: list[Any]) -> tuple[list[Any], bool]:
    """The pydantic models inside annotations (through list, dict, Optional, unions, Annotated)."""
    found: list[Any] = []
    is_dict = False
    pending = list(annotations)
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.append(annotation)
            continue
        if get_origin(annotation) is dict:
            is_dict = True
        pending.extend(
            a for a in get_args(annotation) if a is not str or get_origin(annotation) is not dict
        )
    return found, is_dict
