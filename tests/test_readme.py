"""The README is the manual: every command and config key is in it, and its YAML really loads."""

from __future__ import annotations

import re

import click
from conftest import REPO
from ruamel.yaml import YAML

from monitor.cli.main import main
from monitor.config.load import parse_config
from monitor.config.schema import ConfigModel, DigestEntry, FeedDefaults, FeedEntry, RuleEntry

README = (REPO / "README.md").read_text(encoding="utf-8")


def yaml_blocks(text: str = README[README.index("## A five-minute tour") :]) -> list[str]:
    """The tour's YAML blocks, and those after it: together they make one config."""
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def commands(group: click.Group, prefix: str = "news-monitor") -> list[str]:
    out = []
    for name, command in group.commands.items():
        out.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            out += commands(command, f"{prefix} {name}")
    return out


def test_every_command_is_documented() -> None:
    missing = [c for c in commands(main) if c not in README]
    assert missing == []


def test_every_option_of_every_command_is_documented() -> None:
    def options(group: click.Group) -> set[str]:
        found: set[str] = set()
        for command in group.commands.values():
            found |= {o for p in command.params for o in p.opts if o.startswith("--")}
            if isinstance(command, click.Group):
                found |= options(command)
        return found

    assert sorted(o for o in options(main) if o not in README) == []


def test_every_config_key_is_documented() -> None:
    keys = set()
    for model in (ConfigModel, FeedDefaults, FeedEntry, RuleEntry, DigestEntry):
        keys |= set(model.model_fields)
    missing = sorted(
        k
        for k in keys
        if f"`{k}`" not in README and f".{k}`" not in README and f"{k}`" not in README
    )
    assert missing == []


def test_every_yaml_block_parses_and_the_tour_loads_as_one_config() -> None:
    blocks = yaml_blocks()
    assert len(blocks) >= 4
    for block in blocks:
        YAML(typ="safe").load(block)
    config = parse_config("\n".join(blocks), path="README.md", env={})
    assert {r.name for r in config.rules} == {"SCO", "Rogun", "NATO"}
    assert set(config.channels) >= {"console", "team", "ops-hook", "archive", "atom"}
