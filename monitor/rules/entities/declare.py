"""The config's ``entities:`` read into compiled entities, and what `check` says about them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.rules.entities.compiled import Entity, EntityForm, compile_entity
from monitor.rules.entities.spelling import search_prefixes
from monitor.rules.rule import term_item
from monitor.rules.syntax import render

_FLOOD_LETTERS = 3  # a stem this short would catch every word that starts the same way


@dataclass(frozen=True, slots=True, kw_only=True)
class EntitySpec:
    """An entity as the config declares it: base forms and words never taken for it."""

    name: str
    forms: tuple[str, ...]
    refused: tuple[str, ...] = ()


def declare(spec: EntitySpec) -> Entity:
    """Compile one declared entity; raises RuleSyntaxError naming ``forms[i]`` or ``not[i]``."""
    return compile_entity(spec.name, spec.forms, spec.refused, parse_form=term_item)


def declare_all(specs: Sequence[EntitySpec]) -> dict[str, Entity]:
    return {spec.name: declare(spec) for spec in specs}


def entity_warnings(entity: Entity) -> list[str]:
    """Forms so short that they would flood a digest (`check` shows these)."""
    found = []
    for form in entity.forms:
        for word in form.words:
            shortest = min(len(s.stem) for s in word.stems)
            if shortest <= _FLOOD_LETTERS:
                found.append(
                    f"form {form.source!r}: {word.text!r} is {shortest} letters: matched only as "
                    "written, and still likely to catch unrelated words (use {CASE} or a phrase)"
                )
    return found


def describe(entity: Entity) -> list[str]:
    """What `entities show` prints: each form, its stems with how many endings, its beginnings."""
    lines = [f"@{entity.name}"]
    if entity.refused:
        lines.append(f"  never: {', '.join(entity.refused)}")
    for form in entity.forms:
        lines.extend(_form_lines(form))
    return lines


def _form_lines(form: EntityForm) -> list[str]:
    if form.term is not None:
        return [f"  {form.source}: matched as written ({render(form.term)})"]
    lines = [f"  {form.source}:"]
    for word in form.words:
        stems = ", ".join(f"{s.stem}+{len(s.endings)} endings" for s in word.stems)
        searched = ", ".join(sorted(search_prefixes(word.stems[0].stem)))
        lines.append(f"    {word.text}: stems {stems}")
        lines.append(f"      begins {', '.join(sorted(word.prefixes))}")
        lines.append(f"      searched in the archive as {searched}")
    return lines


def specs_from_mapping(
    entities: Mapping[str, Sequence[str] | Mapping[str, Sequence[str]]],
) -> list[EntitySpec]:
    """``{name: [forms]}`` or ``{name: {forms: [...], not: [...]}}`` as written in YAML."""
    found = []
    for name, value in entities.items():
        if isinstance(value, Mapping):
            found.append(
                EntitySpec(
                    name=name,
                    forms=tuple(value.get("forms", ())),
                    refused=tuple(value.get("not", ())),
                )
            )
        else:
            found.append(EntitySpec(name=name, forms=tuple(value)))
    return found
