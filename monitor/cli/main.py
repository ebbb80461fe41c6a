"""The `news-monitor` command line: thin commands over the library, errors mapped to exit codes.

Exit codes: 0 ok, 1 bad input or config (one line per problem), 2 runtime failure.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from monitor.cli.archive import rules, search
from monitor.cli.common import (
    config_option,
    config_path,
    handle_errors,
    load,
    load_config,
    log,
    say,
)
from monitor.cli.db import db
from monitor.cli.entities import entities
from monitor.cli.feeds import feeds
from monitor.cli.outbox import deliveries
from monitor.cli.outbox import digest as digest_group
from monitor.cli.upkeep import prune, stats
from monitor.cli.web import web
from monitor.units import format_duration

if TYPE_CHECKING:
    from pydantic import BaseModel


class _Commands(click.Group):
    """The command group; an option written before the command name (`news-monitor --config
    x.yaml check`) gets a hint that options follow the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            command = next((a for a in args if a in self.commands), None)
            usage = f"{command} {exc.option_name} …" if command else "COMMAND --config PATH"
            raise click.NoSuchOption(
                exc.option_name,
                f"{exc.format_message()} (options follow the command: news-monitor {usage})",
                ctx=exc.ctx,
            ) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
    from monitor.pipeline.refresh import backlog_note
    from monitor.service.app import build_app, run_once

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
        if note := backlog_note(outcomes):
            log.info("%s", note)
        return
    from monitor.service.scheduler import Service

    service = Service(config)
    service.install_signal_handlers()
    if health_port is not None:
        from monitor.service.health import serve_health

        serve_health(service, health_port)
    web_server = _serve_web(service, config)
    try:
        service.run()
    finally:
        if web_server is not None:
            web_server.stop()


def _serve_web(service: Any, config: Any) -> Any:
    """The analysts' page beside the service, when the config has a `web` block."""
    if config.web is None:
        return None
    from monitor.service.web.app import make_app
    from monitor.service.web.server import WebServer
    from monitor.service.web.websub import websub_routes

    app = make_app(
        config,
        service.app.db,
        clock=service.app.clock,
        service=service,
        websub=websub_routes(service.subscriber),  # a hub's callbacks: DESIGN §17
    )
    return WebServer(app, config.web.host, config.web.port, token=config.web.token).start()


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
    from monitor.config.extras import missing_extras
    from monitor.errors import ConfigError

    if problems := missing_extras(config.extras):
        raise ConfigError(problems)
    say(f"config {config.path}: ok")
    say(f"database: {config.database}  timezone: {config.timezone}")
    say(f"feeds ({len(config.feeds)}):")
    for feed in config.feeds:
        extras = f" tags={','.join(feed.tags)}" if feed.tags else ""
        extras += " full_text" if feed.full_text else ""
        extras += f" type={feed.type}" if feed.type != "feed" else ""
        every = (
            f"auto {format_duration(feed.min_interval)}-{format_duration(feed.max_interval)}"
            if feed.adaptive
            else format_duration(feed.interval)
        )
        say(f"  {feed.name}  {feed.url}  every {every}{extras}")
    if config.entities:
        say(f"entities ({len(config.entities)}):")
        for entity in config.entities.values():
            say(f"  @{entity.name}: {', '.join(form.source for form in entity.forms)}")
    say(f"rules ({len(config.rules)}):")
    for rule in config.rules:
        say(f"  {rule.name} -> {rule.digest}: {rule.source}{_rule_policy(rule)}")
    say(f"digests ({len(config.digests)}):")
    for digest in config.digests.values():
        say(
            f"  {digest.name}: {digest.schedule} ({digest.timezone}) -> {', '.join(digest.channels)}"
            f"{_digest_policy(digest)}{_next_fire(digest)}"
        )
    if config.health:
        say(
            f"health: notices to {config.health.digest}, failing for "
            f"{format_duration(config.health.failing_for)}, silent after "
            f"{config.health.silent_after:g}x a feed's usual gap"
        )
    say(f"channels ({len(config.channels)}):")
    for name, settings in config.channels.items():
        say(f"  {name}: {_masked(settings)}")
    for warning in config.warnings:
        say(f"warning: {warning}", err=True)


def _rule_policy(rule: Any) -> str:
    text = "  [urgent]" if rule.urgent else ""
    if rule.spike:
        spike = rule.spike
        text += f"  [spike: {spike.factor:g}x usual in {format_duration(spike.window)}, min {spike.min}]"
    return text


def _digest_policy(digest: Any) -> str:
    text = f"  quiet {digest.quiet_hours}" if digest.quiet_hours else ""
    return text + (f"  at most {digest.max_per_hour}/hour" if digest.max_per_hour else "")


def _next_fire(digest: Any) -> str:
    if digest.instant:
        return ""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from monitor.config.cron import parse_cron
    from monitor.config.crontimes import next_fire

    cron = parse_cron(digest.schedule)
    zone = ZoneInfo(digest.timezone)
    moment = next_fire(cron, datetime.now(UTC), zone)
    said = f"  {cron.describe()}" if cron.describe() else ""
    when = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"
    return f"{said}  next {when}"


def _masked(settings: BaseModel) -> str:
    """A channel's settings as the user wrote them: durations as `90d` and `10s` (not `P90D`
    and `10.0`), secrets (SecretStr, whose str() is '**********') masked."""
    from pydantic import SecretStr

    from monitor.secrets import mask

    data = settings.model_dump(mode="json", exclude_none=True)
    for name, value in settings.model_dump(exclude_none=True).items():
        if name == "url" and isinstance(value, SecretStr):
            # A webhook URL is a credential (chat hooks carry their token in the path): its
            # host is shown, so that one can tell where digests go, and its path masked.
            parts = urlsplit(value.get_secret_value())
            data[name] = mask(f"{parts.scheme}://{parts.hostname}/***")
        elif isinstance(value, timedelta):
            data[name] = format_duration(value)
        elif name == "timeout" and isinstance(value, float):
            data[name] = format_duration(timedelta(seconds=value))
    return json.dumps(data, ensure_ascii=False)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the config file (for editors)."""
    from monitor.config.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


for command in (feeds, rules, search, digest_group, deliveries, prune, stats, web, db, entities):
    main.add_command(command)


if __name__ == "__main__":
    main()
