"""The config's ``entities:`` compiled for the rules, with file:line:col on every problem."""

from __future__ import annotations

import re
from typing import Any

from monitor.config.positions import dotted, locate
from monitor.config.schema import ConfigModel, EntityEntry
from monitor.rules import RuleSyntaxError
from monitor.rules.entities.compiled import Entity
from monitor.rules.entities.declare import EntitySpec, declare, entity_warnings

_NAME = r"[\w.-]+"  # what `@Name` can spell in a query (parser._ENTITY)


def resolve_entities(
    model: ConfigModel, tree: Any, path: str, problems: list[str], warnings: list[str]
) -> dict[str, Entity]:
    """Each declared entity compiled; a bad form is a problem, a flooding form a warning."""
    found: dict[str, Entity] = {}
    for name, value in model.entities.items():
        loc: tuple = ("entities", name)
        if not re.fullmatch(_NAME, name):
            problems.append(
                f"{locate(path, tree, loc, key_position=True)}: {dotted(loc)}: an entity name is "
                "letters, digits, '_', '-' or '.', so that a query can say @Name"
            )
            continue
        long = isinstance(value, EntityEntry)
        spec = EntitySpec(
            name=name,
            forms=tuple(value.forms if isinstance(value, EntityEntry) else value),
            refused=tuple(value.not_) if isinstance(value, EntityEntry) else (),
        )
        try:
            entity = declare(spec)
        except RuleSyntaxError as exc:
            part = _part(exc.item, long)
            where = locate(path, tree, (*loc, *part))
            problems.append(
                f"{where}: {dotted((*loc, *part))}:{exc.line}:{exc.column}: {exc.reason}"
            )
            continue
        for warning in entity_warnings(entity):
            warnings.append(f"{locate(path, tree, loc)}: {dotted(loc)}: {warning}")
        found[name] = entity
    return found


def _part(item: str | None, long: bool) -> tuple:
    """Config keys of forms[2] / not[0]: (forms, 2) in the long form, (2,) in the short one."""
    if not item:
        return ()
    key, _, index = item.partition("[")
    number = int(index.rstrip("]")) if index else None
    if not long:
        return (number,) if number is not None else ()
    return (key, number) if number is not None else (key,)
