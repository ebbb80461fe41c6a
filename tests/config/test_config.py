"""Config loading: valid files become frozen records; each mistake is one line with file:line:col."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import REPO, write_config

from monitor.config.load import load_config, parse_config
from monitor.errors import ConfigError

BASE = """\
feeds:
  - url: https://example.org/rss.xml
    tags: [central-asia]
rules:
  - name: Rogun
    any: [Rogun]
    digest: instant
digests:
  instant: {schedule: instant, channels: [console]}
  daily: {schedule: "0 8 * * *", timezone: Asia/Dushanbe, channels: [console]}
channels:
  console: {type: console}
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="monitor.yaml", env=env or {})
    return info.value.problems


def test_the_default_config_loads() -> None:
    config = load_config(REPO / "config" / "monitor.yaml")
    assert {r.name for r in config.rules} == {"SCO", "Rogun", "NATO"}
    assert config.digests["daily"].timezone == "Asia/Dushanbe"
    assert all(f.url.startswith("https://") for f in config.feeds)


def test_example_configs_load_with_their_environment() -> None:
    env = {
        "SMTP_HOST": "localhost",
        "SMTP_USER": "monitor",
        "SMTP_PASSWORD": "pw",
        "WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "WIRE_USER": "wire",
        "WIRE_PASSWORD": "wire-pw",
        "WIRE_TOKEN": "wire-token",
    }
    for path in (REPO / "config" / "examples").glob("*.yaml"):
        config = parse_config(path.read_text(), path=str(path), env=env)
        assert config.feeds


def test_defaults_apply_and_feed_overrides_win() -> None:
    text = BASE.replace(
        "    tags: [central-asia]\n", "    tags: [central-asia]\n    interval: 5m\n"
    )
    config = parse_config(
        "defaults: {interval: 2h, max_bytes: 1MB, full_text: true}\n" + text, path="x", env={}
    )
    feed = config.feeds[0]
    assert feed.interval == timedelta(minutes=5)
    assert feed.max_bytes == 1_000_000
    assert feed.full_text is True
    assert feed.name == "example.org"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("feeds:", "feedz: []\nfeeds:"), "monitor.yaml:1:1: feedz: unknown key 'feedz' (known: "),
        (
            ("digest: instant", "digest: dayly"),
            "monitor.yaml:7:13: rules[0].digest: unknown digest 'dayly' (known: instant, daily)",
        ),
        (
            ("channels: [console]}\n  daily", "channels: [mail]}\n  daily"),
            "monitor.yaml:9:43: digests.instant.channels[0]: unknown channel 'mail' (known: console)",
        ),
        (
            ("    tags: [central-asia]\n", "    tags: [central-asia]\n    interval: soon\n"),
            "monitor.yaml:4:15: feeds[0].interval: expected a duration like 30s, 15m, 2h or 7d, got 'soon'",
        ),
        (("any: [Rogun]", "query: 'Rogun AND'"), "monitor.yaml:6:12: rules[0].query:1:"),
        (
            ("Asia/Dushanbe", "Asia/Nowhere"),
            "monitor.yaml:10:44: digests.daily.timezone: unknown timezone 'Asia/Nowhere'",
        ),
        (
            ('"0 8 * * *"', '"0 25 * * *"'),
            "monitor.yaml:10:21: digests.daily.schedule: expected 'instant' or a cron expression",
        ),
        (
            ("  console: {type: console}", "  console: {type: carrier-pigeon}"),
            "monitor.yaml:12:19: channels.console.type: unknown channel type 'carrier-pigeon' (known: email, webhook, console, file, atom, apprise)",
        ),
        (
            ("    any: [Rogun]\n", ""),
            "monitor.yaml:5:5: rules[0]: a rule needs a 'query' or an 'any' or 'all' list",
        ),
        (
            ("  - name: Rogun\n", "  - name: Rogun\n    mentions: many\n"),
            "monitor.yaml:6:15: rules[0].mentions:",
        ),
        (
            ("https://example.org/rss.xml", "ftp://example.org/rss.xml"),
            "monitor.yaml:2:5: feeds[0]: feed url must start with http:// or https://",
        ),
    ],
)
def test_each_mistake_is_one_line_with_its_position(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in BASE
    found = problems(BASE.replace(old, new, 1))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_duplicate_keys_are_errors_not_silently_overwritten() -> None:
    found = problems(BASE + "channels:\n  other: {type: console}\n")
    assert "duplicate key" in found[0] and found[0].startswith("monitor.yaml:13:1:")


def test_several_problems_are_all_reported() -> None:
    text = BASE.replace("digest: instant", "digest: dayly").replace(
        "channels: [console]}\n  daily", "channels: [nope]}\n  daily"
    )
    assert len(problems(text)) == 2


def test_environment_variables_are_substituted_with_defaults() -> None:
    text = BASE.replace(
        "  console: {type: console}",
        '  console: {type: console}\n  hook: {type: webhook, url: "${HOOK_URL:-https://hooks.example.org/x}", secret: "${SECRET}"}',
    )
    config = parse_config(text, path="x", env={"SECRET": "s3cr3t-value"})
    hook = config.channels["hook"]
    assert hook.url.get_secret_value() == "https://hooks.example.org/x"
    assert hook.secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(hook)


def test_a_missing_environment_variable_names_where_it_is_used() -> None:
    text = BASE.replace(
        "  console: {type: console}",
        '  console: {type: console}\n  hook: {type: webhook, url: "https://h.example.org", secret: "${SECRET}"}',
    )
    found = problems(text)
    assert found == [
        "monitor.yaml:13:63: channels.hook.secret: environment variable SECRET is not set"
    ]


def test_or_mixed_with_and_gives_a_warning_not_an_error() -> None:
    config = parse_config(
        BASE.replace("any: [Rogun]", "query: 'Rogun OR dam NOT football'"), path="x", env={}
    )
    assert config.warnings and "rules[0].query" in config.warnings[0]


def test_unreadable_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")


def test_yaml_syntax_error_has_a_position(tmp_path) -> None:
    path = write_config(tmp_path, "feeds: [\n  - url: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].startswith(f"{path}:")


def test_a_wrongly_typed_secret_is_not_echoed_in_the_error() -> None:
    text = BASE.replace(
        "  console: {type: console}",
        "  console: {type: console}\n  hook: {type: webhook, url: https://h.example.org, secret: [hunter2-secret]}",
    )
    found = problems(text)
    assert len(found) == 1 and "channels.hook.secret" in found[0]
    assert "hunter2-secret" not in found[0]


def test_a_bad_list_item_points_at_that_item() -> None:
    found = problems(BASE.replace("any: [Rogun]", "any: [Rogun]\n    none: [ok, '{open']"))
    assert found == ["monitor.yaml:7:16: rules[0].none[1]:1:1: unclosed '{'"]


# A database URL (§15) -------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "mysql://db.example.org/news",
            "monitor.yaml:1:11: database: unknown database scheme 'mysql'",
        ),
        ("postgresql:news", "monitor.yaml:1:11: database: a PostgreSQL database is a URL like"),
    ],
)
def test_a_database_nobody_can_open_is_an_error_with_its_position(
    value: str, expected: str
) -> None:
    found = problems(f"database: {value}\n" + BASE)
    assert len(found) == 1 and found[0].startswith(expected), found


@pytest.mark.parametrize(
    "value",
    [
        "data/monitor.db",
        "sqlite:///var/lib/monitor.db",
        "postgresql://monitor@db.internal/news",
        r"C:\monitor.db",
    ],
)
def test_paths_and_known_database_urls_are_kept_as_written(value: str) -> None:
    assert (
        parse_config(f"database: '{value}'\n" + BASE, path="monitor.yaml", env={}).database == value
    )
