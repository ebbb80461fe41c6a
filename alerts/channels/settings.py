"""Every channel's settings, for the config loader: pydantic models only, without the code that
delivers (SMTP, HTTP, Apprise, XML), so that loading a config, `check` and `--help` do not
import what only sending needs. Each channel module re-exports its own settings.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_serializer,
    field_validator,
    model_validator,
)

from alerts.signing import signing_key

# shared by several channels
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _seconds(value: object) -> object:
    """`30s`, `2m`, `1.5`, 20 -> seconds; anything else is left for pydantic to refuse."""
    if isinstance(value, str) and (found := _DURATION.match(value)):
        return float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    return value


# A positive timeout, written as a number of seconds or a duration like `20s` or `2m`.
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=3600)]


def _scalar_as_text(value: object) -> object:
    # YAML reads `password: 123456` as a number; refusing it would echo the secret in the error.
    if isinstance(value, bool):
        return value
    return str(value) if isinstance(value, int | float) else value


# A password, token or signing secret: never shown in repr, dumps, logs or errors.
Secret = Annotated[SecretStr, BeforeValidator(_scalar_as_text)]


class ChannelSettingsBase(BaseModel):
    """Settings of one configured channel: frozen, and unknown keys are errors."""

    # Inputs stay out of error messages: a mistyped secret or webhook URL is still a secret.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        hide_input_in_errors=True,
        defer_build=True,
    )


# file
_KEEP = re.compile(r"^\s*(\d+)\s*(h|d|w)\s*$")
_KEEP_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def _keep(value: object) -> object:
    """`90d`, `12w`, `48h` -> a timedelta; `forever` -> None; anything else is refused."""
    if value is None or isinstance(value, timedelta):
        return value
    if str(value).strip() == "forever":
        return None
    found = _KEEP.match(str(value))
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"expected a duration like 90d, 12w or 48h, or 'forever', got {value!r}")
    return int(found.group(1)) * _KEEP_UNITS[found.group(2)]


# How long the directory keeps a digest's files (a duration or `forever`).
Keep = Annotated[
    timedelta | None,
    BeforeValidator(_keep),
    Field(
        json_schema_extra={
            "anyOf": [{"type": "string", "pattern": r"^\d+(h|d|w)$"}, {"const": "forever"}]
        }
    ),
]


class FileSettings(ChannelSettingsBase):
    type: Literal["file"]
    path: Path
    keep: Keep = Field(default="90d", validate_default=True)


# email
LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
DOMAIN_NAME = re.compile(r"^[A-Za-z0-9.-]+$")


def _check_address(value: str) -> str:
    if LINE_BREAK.search(value):
        raise ValueError("an address may not contain a line break")
    from email.utils import parseaddr  # only for a config with an email channel (~5 ms)

    _, address = parseaddr(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError(f"not an email address: {value!r}")
    return value


# `analysts@example.org` or `Analysts <analysts@example.org>`, never with a line break.
EmailAddress = Annotated[str, AfterValidator(_check_address)]


class SmtpSettings(ChannelSettingsBase):
    """How to reach the mail relay; `tls` is implicit TLS (port 465), `starttls` upgrades."""

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: Secret | None = None
    timeout: Seconds = 30.0
    ca_file: Path | None = None  # extra trust anchors, for a relay with a private CA

    @field_validator("username", "password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # "${SMTP_USER:-}" in a config means "no auth" when the variable is unset
        return None if value == "" else value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.starttls and self.tls:
            raise ValueError("choose starttls (upgrade) or tls (implicit), not both")
        if self.password is not None and not self.username:
            raise ValueError("a password needs a username")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.tls else 587 if self.starttls else 25)


class EmailSettings(ChannelSettingsBase):
    type: Literal["email"]
    to: tuple[EmailAddress, ...] = Field(min_length=1)
    sender: EmailAddress = Field(alias="from")
    smtp: SmtpSettings


# apprise
def scheme(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else ""


def shown(url: str) -> str:
    """An Apprise URL as `check` and errors show it: the service, never its tokens."""
    return f"{scheme(url) or '?'}://***"


# Apprise (with its hundred plugins, ~0.3 s) and Jinja2 load only for a config that has an
# apprise channel, not with every config, so that `check` and `--help` stay quick.
def _service(value: SecretStr) -> SecretStr:
    import apprise

    url = value.get_secret_value()
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        # The URL itself is a secret: name its scheme only.
        raise ValueError(f"not a URL Apprise can send to (service {shown(url)})")
    return value


def _as_text(value: object) -> object:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


AppriseUrl = Annotated[SecretStr, BeforeValidator(_as_text), AfterValidator(_service)]


class AppriseSettings(ChannelSettingsBase):
    type: Literal["apprise"]
    urls: tuple[AppriseUrl, ...] = Field(min_length=1)
    timeout: Seconds = 20.0

    @field_serializer("urls", when_used="json")
    def _masked(self, urls: tuple[SecretStr, ...]) -> list[str]:
        return [shown(url.get_secret_value()) for url in urls]


# webhook
class WebhookSettings(ChannelSettingsBase):
    type: Literal["webhook"]
    # Slack and Discord webhook URLs carry their token in the path, so the URL is a secret too.
    url: Secret
    secret: Secret | None = None
    format: Literal["json", "slack", "discord"] = "json"
    timeout: Seconds = 10.0

    @field_validator("url")
    @classmethod
    def _web_url(cls, url: SecretStr) -> SecretStr:
        parts = urlsplit(url.get_secret_value())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator("secret")
    @classmethod
    def _usable_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None:
            signing_key(secret.get_secret_value())  # refuses a malformed whsec_ secret
        return secret


# atom
class AtomSettings(ChannelSettingsBase):
    type: Literal["atom"]
    path: Path
    max_entries: int = Field(default=100, ge=1, le=10_000)


# console
class ConsoleSettings(ChannelSettingsBase):
    type: Literal["console"]


# The union the config's `channels` entries are read as, told apart by their `type`.
ChannelSettings = Annotated[
    EmailSettings
    | WebhookSettings
    | ConsoleSettings
    | FileSettings
    | AtomSettings
    | AppriseSettings,
    Field(discriminator="type"),
]
