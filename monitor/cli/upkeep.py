"""`news-monitor prune` and `stats`: retention now, and what the database holds."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from monitor.cli.common import config_option, handle_errors, load, say

# The order rows are listed in: what a reader asks about first.
KINDS = (
    "articles",
    "matched",
    "sources",
    "matches",
    "story_keys",
    "full_text",
    "deliveries",
    "digest_runs",
    "tombstones_expired",
)


@click.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@handle_errors
def prune(config_file: str | None, dry_run: bool) -> None:
    """Delete what is past its retention now (the service does it daily) and give space back."""
    from monitor.service.app import build_app, prune_archive

    app = build_app(load(config_file, delivering=False), channels={})
    report = prune_archive(app, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    say(f"{'KIND':20} {verb.upper()}")
    for kind in KINDS:
        say(f"{kind:20} {report.rows.get(kind, 0):>10,}")
    if dry_run:
        say(f"about {_size(report.text_bytes)} of article text would go")
        return
    say(f"tombstones left for pruned items: {report.rows.get('tombstones', 0):,}")
    say(
        f"file {_size(report.bytes_before)} -> {_size(report.bytes_after)}: "
        f"{_size(report.bytes_given_back)} given back in {report.seconds:.1f}s "
        f"({report.batches} batches, longest {report.longest_batch_ms:.0f} ms)"
    )


@click.command()
@config_option
@handle_errors
def stats(config_file: str | None) -> None:
    """Database size, rows per table, the oldest article and articles per day."""
    from monitor.store.backend import open_database
    from monitor.store.store import Store

    config = load(config_file, delivering=False)
    found = Store(open_database(config.database)).stats(datetime.now(UTC))
    say(f"database {found.path}: {_size(found.file_bytes)} on disk")
    say(f"  pages {_size(found.page_bytes)}, of which free {_size(found.free_bytes)}")
    say("rows:")
    for table, count in found.rows.items():
        say(f"  {table:20} {count:>12,}")
    say(f"oldest article: {found.oldest_article or 'none'}")
    say("articles per day:")
    for day, count in found.per_day:
        say(f"  {day} {count:>10,}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"
