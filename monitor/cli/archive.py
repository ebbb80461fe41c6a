"""`news-monitor rules test` and `search`: trying rules on text and on the stored archive."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor.cli.common import (
    config_option,
    config_path,
    duration_option,
    fail,
    handle_errors,
    load_config,
    say,
)


@click.group()
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
    from monitor.rules.limits import TextTooLong
    from monitor.service.explore import backtest, explain_text, resolve_rule

    path = config_path(config_file)
    config = load_config(path, delivering=False) if (Path(path).exists() or config_file) else None
    rule = resolve_rule(rule_or_query, config)
    if config is not None:
        _say_when_not_a_rule(rule_or_query, [r.name for r in config.rules])
    if since is not None:
        if config is None:
            fail("--since needs a config (its database holds the archive)")
        results = backtest(
            config,
            rule,
            since=duration_option(since, "--since"),
            now=datetime.now(UTC),
            track=_progress_bar if sys.stderr.isatty() else iter,
        )
        _print_articles(results, as_json)
        return
    if text is None and not title:
        fail("give --text (and/or --title) to test against, or --since to backtest")
    try:
        result = explain_text(rule, title=title, text=text or "")
    except TextTooLong as exc:
        fail(f"--text: {exc}")
    if as_json:
        say(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        say(result.explanation)


@click.command()
@click.argument("query")
@config_option
@click.option("--since", default="7d", show_default=True, help="How far back to search.")
@click.option("--limit", default=50, show_default=True, help="At most this many results.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON lines.")
@handle_errors
def search(query: str, config_file: str | None, since: str, limit: int, as_json: bool) -> None:
    """Search the archive with the rule language."""
    from monitor.service.explore import resolve_rule, search_archive

    config = load_config(config_path(config_file), delivering=False)
    rule = resolve_rule(query, config, by_name=False)
    results = search_archive(
        config, rule, since=duration_option(since, "--since"), limit=limit, now=datetime.now(UTC)
    )
    _print_articles(results, as_json)
    if len(results) == limit and not as_json:
        say(f"(the newest {limit}: --limit shows more)")


def _say_when_not_a_rule(argument: str, names: list[str]) -> None:
    """A typo of a rule's name would otherwise run silently as a free-text query."""
    if argument in names:
        return
    folded = {name.casefold(): name for name in names}
    close = difflib.get_close_matches(argument.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f" (did you mean the rule {folded[close[0]]}?)" if close else ""
    say(f"'{argument}' is not a rule name: testing it as a query{hint}", err=True)


T = TypeVar("T")


def _progress_bar(rows: list[T]) -> Iterator[T]:
    # On a terminal only: pipes and services stay quiet.
    with click.progressbar(rows, label="backtesting", file=sys.stderr) as bar:
        yield from bar


def _print_articles(results: list[Any], as_json: bool) -> None:
    for item in results:
        if as_json:
            say(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            terms = ", ".join(item.terms)
            when = item.date[:16].replace("T", " ") + " UTC"
            say(f"{when}  {item.title}\n    {item.url}  [{terms}]")
    if not as_json:
        # the count, and how the list is dated (publication where the feed gave one)
        say(f"{len(results)} article(s), newest first by publication date (else first seen)")
