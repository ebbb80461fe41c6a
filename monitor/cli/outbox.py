"""`news-monitor digest` and `deliveries`: digests on demand and the outbox."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from monitor.cli.common import (
    config_option,
    config_path,
    fail,
    handle_errors,
    load,
    load_config,
    say,
)


@click.group()
def digest() -> None:
    """Preview or send a digest now."""


@digest.command("preview")
@click.argument("name")
@config_option
@click.option("--html", "as_html", is_flag=True, help="Render HTML instead of text.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON body a webhook would receive."
)
@handle_errors
def digest_preview(name: str, config_file: str | None, as_html: bool, as_json: bool) -> None:
    """Render what digest NAME would send now, marking nothing."""
    import json

    from alerts.payloads import digest_payload
    from alerts.render import render_html, render_text
    from alerts.view import format_time
    from monitor.digest.release import digest_hold
    from monitor.digest.select import preview_digest
    from monitor.store.backend import open_database

    config = load_config(config_path(config_file), delivering=False)
    if name not in config.digests:
        fail(f"unknown digest '{name}' (known: {', '.join(config.digests)})")
    db, now = open_database(config.database), datetime.now(UTC)
    built = preview_digest(db, config, config.digests[name], now)
    waiting = digest_hold(db, config.digests[name], now)
    if waiting is not None and built.total:
        # On stderr, so that the rendered digest on stdout stays what a channel would get.
        until = format_time(waiting.until, config.digests[name].timezone)
        say(f"held until {until} ({waiting.reason}): {built.total} waiting", err=True)
    if not built.total:
        from monitor.pipeline.refresh import BACKLOG_HINT

        say(f"nothing waiting for digest {name}. Note: {BACKLOG_HINT}", err=True)
    if as_json:
        say(json.dumps(digest_payload(built), indent=2, ensure_ascii=False))
    else:
        say(render_html(built) if as_html else render_text(built))


@digest.command("send")
@click.argument("name")
@config_option
@handle_errors
def digest_send(name: str, config_file: str | None) -> None:
    """Select digest NAME's undelivered matches and send them now."""
    from monitor.service.app import build_app, send_digest

    config = load(config_file)
    if name not in config.digests:
        fail(f"unknown digest '{name}' (known: {', '.join(config.digests)})")
    reports = send_digest(build_app(config), name)
    _print_reports(reports)
    if any(r.status != "sent" for r in reports):
        sys.exit(2)


@click.command()
@config_option
@click.option(
    "--retry", is_flag=True, help="Send every pending delivery now, ignoring its backoff."
)
@click.option(
    "--enable",
    "enable",
    multiple=True,
    metavar="CHANNEL",
    help="Re-enable a channel a 410 disabled.",
)
@handle_errors
def deliveries(config_file: str | None, retry: bool, enable: tuple[str, ...]) -> None:
    """The outbox: pending, failed and sent deliveries with their last error."""
    from monitor.digest.outbox import deliver_pending, outbox_rows
    from monitor.store.backend import open_database
    from monitor.store.outbox import disabled_channels, enable_channels
    from monitor.store.records import iso

    config = load(config_file, delivering=retry)
    db = open_database(config.database)
    if enable:
        say(f"re-enabled {enable_channels(db, list(enable))} channel(s)")
    for name, reason in disabled_channels(db).items():
        say(f"channel {name} is disabled: {reason} (deliveries --enable {name})")
    if retry:
        from alerts.channels import make_channel

        channels = {n: make_channel(n, s) for n, s in config.channels.items()}
        _print_reports(deliver_pending(db, channels, datetime.now(UTC), ignore_backoff=True))
    say(
        f"{'DELIVERY':40} {'DIGEST':10} {'CHANNEL':12} {'STATUS':9} {'TRIES':>5} {'CREATED':20} {'NEXT/SENT':20} ERROR"
    )
    for r in outbox_rows(db):
        when = (
            r.sent_at
            if r.status == "sent"
            else (r.next_attempt_at if r.status == "pending" else None)
        )
        say(
            f"{r.id:40} {r.digest[:10]:10} {r.channel[:12]:12} {r.status:9} {r.attempts:>5} "
            f"{(iso(r.created_at) or '')[:19]:20} {(iso(when) or '')[:19]:20} {(r.last_error or '')[:80]}"
        )


def _print_reports(reports: list[Any]) -> None:
    for r in reports:
        line = f"{r.status}: {r.digest} -> {r.channel} ({r.id})"
        say(line + (f": {r.error}" if r.error else ""))
