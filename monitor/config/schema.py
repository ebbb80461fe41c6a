"""The config file's shape: pydantic models that validate it and export its JSON Schema."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
    model_validator,
)

from alerts.channels import ChannelSettings
from monitor.secrets import mask_url
from monitor.units import format_duration, parse_duration, parse_size

DEFAULT_USER_AGENT = "news-monitor/0.1 (+https://github.com/news-monitor/news-monitor)"

Duration = Annotated[
    timedelta,
    BeforeValidator(lambda v: v if isinstance(v, timedelta) else parse_duration(v)),
    PlainSerializer(format_duration, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d+(\.\d+)?(s|m|h|d|w)$"}),
]
ByteSize = Annotated[
    int,
    BeforeValidator(parse_size),
    Field(json_schema_extra={"type": ["string", "integer"]}),
]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r} (expected an IANA name like Asia/Dushanbe)"
        ) from exc
    return name


TimeZone = Annotated[str, BeforeValidator(lambda v: _check_timezone(str(v)))]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedDefaults(Model):
    """Settings every feed inherits unless it overrides them."""

    interval: Duration = Field(default=timedelta(minutes=15), description="poll interval")
    timeout: Duration = Field(
        default=timedelta(seconds=20), description="total deadline of one request"
    )
    max_bytes: ByteSize = Field(default=10_000_000, description="cap on a decompressed body")
    full_text: bool = Field(default=False, description="fetch each new article's page")
    max_age: Duration = Field(default=timedelta(days=7), description="older items never alert")


# credentials of a private source (DESIGN §3, §12) ------------------------------

# An HTTP header name (RFC 9110 token); values may not break the request with a line break.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _secret_text(value: Any) -> Any:
    # YAML reads `password: 123456` as a number; refusing it would echo the secret in the error.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


SourceSecret = Annotated[SecretStr, BeforeValidator(_secret_text)]


class SourceCredentials(Model):
    """What any source type may carry to reach a private source, sent to its own host only:
    HTTP basic auth and extra request headers (values masked wherever they could be shown)."""

    username: str | None = Field(default=None, description="HTTP basic auth user")
    password: SourceSecret | None = Field(default=None, description="HTTP basic auth password")
    headers: dict[str, SourceSecret] = Field(
        default_factory=dict, description="extra request headers, e.g. Authorization"
    )

    @field_validator("headers")
    @classmethod
    def _usable_headers(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if any(c in value.get_secret_value() for c in "\r\n\0"):
                raise ValueError(f"header {name!r}: a value may not contain a line break")
        return headers

    @model_validator(mode="after")
    def _password_needs_user(self) -> SourceCredentials:
        if self.password is not None and not self.username:
            raise ValueError("'password' needs a 'username' (HTTP basic auth)")
        return self


class FeedEntry(SourceCredentials):
    """One feed (`url`) or every feed of an OPML file (`opml`)."""

    url: str | None = None
    opml: str | None = None
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    interval: Duration | None = None
    timeout: Duration | None = None
    max_bytes: ByteSize | None = None
    full_text: bool | None = None
    max_age: Duration | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FeedEntry:
        if (self.url is None) == (self.opml is None):
            raise ValueError("a feed needs exactly one of 'url' or 'opml'")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"feed url must start with http:// or https://, got {mask_url(self.url)!r}"
            )
        return self


class RuleEntry(Model):
    """A watch rule: a query and/or any/all/none term lists, and the digest it feeds."""

    name: str
    query: str | None = None
    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    tags: list[str] = Field(
        default_factory=list, description="only articles from feeds with these tags"
    )
    feeds: list[str] = Field(
        default_factory=list, description="only articles from these feeds (name or URL)"
    )
    mentions: int = Field(default=1, ge=1, description="at least this many hits in the article")
    digest: str

    @model_validator(mode="after")
    def _has_terms(self) -> RuleEntry:
        if not (self.query or self.any or self.all):
            raise ValueError("a rule needs a 'query' or an 'any' or 'all' list")
        return self


class DigestEntry(Model):
    """When a digest goes out and through which channels."""

    schedule: str = Field(description="'instant' or a five-field cron expression")
    timezone: TimeZone | None = None
    channels: list[str] = Field(min_length=1)
    max_items: int = Field(default=50, ge=1)
    send_empty: bool = False


# web (DESIGN §14) -------------------------------------------------------------


def split_listen(text: str) -> tuple[str, int]:
    """`host:port` (`[::1]:8080` for IPv6) -> (host, port); raises ValueError on anything else."""
    host, sep, port = str(text).strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected host:port like 127.0.0.1:8080, got {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether a listen host only accepts connections from this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebEntry(Model):
    """The analysts' read-only web page, served by `run` beside the service."""

    listen: str = Field(default="127.0.0.1:8080", description="host:port to serve the page on")
    token: SecretStr | None = Field(
        default=None, description="required of every visitor (bearer header or login form)"
    )

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        split_listen(value)
        return value

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # `${NEWS_MONITOR_WEB_TOKEN:-}` with the variable unset means no token.
        return None if value is None or str(value) == "" else str(value)

    @model_validator(mode="after")
    def _token_or_loopback(self) -> WebEntry:
        host, _ = split_listen(self.listen)
        if self.token is None and not is_loopback(host):
            raise ValueError(
                f"listen {self.listen!r} is not loopback: set web.token to serve other machines"
            )
        return self


class ConfigModel(Model):
    """The whole config file."""

    database: str = "data/monitor.db"
    timezone: TimeZone = "UTC"
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_networks: bool = False
    defaults: FeedDefaults = Field(default_factory=FeedDefaults)
    feeds: list[FeedEntry] = Field(default_factory=list)
    rules: list[RuleEntry] = Field(default_factory=list)
    digests: dict[str, DigestEntry] = Field(default_factory=dict)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    web: WebEntry | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, for editors (yaml-language-server)."""
    schema = ConfigModel.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "news-monitor config"
    return schema
