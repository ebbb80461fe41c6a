"""Changing one rule or feed in real config files: every other byte stays, the result loads,
`${VAR}` placeholders stay placeholders; saving checks the version and validates first."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from conftest import REPO

from monitor.config import edit, edit_entities
from monitor.config.load import parse_config
from monitor.config.write import ConfigConflict, read, save
from monitor.errors import ConfigError

CONFIGS = [
    REPO / "config" / "monitor.yaml",
    *sorted((REPO / "config" / "examples").glob("*.yaml")),
]


# every `${VAR}` the examples use, set to values that would show if one leaked into the file
ENV = {
    "SMTP_HOST": "smtp.leaked.example",
    "SMTP_USER": "LEAKED-user",
    "SMTP_PASSWORD": "LEAKED-pw",
    "WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "WIRE_USER": "LEAKED-wire",
    "WIRE_PASSWORD": "LEAKED-wire-pw",
    "WIRE_TOKEN": "LEAKED-wire-token",
}
NEW_RULE = {"name": "Kambarata", "query": 'Kambarata NOT "tea party"', "digest": None}


def rules_of(text: str, path: Path) -> dict[str, str]:
    config = parse_config(text, path=str(path), env=ENV)
    return {r.name: r.source for r in config.rules}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines removed and added, in order."""
    removed, added = [], []
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def first_digest(text: str, path: Path) -> str:
    return next(iter(parse_config(text, path=str(path), env=ENV).digests))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_a_new_rule_adds_only_its_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fields = NEW_RULE | {"digest": first_digest(text, path)}
    after = edit.set_rule(text, None, fields)
    removed, added = changed_lines(text, after)
    assert removed == []
    assert [line.strip() for line in added] == [
        "- name: Kambarata",
        "query: 'Kambarata NOT \"tea party\"'",
        f"digest: {fields['digest']}",
    ]
    assert rules_of(after, path)["Kambarata"] == 'Kambarata NOT "tea party"'
    assert "LEAKED" not in after and "whsec_" not in after.replace(text, "")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_changing_a_rule_replaces_only_the_changed_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    name = next(iter(rules_of(text, path)))
    fields = edit.rule_fields(text, name)
    assert fields is not None
    changed = dict(fields) | {"query": "Rogun NEAR/5 dam", "any": None}
    after = edit.set_rule(text, name, changed)
    removed, added = changed_lines(text, after)
    assert len(added) == 1 and added[0].strip().startswith("query: 'Rogun NEAR/5 dam'")
    assert len(removed) <= 2  # the old query, or the any: line it replaces
    assert rules_of(after, path)[name] == "Rogun NEAR/5 dam"
    # unchanged fields written back change nothing at all
    assert edit.set_rule(text, name, fields) == text


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_deleting_a_rule_removes_only_its_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    names = list(rules_of(text, path))
    after = edit.delete_rule(text, names[-1])
    removed, added = changed_lines(text, after)
    assert added == [] or (len(names) == 1 and added == ["rules: []\n"])
    assert f"- name: {names[-1]}" in [line.strip() for line in removed[:2]]
    assert list(rules_of(after, path)) == names[:-1]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_a_new_feed_adds_only_its_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    after = edit.add_feed(text, {"url": "https://new.example.org/rss", "name": "New: desk"})
    removed, added = changed_lines(text, after)
    assert removed == []
    assert [line.strip() for line in added] == [
        "- url: https://new.example.org/rss",
        "name: 'New: desk'",
    ]
    urls = [f.url for f in parse_config(after, path=str(path), env=ENV).feeds]
    assert "https://new.example.org/rss" in urls


CASES = [
    pytest.param(
        "rules:\n  - name: A\n    query: a   # the first\n    digest: d\n",
        ("A", {"query": "b"}),
        "rules:\n  - name: A\n    query: 'b' # the first\n    digest: d\n",
        id="comment after a changed value stays in its column",
    ),
    pytest.param(
        "rules:\r\n  - name: A\r\n    query: a\r\n    digest: d\r\n",
        ("A", {"priority": "urgent"}),
        "rules:\r\n  - name: A\r\n    query: a\r\n    digest: d\r\n    priority: urgent\r\n",
        id="CRLF file stays CRLF",
    ),
    pytest.param(
        "rules:\n- name: A\n  query: a\n  digest: d\nweb: {token: '${T}'}\n",
        ("A", {"name": "B", "query": "it's"}),
        "rules:\n- name: B\n  query: 'it''s'\n  digest: d\nweb: {token: '${T}'}\n",
        id="items at the list's own indentation, quotes doubled",
    ),
    pytest.param(
        "rules:\n  - name: A\n    any: [a, b]\n    # why b\n    digest: d\n",
        ("A", {"any": None, "query": "c"}),
        "rules:\n  - name: A\n    # why b\n    digest: d\n    query: 'c'\n",
        id="a removed key's lines go, a comment before the next key stays",
    ),
    pytest.param(
        "rules:\n  - name: 'yes'\n    query: a\n    digest: d\n",
        ("yes", {"name": "true"}),
        "rules:\n  - name: 'true'\n    query: a\n    digest: d\n",
        id="a name YAML would read as a boolean is quoted",
    ),
]


@pytest.mark.parametrize(("before", "change", "after"), CASES)
def test_set_rule_cases(before: str, change: tuple, after: str) -> None:
    name, fields = change
    assert edit.set_rule(before, name, fields) == after


def test_the_last_rule_deleted_leaves_an_empty_list_and_the_first_new_one_fills_it() -> None:
    text = "database: x.db\nrules:\n  - name: A\n    query: a\n    digest: d\n# the end\n"
    empty = edit.delete_rule(text, "A")
    assert empty == "database: x.db\nrules: []\n# the end\n"
    again = edit.set_rule(empty, None, {"name": "A", "query": "a", "digest": "d"})
    assert (
        again == "database: x.db\nrules:\n  - name: A\n    query: 'a'\n    digest: d\n# the end\n"
    )
    assert edit.set_rule("database: x.db\n", None, {"name": "A", "query": "a"}) == (
        "database: x.db\n\nrules:\n  - name: A\n    query: 'a'\n"
    )


def test_unknown_rule_and_flow_lists_are_refused() -> None:
    with pytest.raises(edit.EditError, match="no rule named 'B'"):
        edit.set_rule("rules:\n  - {name: A, query: a, digest: d}\n", "B", {"query": "b"})
    with pytest.raises(edit.EditError, match="not a block list"):
        edit.set_rule("rules: [{name: A, query: a, digest: d}]\n", None, {"name": "B"})


GOOD = """\
database: {db}
feeds:
  - url: https://wire.example.org/feed.xml
    username: "${{WIRE_USER}}"   # from the environment
rules:
  - name: A
    query: a
    digest: daily
digests:
  daily: {{schedule: "0 8 * * *", channels: [console]}}
channels:
  console: {{type: console}}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(GOOD.format(db=tmp_path / "m.db"), encoding="utf-8")
    return path


def test_save_writes_over_the_version_read_and_keeps_placeholders(config_file: Path) -> None:
    env = {"WIRE_USER": "secret-user"}
    first = read(config_file)
    text = edit.set_rule(first.text, "A", {"query": "b"})
    saved = save(config_file, text, version=first.version, env=env)
    assert config_file.read_bytes() == text.encode()
    assert saved.version != first.version and read(config_file) == saved
    assert '"${WIRE_USER}"   # from the environment' in config_file.read_text()
    assert "secret-user" not in config_file.read_text()


def test_second_save_over_the_same_version_is_a_conflict(config_file: Path) -> None:
    env = {"WIRE_USER": "u"}
    opened = read(config_file)
    mine = edit.set_rule(opened.text, "A", {"query": "mine"})
    theirs = edit.set_rule(opened.text, "A", {"query": "theirs"})
    save(config_file, mine, version=opened.version, env=env)
    with pytest.raises(ConfigConflict) as conflict:
        save(config_file, theirs, version=opened.version, env=env)
    assert conflict.value.current.text == mine
    assert config_file.read_text() == mine


def test_a_config_that_would_not_load_is_never_written(config_file: Path) -> None:
    opened = read(config_file)
    broken = edit.set_rule(opened.text, "A", {"query": "a AND (b", "digest": "dayly"})
    with pytest.raises(ConfigError) as error:
        save(config_file, broken, version=opened.version, env={"WIRE_USER": "u"})
    assert any("unknown digest 'dayly'" in p for p in error.value.problems)
    assert read(config_file) == opened
    assert not [p for p in os.listdir(config_file.parent) if p.endswith(".tmp")]


def test_undo_takes_back_one_change_and_keeps_the_later_ones() -> None:
    base = "rules:\n  - name: A\n    query: a\n    digest: d\n  - name: B\n    query: b\n    digest: d\n"
    first = edit.set_rule(base, "A", {"query": "a2", "priority": "urgent"})
    second = edit.set_rule(first, "B", {"query": "b2"})
    assert edit.undo(first, base, first) == base  # nothing since: byte for byte
    assert edit.undo(second, base, first) == edit.set_rule(base, "B", {"query": "b2"})
    added = edit.set_rule(second, None, {"name": "C", "query": "c", "digest": "d"})
    assert edit.undo(added, second, added) == second
    assert edit.undo(edit.set_rule(added, "B", {"query": "b3"}), second, added).endswith(
        "    query: 'b3'\n    digest: d\n"
    )
    with pytest.raises(edit.EditError, match="later changes touched the same lines"):
        edit.undo(edit.set_rule(first, "A", {"query": "a3"}), base, first)


ENTITIES = """\
entities:
  Rogun: [Rogun, Рогун]      # the dam
  SCO: ['{SCO}', '"Shanghai Cooperation Organization"']
rules:
  - name: A
    query: '@Rogun'
    digest: d
"""


def test_entities_are_written_in_place() -> None:
    assert edit_entities.entity_fields(ENTITIES, "SCO") == {
        "forms": ["{SCO}", '"Shanghai Cooperation Organization"'],
        "not": [],
    }
    changed = edit_entities.set_entity(ENTITIES, "Rogun", "Rogun", ["Rogun", "Рогун", "Roghun"])
    assert changed == ENTITIES.replace(
        "  Rogun: [Rogun, Рогун]      # the dam", "  Rogun: [Rogun, Рогун, Roghun] # the dam"
    )
    added = edit_entities.set_entity(
        ENTITIES, None, "Mirziyoyev", ["Mirziyoyev", "Мирзиёев"], ["Мирзоев"]
    )
    assert added == ENTITIES.replace(
        "rules:\n",
        "  Mirziyoyev: {forms: [Mirziyoyev, Мирзиёев], not: [Мирзоев]}\nrules:\n",
    )
    assert edit_entities.entity_fields(added, "Mirziyoyev") == {
        "forms": ["Mirziyoyev", "Мирзиёев"],
        "not": ["Мирзоев"],
    }
    assert edit_entities.delete_entity(added, "SCO").count("SCO") == 0
    one = edit_entities.delete_entity(edit_entities.delete_entity(ENTITIES, "SCO"), "Rogun")
    assert one.startswith("entities: {}\nrules:\n")
    assert (
        edit_entities.set_entity("rules: []\n", None, "X", ["x"])
        == "rules: []\n\nentities:\n  X: [x]\n"
    )
