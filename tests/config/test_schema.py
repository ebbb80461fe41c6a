"""The committed JSON Schema that editors use for config files matches the config models."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import REPO

from monitor.cli.main import main

SCHEMA = REPO / "docs" / "config.schema.json"


def test_committed_schema_is_what_the_schema_command_prints() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert SCHEMA.read_text(encoding="utf-8") == result.output, (
        "docs/config.schema.json is stale: run `news-monitor schema > docs/config.schema.json`"
    )


def test_schema_describes_every_top_level_key_and_forbids_unknown_ones() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    keys = {"database", "timezone", "user_agent", "allow_private_networks", "defaults"}
    assert keys | {"feeds", "rules", "digests", "channels"} <= schema["properties"].keys()


def test_shipped_configs_point_editors_at_the_schema() -> None:
    for config in (REPO / "config" / "monitor.yaml", REPO / "deploy" / "compose-monitor.yaml"):
        first = config.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), config
        target = (config.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == SCHEMA.resolve(), config
