"""monitor.secrets: one masking function for URLs, free text and the config's secret values."""

from __future__ import annotations

import logging

import pytest
from conftest import WEBHOOK_SECRET

from monitor import secrets
from monitor.logs import setup_logging
from monitor.secrets import mask, mask_url, secrets_in_url

URLS = [
    # (written, shown): userinfo dropped, secret parameters' values as ***, the rest kept
    ("https://user:pa55word@wire.example.org/feed.xml", "https://wire.example.org/feed.xml"),
    ("https://justuser@wire.example.org/x", "https://wire.example.org/x"),
    ("https://wire.example.org/f?apikey=K3Y&lang=en", "https://wire.example.org/f?apikey=***&lang=en"),
    ("https://x.org/f?API_KEY=a1&Token=b2&access_token=c3", "https://x.org/f?API_KEY=***&Token=***&access_token=***"),
    ("https://x.org/f?key=1&auth=2&sig=3&signature=4", "https://x.org/f?key=***&auth=***&sig=***&signature=***"),
    ("https://x.org/f?password=p&secret=s&keep=k", "https://x.org/f?password=***&secret=***&keep=k"),
    ("https://u:p@x.org:8443/f?token=t#frag", "https://x.org:8443/f?token=***#frag"),
    ("https://x.org/f?monkey=banana&keyword=k", "https://x.org/f?monkey=banana&keyword=k"),
    ("https://x.org/plain.xml", "https://x.org/plain.xml"),
]  # fmt: skip


@pytest.mark.parametrize(("written", "shown"), URLS)
def test_mask_url_drops_userinfo_and_secret_parameters(written: str, shown: str) -> None:
    assert mask_url(written) == shown
    assert mask(written) == shown  # a URL alone is free text too


def test_urls_inside_free_text_are_masked_wherever_they_stand() -> None:
    text = (
        "poll failed feed=https://bob:hunter2@a.org/x?apikey=ZZZ9 "
        "(HTTPSConnectionPool: Max retries exceeded with url: /x?apikey=ZZZ9&n=1) "
        "'https://a.org/y?token=abc'"
    )
    shown = mask(text)
    for secret in ("hunter2", "bob:", "ZZZ9", "abc'"):
        assert secret not in shown
    assert "feed=https://a.org/x?apikey=***" in shown and "n=1" in shown


def test_registered_values_are_masked_in_any_text_longest_first() -> None:
    secrets.register(["Bearer s3cr3t-token", "s3cr3t-token", "ab"])
    try:
        assert mask("sent Bearer s3cr3t-token and s3cr3t-token") == "sent *** and ***"
        assert mask("ab stays: too short to mask in free text") == (
            "ab stays: too short to mask in free text"
        )
    finally:
        secrets.register([])


def test_secrets_in_url_finds_what_masking_hides() -> None:
    found = secrets_in_url("https://u5er:pa55@x.org/f?apikey=K&x=1")
    assert found == ["u5er", "pa55", "K"]


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    secrets.register([])


@pytest.mark.usefixtures("restored_logging")
def test_every_log_line_and_traceback_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    for json_lines in (False, True):
        setup_logging(json_lines=json_lines, secrets=["env-s3cret-value"])
        log = logging.getLogger("monitor.test")
        try:
            raise RuntimeError("boom at https://u:pw-in-url@h.org/?sig=SIGVAL env-s3cret-value")
        except RuntimeError:
            log.exception("failed feed=%s", "https://h.org/f?token=TOKVAL")
        err = capsys.readouterr().err
        assert "RuntimeError" in err and "feed=https://h.org/f?token=***" in err
        for secret in ("pw-in-url", "SIGVAL", "env-s3cret-value", "TOKVAL"):
            assert secret not in err, (json_lines, err)


# --- secret parameter names, however they are spelled ----------------------------------------

NAMES = [
    # (name, secret?)
    ("private_token", True),
    ("client_secret", True),
    ("Api%5Fkey", True),  # api_key, percent-encoded
    ("api%255Fkey", True),  # ... twice
    ("%41PIKEY", True),
    ("X-Api-Key", True),
    ("Refresh-Token", True),
    ("ACCESS_TOKEN", True),
    ("db_password", True),
    ("x-amz-security-token", True),
    ("Signature", True),
    ("passwd", True),
    ("monkey", False),
    ("keyword", False),
    ("sort_key", False),
    ("lang", False),
    ("page", False),
]


@pytest.mark.parametrize(("name", "secret"), NAMES)
def test_secret_names_are_found_in_any_case_and_encoding(name: str, secret: bool) -> None:
    value = "V4lue-9f8e"
    url = f"https://x.org/f?{name}={value}&lang=en"
    for shown in (mask_url(url), mask(url), mask(f"failed url: /f?{name}={value}&n=1")):
        assert (value not in shown) is secret, shown
        assert "en" in shown or "n=1" in shown
    assert (secrets_in_url(url) == [value]) is secret


SPELLED = {
    "PT": "private-tok-5e6f",
    "CS": "client-sec-7a8b",
    "AK": "encoded-key-9c0d",
}
SPELLED_URL = (
    "https://wire.example.org/feed.xml?private_token={PT}&Client_Secret={CS}&Api%5Fkey={AK}&lang=en"
)


def test_check_masks_every_spelling_of_a_secret_parameter(tmp_path) -> None:
    from click.testing import CliRunner
    from conftest import write_config

    from monitor.cli.main import main

    url = SPELLED_URL.format(**SPELLED)
    path = write_config(tmp_path, f'database: {tmp_path / "m.db"}\nfeeds:\n  - url: "{url}"\n')
    result = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "wire.example.org/feed.xml" in result.output and "lang=en" in result.output
    for value in SPELLED.values():
        assert value not in result.output
    exported = CliRunner().invoke(main, ["feeds", "export", "--config", str(path)])
    assert "lang=en" in exported.output
    for value in SPELLED.values():
        assert value not in exported.output


def test_a_health_notice_masks_every_spelling_of_a_secret_parameter(
    tmp_path, httpserver, hook
) -> None:
    from datetime import UTC, datetime

    from conftest import Clock, write_config
    from servers import webhook_json

    from monitor.config.load import load_config
    from monitor.service.app import build_app, run_once

    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=503)
    url = SPELLED_URL.format(**SPELLED).replace(
        "https://wire.example.org", httpserver.url_for("").rstrip("/")
    )
    path = write_config(
        tmp_path,
        f"""
        database: {tmp_path / "m.db"}
        feeds:
          - {{url: "{url}", name: Wire}}
        digests:
          ops: {{schedule: instant, channels: [hook]}}
        channels:
          hook: {{type: webhook, url: "{hook.url}", secret: "{WEBHOOK_SECRET}"}}
        health: {{digest: ops, failing_for: 1h}}
        """,
    )
    app = build_app(load_config(path), clock=clock)
    for _ in range(4):
        run_once(app)
        clock.advance(minutes=30)
    run_once(app)
    [notice] = [b for b in map(webhook_json, hook.deliveries) if b["type"] == "health"]
    [note] = notice["feeds"]
    assert note["state"] == "failing" and "lang=en" in note["url"]
    for value in SPELLED.values():
        assert value not in str(notice)


def test_bidi_controls_never_reach_what_is_shown() -> None:
    assert mask("invoice \u202egpj.exe") == "invoice gpj.exe"
    every = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    assert mask(f"a{every}\u200e\u200f\u061cb") == "ab"
    assert mask("Rogun \u0631\u0648\u063a\u0648\u0646") == "Rogun \u0631\u0648\u063a\u0648\u0646"
