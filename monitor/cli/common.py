"""What every command shares: the --config option, error-to-exit-code mapping, loading."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn

import click

from monitor.errors import ConfigError, MonitorError
from monitor.logs import setup_logging
from monitor.secrets import mask
from monitor.units import parse_duration

if TYPE_CHECKING:
    from monitor.config.load import Config

log = logging.getLogger("monitor.cli")

config_option = click.option(
    "--config",
    "config_file",
    metavar="PATH",
    default=None,
    help="Config file (default: $NEWS_MONITOR_CONFIG or config/monitor.yaml).",
)


def say(text: str, *, err: bool = False) -> None:
    """click.echo through the one masking function: what a command prints shows no secret."""
    click.echo(mask(text), err=err)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {mask(message)}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(mask(problem), err=True)
            sys.exit(1)
        except (MonitorError, OSError) as exc:
            fail(str(exc), 2)

    return wrapper


# The config package pulls in pydantic, ruamel.yaml, the rule language and the channels' settings;
# commands import it when they run, so that `--help` starts without any of it.
def config_path(explicit: str | None = None) -> str:
    from monitor.config.load import config_path as resolve

    return resolve(explicit)


def load_config(path: str, *, delivering: bool = True) -> Config:
    """The config; `delivering=False` for commands that never send: those do not need the
    channels' secrets in the environment."""
    from monitor.config.load import load_config as read

    return read(path, delivering=delivering)


def secret_values(config: Config) -> list[str]:
    """Every secret value of the config (monitor.secrets masks them in whatever is shown)."""
    return list(config.secrets)


def load(config_file: str | None, *, log_json: bool = False, delivering: bool = True) -> Config:
    config = load_config(config_path(config_file), delivering=delivering)
    setup_logging(json_lines=log_json, secrets=secret_values(config))
    return config


def duration_option(text: str, option: str) -> Any:
    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")
