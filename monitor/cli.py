"""The `news-monitor` command line: thin commands over the library, errors mapped to exit codes.

Exit codes: 0 ok, 1 bad input or config (one line per problem), 2 runtime failure.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import BaseModel, SecretStr

from monitor.config import Config, config_path, load_config
from monitor.errors import ConfigError, MonitorError
from monitor.logs import setup_logging
from monitor.units import format_duration, parse_duration

log = logging.getLogger("monitor.cli")

config_option = click.option(
    "--config",
    "config_file",
    metavar="PATH",
    default=None,
    help="Config file (default: $NEWS_MONITOR_CONFIG or config/monitor.yaml).",
)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            sys.exit(1)
        except (MonitorError, OSError) as exc:
            fail(str(exc), 2)

    return wrapper


def secret_values(config: Config) -> list[str]:
    """Every SecretStr value in the channel settings, for log redaction."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for settings in config.channels.values():
        walk(settings)
    return found


def load(config_file: str | None, *, log_json: bool = False) -> Config:
    config = load_config(config_path(config_file))
    setup_logging(json_lines=log_json, secrets=secret_values(config))
    return config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="news-monitor")
def main() -> None:
    """Watch news feeds, match articles against rules, send digests."""


# run -------------------------------------------------------------------------


@main.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every feed now, send what is due, and exit.")
@click.option("--log-json", is_flag=True, help="Log one JSON object per line.")
@click.option(
    "--health-port", type=int, default=None, help="Serve /healthz and /metrics on this port."
)
@handle_errors
def run(config_file: str | None, once: bool, log_json: bool, health_port: int | None) -> None:
    """Run the service (or one pass with --once)."""
    from monitor.app import build_app, run_once

    config = load(config_file, log_json=log_json)
    for warning in config.warnings:
        log.warning("%s", warning)
    if once:
        app = build_app(config)
        outcomes = _run_once_with_progress(app, run_once)
        failed = [o for o in outcomes if o.outcome == "error"]
        log.info(
            "run finished feeds=%d new_articles=%d matches=%d failed=%d",
            len(outcomes),
            sum(o.new_articles for o in outcomes),
            sum(o.matches for o in outcomes),
            len(failed),
        )
        return
    from monitor.service import Service

    service = Service(config)
    service.install_signal_handlers()
    if health_port is not None:
        from monitor.health import serve_health

        serve_health(service, health_port)
    service.run()


def _run_once_with_progress(app: Any, run_once: Callable[..., Any]) -> list[Any]:
    # A bar on a terminal only: pipes and services stay quiet.
    if not sys.stderr.isatty() or len(app.config.feeds) < 2:
        return run_once(app)
    with click.progressbar(
        length=len(app.config.feeds), label="polling feeds", file=sys.stderr
    ) as bar:
        return run_once(app, progress=lambda _outcome: bar.update(1))


# check -----------------------------------------------------------------------


@main.command()
@config_option
@handle_errors
def check(config_file: str | None) -> None:
    """Validate the config and print what it defines (secrets masked)."""
    config = load_config(config_path(config_file))
    click.echo(f"config {config.path}: ok")
    click.echo(f"database: {config.database}  timezone: {config.timezone}")
    click.echo(f"feeds ({len(config.feeds)}):")
    for feed in config.feeds:
        extras = f" tags={','.join(feed.tags)}" if feed.tags else ""
        extras += " full_text" if feed.full_text else ""
        click.echo(f"  {feed.name}  {feed.url}  every {format_duration(feed.interval)}{extras}")
    click.echo(f"rules ({len(config.rules)}):")
    for rule in config.rules:
        click.echo(f"  {rule.name} -> {rule.digest}: {rule.source}")
    click.echo(f"digests ({len(config.digests)}):")
    for digest in config.digests.values():
        click.echo(
            f"  {digest.name}: {digest.schedule} ({digest.timezone}) -> {', '.join(digest.channels)}"
        )
    click.echo(f"channels ({len(config.channels)}):")
    for name, settings in config.channels.items():
        click.echo(f"  {name}: {_masked(settings)}")
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)


def _masked(settings: BaseModel) -> str:
    # model_dump keeps SecretStr objects, whose str() is '**********'
    return json.dumps(settings.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the config file (for editors)."""
    from monitor.config_schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


# feeds -----------------------------------------------------------------------


@main.group(invoke_without_command=True)
@config_option
@click.pass_context
@handle_errors
def feeds(ctx: click.Context, config_file: str | None) -> None:
    """Feed health: last poll, status, errors, articles, next poll."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.db import Database
    from monitor.store import Store

    config = load_config(config_path(config_file))
    rows = {r["url"]: r for r in Store(Database(config.database)).feed_health()}
    click.echo(f"{'FEED':40} {'LAST POLL':20} {'STATUS':14} {'ART':>5} {'NEXT POLL':20} ERROR")
    for feed in config.feeds:
        r = rows.get(feed.url, {})
        status = r.get("last_outcome") or "never polled"
        if r.get("last_status"):
            status += f" {r['last_status']}"
        click.echo(
            f"{feed.url[:40]:40} {(r.get('last_polled_at') or '-')[:19]:20} {status[:14]:14} "
            f"{r.get('articles', 0):>5} {(r.get('next_check_at') or 'now')[:19]:20} "
            f"{(r.get('last_error') or r.get('last_warning') or '')[:80]}"
        )
        if r.get("redirect_to"):
            click.echo(f"{'':40} moved permanently to {r['redirect_to']}")


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
@config_option
@click.option(
    "--write", is_flag=True, help="Add the feeds to the config file, keeping its comments."
)
@handle_errors
def feeds_import(opml_file: str, config_file: str | None, write: bool) -> None:
    """Print the feeds of an OPML file as YAML feed entries (or add them with --write)."""
    from monitor.opml import read_opml
    from monitor.opml_config import add_feeds_to_config, feed_entries_yaml

    try:
        outlines = read_opml(Path(opml_file).read_bytes())
    except ValueError as exc:
        fail(f"{opml_file}: {exc}")
    if write:
        added = add_feeds_to_config(config_path(config_file), outlines)
        click.echo(f"added {added} feeds to {config_path(config_file)}")
    else:
        click.echo(feed_entries_yaml(outlines), nl=False)


@feeds.command("export")
@config_option
@handle_errors
def feeds_export(config_file: str | None) -> None:
    """Write the configured feeds as OPML 2.0 to stdout."""
    from monitor.opml import write_opml

    config = load_config(config_path(config_file))
    sys.stdout.buffer.write(write_opml((f.url, f.name, f.tags) for f in config.feeds))


# rules and search ------------------------------------------------------------


@main.group()
def rules() -> None:
    """Try rules against text or the archive."""


@rules.command("test")
@click.argument("rule_or_query")
@config_option
@click.option("--text", default=None, help="Text to match against.")
@click.option("--title", default="", help="Title to match against.")
@click.option(
    "--since", default=None, help="Backtest against stored articles of this period (e.g. 30d)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def rules_test(
    rule_or_query: str,
    config_file: str | None,
    text: str | None,
    title: str,
    since: str | None,
    as_json: bool,
) -> None:
    """Explain whether RULE (a rule name or a query) matches, or backtest it with --since."""
    from monitor.explore import backtest, explain_text, resolve_rule

    path = config_path(config_file)
    config = load_config(path) if (Path(path).exists() or config_file) else None
    rule = resolve_rule(rule_or_query, config)
    if since is not None:
        if config is None:
            fail("--since needs a config (its database holds the archive)")
        results = backtest(config, rule, since=_duration(since, "--since"), now=datetime.now(UTC))
        _print_articles(results, as_json)
        return
    if text is None and not title:
        fail("give --text (and/or --title) to test against, or --since to backtest")
    result = explain_text(rule, title=title, text=text or "")
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        click.echo(result.explanation)


@main.command()
@click.argument("query")
@config_option
@click.option("--since", default="7d", show_default=True, help="How far back to search.")
@click.option("--limit", default=50, show_default=True, help="At most this many results.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON lines.")
@handle_errors
def search(query: str, config_file: str | None, since: str, limit: int, as_json: bool) -> None:
    """Search the archive with the rule language."""
    from monitor.explore import resolve_rule, search_archive

    config = load_config(config_path(config_file))
    rule = resolve_rule(query, None)
    results = search_archive(
        config, rule, since=_duration(since, "--since"), limit=limit, now=datetime.now(UTC)
    )
    _print_articles(results, as_json)


def _duration(text: str, option: str) -> Any:
    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _print_articles(results: list[Any], as_json: bool) -> None:
    for item in results:
        if as_json:
            click.echo(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            terms = ", ".join(item.terms)
            click.echo(
                f"{(item.published or item.first_seen)[:16]}  {item.title}\n    {item.url}  [{terms}]"
            )
    if not as_json:
        click.echo(f"{len(results)} article(s)")


# digests and deliveries ------------------------------------------------------


@main.group()
def digest() -> None:
    """Preview or send a digest now."""


@digest.command("preview")
@click.argument("name")
@config_option
@click.option("--html", "as_html", is_flag=True, help="Render HTML instead of text.")
@handle_errors
def digest_preview(name: str, config_file: str | None, as_html: bool) -> None:
    """Render what digest NAME would send now, marking nothing."""
    from alerts.render import render_html, render_text
    from monitor.db import Database
    from monitor.digest import preview_digest

    config = load_config(config_path(config_file))
    if name not in config.digests:
        fail(f"unknown digest '{name}' (known: {', '.join(config.digests)})")
    built = preview_digest(
        Database(config.database), config, config.digests[name], datetime.now(UTC)
    )
    click.echo(render_html(built) if as_html else render_text(built))


@digest.command("send")
@click.argument("name")
@config_option
@handle_errors
def digest_send(name: str, config_file: str | None) -> None:
    """Select digest NAME's undelivered matches and send them now."""
    from monitor.app import build_app, send_digest

    config = load(config_file)
    if name not in config.digests:
        fail(f"unknown digest '{name}' (known: {', '.join(config.digests)})")
    reports = send_digest(build_app(config), name)
    _print_reports(reports)
    if any(r.status != "sent" for r in reports):
        sys.exit(2)


@main.command()
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
    from monitor.db import Database
    from monitor.outbox import deliver_pending, disabled_channels, enable_channels, outbox_rows

    config = load(config_file)
    db = Database(config.database)
    if enable:
        click.echo(f"re-enabled {enable_channels(db, list(enable))} channel(s)")
    for name, reason in disabled_channels(db).items():
        click.echo(f"channel {name} is disabled: {reason} (deliveries --enable {name})")
    if retry:
        from alerts.channels import make_channel

        channels = {n: make_channel(n, s) for n, s in config.channels.items()}
        _print_reports(deliver_pending(db, channels, datetime.now(UTC), ignore_backoff=True))
    click.echo(
        f"{'DELIVERY':40} {'DIGEST':10} {'CHANNEL':12} {'STATUS':9} {'TRIES':>5} {'CREATED':20} {'NEXT/SENT':20} ERROR"
    )
    for r in outbox_rows(db):
        when = (
            r["sent_at"]
            if r["status"] == "sent"
            else (r["next_attempt_at"] if r["status"] == "pending" else "")
        )
        click.echo(
            f"{r['id']:40} {r['digest'][:10]:10} {r['channel'][:12]:12} {r['status']:9} {r['attempts']:>5} "
            f"{r['created_at'][:19]:20} {(when or '')[:19]:20} {(r['last_error'] or '')[:80]}"
        )


def _print_reports(reports: list[Any]) -> None:
    for r in reports:
        line = f"{r.status}: {r.digest} -> {r.channel} ({r.id})"
        click.echo(line + (f": {r.error}" if r.error else ""))


if __name__ == "__main__":
    main()
