"""The news-monitor command line: one module per command group, thin over the packages.

May import: everything in monitor; nothing imports it."""

from monitor.cli.main import main

__all__ = ["main"]
