"""`news-monitor web`: the analysts' page alone, over the database a service (or `run --once`) fills."""

from __future__ import annotations

import contextlib
import logging
import signal
from typing import Any

import click

from monitor.cli.common import config_option, fail, handle_errors, load, load_config, say
from monitor.errors import ConfigError

log = logging.getLogger("monitor.web")


@click.command()
@config_option
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default=None,
    help="Where to serve (default: web.listen from the config, else 127.0.0.1:8080).",
)
@handle_errors
def web(config_file: str | None, listen: str | None) -> None:
    """Serve the read-only web page over the configured database."""
    from monitor.config.schema import split_listen
    from monitor.service.web.app import make_app
    from monitor.service.web.server import WebServer
    from monitor.store.backend import open_database

    config = load(config_file, delivering=False)
    if listen is not None:
        try:
            host, port = split_listen(listen)
        except ValueError as exc:
            fail(f"--listen: {exc}")
    elif config.web is not None:
        host, port = config.web.host, config.web.port
    else:
        host, port = "127.0.0.1", 8080
    token = config.web.token if config.web else None
    app = make_app(config, open_database(config.database))
    server = WebServer(app, host, port, token=token)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: _reload(app, config.path))
    say(f"serving {server.url} (Ctrl-C stops, SIGHUP reads the config again)", err=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is stopped
        server.serve_forever()


def _reload(app: Any, path: str) -> None:
    """SIGHUP: the page reads the config again (rules, feed names, the token); a bad config
    is reported and the running one kept, as the service does."""
    from monitor.service.web.app import reconfigure

    try:
        config = load_config(path, delivering=False)
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("reload refused, keeping the running config: %s", problem)
        return
    reconfigure(app, config)
    log.info("config reloaded rules=%d feeds=%d", len(config.rules), len(config.feeds))
