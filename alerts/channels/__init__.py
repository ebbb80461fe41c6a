"""Delivery channels, registered by the `type` they have in the config.

    CHANNELS["email"]    EmailChannel    multipart text + HTML mail over SMTP
    CHANNELS["webhook"]  WebhookChannel  signed JSON POST, or a Slack/Discord message
    CHANNELS["console"]  ConsoleChannel  the text digest on standard output
    CHANNELS["file"]     FileChannel     an .html and a .txt file per digest
    CHANNELS["atom"]     AtomChannel     one Atom feed file per rule
    CHANNELS["apprise"]  AppriseChannel  any service Apprise knows, by URL (Telegram, Teams, ...)

`ChannelSettings` is the discriminated union of their settings, for the config loader. The
settings load with this package; a channel's code (SMTP, HTTP, Apprise, XML) only when a
channel is made or named, so a config loads without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from alerts.channels.settings import (
    AppriseSettings,
    AtomSettings,
    ChannelSettings,
    ChannelSettingsBase,
    ConsoleSettings,
    EmailSettings,
    FileSettings,
    SmtpSettings,
    WebhookSettings,
)

if TYPE_CHECKING:
    from alerts.channels.atom import AtomChannel
    from alerts.channels.base import Channel
    from alerts.channels.console import ConsoleChannel
    from alerts.channels.files import FileChannel
    from alerts.channels.mail import EmailChannel
    from alerts.channels.push import AppriseChannel
    from alerts.channels.webhook import WebhookChannel

__all__ = [
    "CHANNELS",
    "AppriseChannel",
    "AppriseSettings",
    "AtomChannel",
    "AtomSettings",
    "Channel",
    "ChannelSettings",
    "ChannelSettingsBase",
    "ConsoleChannel",
    "ConsoleSettings",
    "EmailChannel",
    "EmailSettings",
    "FileChannel",
    "FileSettings",
    "SmtpSettings",
    "WebhookChannel",
    "WebhookSettings",
    "make_channel",
]

# type in the config -> (module, class) of the channel that delivers it
_KINDS = {
    "email": ("mail", "EmailChannel"),
    "webhook": ("webhook", "WebhookChannel"),
    "console": ("console", "ConsoleChannel"),
    "file": ("files", "FileChannel"),
    "atom": ("atom", "AtomChannel"),
    "apprise": ("push", "AppriseChannel"),
}
_CLASSES = {cls: module for module, cls in _KINDS.values()} | {"Channel": "base"}


def _channel_class(module: str, name: str) -> Any:
    return getattr(import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str) -> Any:
    if name == "CHANNELS":
        value: Any = {kind: _channel_class(*home) for kind, home in _KINDS.items()}
    elif name in _CLASSES:
        value = _channel_class(_CLASSES[name], name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def make_channel(name: str, settings: ChannelSettingsBase) -> Channel[Any]:
    """The channel that delivers to `settings` (one member of `ChannelSettings`)."""
    kind: str = getattr(settings, "type")  # noqa: B009 - every member declares its Literal type
    channel: type[Channel[Any]] = _channel_class(*_KINDS[kind])
    return channel(name, settings)
