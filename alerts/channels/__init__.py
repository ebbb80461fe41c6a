"""Delivery channels, registered by the `type` they have in the config.

    CHANNELS["email"]    EmailChannel    multipart text + HTML mail over SMTP
    CHANNELS["webhook"]  WebhookChannel  signed JSON POST, or a Slack/Discord message
    CHANNELS["console"]  ConsoleChannel  the text digest on standard output
    CHANNELS["file"]     FileChannel     an .html and a .txt file per digest
    CHANNELS["atom"]     AtomChannel     one Atom feed file per rule
    CHANNELS["apprise"]  AppriseChannel  any service Apprise knows, by URL (Telegram, Teams, ...)

`ChannelSettings` is the discriminated union of their settings, for the config loader.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from alerts.channels.atom import AtomChannel, AtomSettings
from alerts.channels.base import Channel, ChannelSettingsBase
from alerts.channels.console import ConsoleChannel, ConsoleSettings
from alerts.channels.files import FileChannel, FileSettings
from alerts.channels.mail import EmailChannel, EmailSettings, SmtpSettings
from alerts.channels.push import AppriseChannel, AppriseSettings
from alerts.channels.webhook import WebhookChannel, WebhookSettings

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

CHANNELS: dict[str, type[Channel[Any]]] = {
    "email": EmailChannel,
    "webhook": WebhookChannel,
    "console": ConsoleChannel,
    "file": FileChannel,
    "atom": AtomChannel,
    "apprise": AppriseChannel,
}

ChannelSettings = Annotated[
    EmailSettings
    | WebhookSettings
    | ConsoleSettings
    | FileSettings
    | AtomSettings
    | AppriseSettings,
    Field(discriminator="type"),
]


def make_channel(name: str, settings: ChannelSettingsBase) -> Channel[Any]:
    """The channel that delivers to `settings` (one member of `ChannelSettings`)."""
    kind: str = getattr(settings, "type")  # noqa: B009 - every member declares its Literal type
    return CHANNELS[kind](name, settings)
