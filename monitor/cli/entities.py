"""`news-monitor entities`: what a declared entity matches (its stems, endings, beginnings)."""

from __future__ import annotations

import click

from monitor.cli.common import config_option, config_path, fail, handle_errors, load_config, say


@click.group()
def entities() -> None:
    """Show the entities the config declares and the forms they match."""


@entities.command("show")
@click.argument("name", required=False)
@config_option
@handle_errors
def show(name: str | None, config_file: str | None) -> None:
    """List every entity's forms, or, given NAME, how each of its forms is matched."""
    from monitor.rules.entities.declare import describe, entity_warnings

    config = load_config(config_path(config_file), delivering=False)
    if name is None:
        if not config.entities:
            say("no entities declared")
        for entity in config.entities.values():
            forms = ", ".join(form.source for form in entity.forms)
            never = f"  (never: {', '.join(entity.refused)})" if entity.refused else ""
            say(f"@{entity.name}: {forms}{never}")
        return
    found = config.entities.get(name.removeprefix("@"))
    if found is None:
        known = ", ".join(f"@{n}" for n in config.entities) or "none declared"
        fail(f"no entity '{name}' (entities: {known})")
    for line in describe(found):
        say(line)
    for warning in entity_warnings(found):
        say(f"warning: {warning}", err=True)
