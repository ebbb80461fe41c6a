"""`news-monitor feeds`: feed health, OPML import and export."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

import click

from monitor.cli.common import config_option, config_path, fail, handle_errors, load_config, say
from monitor.errors import MonitorError
from monitor.secrets import is_secret_param

if TYPE_CHECKING:
    from monitor.config.load import FeedConfig


@click.group(invoke_without_command=True)
@config_option
@click.pass_context
@handle_errors
def feeds(ctx: click.Context, config_file: str | None) -> None:
    """Feed health: last poll, status, errors, articles, next poll."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.service.websub import push_state
    from monitor.store.backend import open_database
    from monitor.store.records import FeedHealth
    from monitor.store.store import Store

    config = load_config(config_path(config_file), delivering=False)
    store = Store(open_database(config.database))
    rows = {r.url: r for r in store.feed_health()}
    subscriptions = {s.feed: s for s in store.subscriptions()}
    width = max([len("FEED"), *(len(f.name) for f in config.feeds)])
    width = min(width, 40)
    say(
        f"{'FEED':{width}} {'TYPE':11} {'LAST POLL':20} {'STATUS':14} {'ART':>5} "
        f"{'NEXT POLL':20} ERROR"
    )
    for feed in config.feeds:
        r = rows.get(feed.url) or FeedHealth.unpolled(feed.url)
        status = r.last_outcome or "never polled"
        if r.last_status:
            status += f" {r.last_status}"
        if feed.paused:  # `paused: true`: listed, not polled
            status = "paused"
        say(
            f"{_cut(feed.name, width):{width}} {feed.type:11} "
            f"{_when(r.last_polled_at, '-'):20} {status[:14]:14} "
            f"{r.articles:>5} {_when(r.next_check_at, 'now'):20} "
            f"{(r.last_error or r.last_warning or '')[:80]}"
        )
        if feed.name != feed.url:
            say(f"{'':{width}} {feed.url}")
        if r.redirect_to:
            say(f"{'':{width}} moved permanently to {r.redirect_to}")
        pushed = push_state(subscriptions.get(feed.url))
        if pushed:
            say(f"{'':{width}} {pushed}")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(moment: datetime | None, empty: str) -> str:
    """A stored time as `2026-12-08 09:15 UTC`: every time shown says its zone."""
    if moment is None:
        return empty
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
@config_option
@click.option(
    "--write", is_flag=True, help="Add the feeds to the config file, keeping its comments."
)
@handle_errors
def feeds_import(opml_file: str, config_file: str | None, write: bool) -> None:
    """Print the feeds of an OPML file as YAML feed entries (or add them with --write)."""
    from monitor.config.opml import read_opml
    from monitor.config.opml_edit import add_feeds_to_config, feed_entries_yaml

    try:
        outlines = read_opml(Path(opml_file).read_bytes())
    except ValueError as exc:
        fail(f"{opml_file}: {exc}")
    if not outlines:
        # A cut-short or broken file parses to nothing; importing nothing in silence hides it.
        fail(f"{opml_file}: no feeds found (no <outline> with an http(s) xmlUrl)")
    if write:
        added = add_feeds_to_config(config_path(config_file), outlines)
        click.echo(f"added {added} feeds to {config_path(config_file)}")
    else:
        click.echo(feed_entries_yaml(outlines), nl=False)


@feeds.command("add")
@click.argument("url")
@config_option
@click.option(
    "--write", is_flag=True, help="Add the source to the config file, keeping its comments."
)
@handle_errors
def feeds_add(url: str, config_file: str | None, write: bool) -> None:
    """Find a site's feed or news sitemap and print it as a feeds: entry (or add it with --write)."""
    from monitor.config.opml_edit import add_source_to_config, source_entry_yaml
    from monitor.sources.discover import discover
    from monitor.sources.fetch import make_session

    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    user_agent, allow_private = _discovery_settings(config_file)
    found = discover(make_session(user_agent), url, guard=not allow_private)
    if not found:
        fail(f"{url}: no feed found (no <link rel=alternate>, common feed path or news sitemap)")
    best = found[0]
    entry = {"url": best.url} if best.type == "feed" else {"type": best.type, "url": best.url}
    if best.title:
        entry["name"] = best.title
    for other in found[1:]:
        click.echo(f"# also found ({other.found}): {other.url}", err=True)
    if write:
        path = config_path(config_file)
        added = add_source_to_config(path, entry)
        click.echo(f"{'added' if added else 'already listed'}: {best.url} to {path}")
    else:
        click.echo(f"# found through {best.found}")
        click.echo(source_entry_yaml(entry), nl=False)


def _discovery_settings(config_file: str | None) -> tuple[str, bool]:
    """The config's user_agent (so that a site sees the same client when it is added as when
    it is polled) and allow_private_networks; the defaults where no config can be read yet
    (the entry is only printed)."""
    from monitor.config.schema import DEFAULT_USER_AGENT

    try:
        config = load_config(config_path(config_file))
    except MonitorError:
        return DEFAULT_USER_AGENT, False
    return config.user_agent, config.allow_private_networks


@feeds.command("export")
@config_option
@click.option(
    "--with-credentials",
    is_flag=True,
    help="Keep API keys in the URLs and basic auth as user:password@ (left out by default).",
)
@handle_errors
def feeds_export(config_file: str | None, with_credentials: bool) -> None:
    """Write the configured feeds as OPML 2.0 to stdout (without credentials)."""
    from monitor.config.opml import write_opml

    config = load_config(config_path(config_file))
    shown = _with_credentials if with_credentials else _without_secrets
    sys.stdout.buffer.write(write_opml((shown(f), f.name, f.tags) for f in config.feeds))


def _without_secrets(feed: FeedConfig) -> str:
    # The URL as written minus every secret parameter: `apikey=***` would be a broken URL.
    parts = urlsplit(feed.request_url)
    query = "&".join(
        p for p in parts.query.split("&") if p and not is_secret_param(p.partition("=")[0])
    )
    return urlunsplit(parts._replace(query=query))


def _with_credentials(feed: FeedConfig) -> str:
    # OPML has no place for credentials but the URL; headers cannot be carried at all.
    creds = feed.credentials
    if creds is None or not creds.username:
        return feed.request_url
    parts = urlsplit(feed.request_url)
    userinfo = quote(creds.username, safe="") + (
        ":" + quote(creds.password, safe="") if creds.password else ""
    )
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))
