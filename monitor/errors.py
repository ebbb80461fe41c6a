"""The exception tree of the ingest side.

    MonitorError
    ├── ConfigError        bad config file or rule (message carries file:line:col)
    ├── FetchError         network failure, timeout, oversized body, refused address
    │   └── BlockedAddressError   a feed-supplied link resolved to a private address
    ├── ParseError         bytes that no parser could turn into a feed
    ├── ExtractError       an article page without extractable main text
    ├── StoreError         the database refused a write
    ├── ListenError        a server could not bind its address (busy port, no permission)
    └── MissingExtraError  a configured feature needs an optional dependency not installed

Inside a stage, raise; the orchestrator (pipeline) turns errors into recorded outcomes.
The delivery side has its own tree in ``alerts.errors``.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(MonitorError):
    """The configuration (or a rule in it) is invalid; the message is one line per problem."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class FetchError(MonitorError):
    """A request did not produce a usable response.

    ``kind`` is a short machine-readable reason (timeout, connect, too_large, blocked, http);
    ``retry_after`` is the number of seconds the server asked us to wait, when it did.
    """

    def __init__(self, kind: str, message: str, *, retry_after: float | None = None) -> None:
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(message)


class BlockedAddressError(FetchError):
    """A URL taken from feed content resolved to loopback, private or metadata space."""

    def __init__(self, message: str) -> None:
        super().__init__("blocked", message)


class ParseError(MonitorError):
    """The body is not a feed any parser could read."""


class ExtractError(MonitorError):
    """An article page yielded no main text."""


class StoreError(MonitorError):
    """A database write failed."""


class ListenError(MonitorError):
    """A server could not listen on its address; the message names the address and the setting."""

    def __init__(
        self, host: str, port: int, cause: OSError, *, setting: str = "web.listen"
    ) -> None:
        reason = (cause.strerror or str(cause)).lower()
        shown = f"[{host}]" if ":" in host else host
        super().__init__(f"{setting} {shown}:{port}: cannot listen: {reason}")


class MissingExtraError(MonitorError):
    """A feature the config uses needs an optional dependency (a pyproject extra) that is not
    installed; the message says what to install."""

    # extra -> (the feature that needs it, the module it installs)
    EXTRAS: dict[str, tuple[str, str]] = {
        "postgres": ("a postgresql:// database", "psycopg"),
    }

    def __init__(self, extra: str) -> None:
        self.extra = extra
        self.feature, self.module = self.EXTRAS[extra]
        super().__init__(
            f"{self.feature} needs {self.module}, which is not installed: "
            f"pip install 'news-monitor[{extra}]'"
        )
