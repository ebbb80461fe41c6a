"""The config file's shape: pydantic models that validate it and export its JSON Schema."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    SecretStr,
    Tag,
    WithJsonSchema,
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
# A poll interval: a duration, or `auto` (each feed's own publishing rate, DESIGN §17).
AUTO = "auto"
PollInterval = Annotated[
    timedelta | Literal["auto"],
    BeforeValidator(
        lambda v: v if isinstance(v, timedelta) or str(v).strip() == AUTO else parse_duration(v)
    ),
    PlainSerializer(lambda v: v if v == AUTO else format_duration(v), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(auto|\d+(\.\d+)?(s|m|h|d|w))$"}),
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

# database: a file path (SQLite), sqlite:///path, or postgresql://user@host/db (§15). A scheme is
# letters, digits, + - . before a colon; a single letter is a Windows drive, not a scheme.
_DATABASE_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


def _check_database(value: object) -> str:
    if not isinstance(value, str):
        # str() of a list or a tagged node would pass for a path: only plain text names a database
        raise ValueError("expected a file path or a database URL")
    text = value
    found = _DATABASE_SCHEME.match(text)
    name = found.group(1).lower() if found else ""
    if name in ("postgresql", "postgres") and not text[len(name) + 1 :].startswith("//"):
        raise ValueError(
            f"a PostgreSQL database is a URL like postgresql://user@host/db, not {text!r}"
        )
    if name not in ("", "sqlite", "postgresql", "postgres"):
        raise ValueError(
            f"unknown database scheme {name!r}: use a file path (SQLite), sqlite:///path "
            "or postgresql://user@host/db"
        )
    return text


DatabaseUrl = Annotated[
    str,
    BeforeValidator(_check_database),
    Field(description="a SQLite file path, or postgresql://user@host/db"),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# Alert policy (quiet hours, caps, urgency, spikes, source health) -----------------------

_QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def _check_quiet_hours(value: object) -> str:
    text = str(value).strip()
    if not _QUIET_HOURS.match(text):
        raise ValueError(f"expected HH:MM-HH:MM like '22:00-07:00', got {text!r}")
    if text[:5] == text[6:]:
        raise ValueError(f"quiet hours {text!r} start and end at the same minute")
    return text


QuietHours = Annotated[
    str,
    BeforeValidator(_check_quiet_hours),
    Field(json_schema_extra={"pattern": r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"}),
]


class SpikeEntry(Model):
    """A rule's spike alert: `count` in `window` >= factor x the usual count and >= min."""

    window: Duration = Field(description="the window matches are counted in, e.g. 1h")
    factor: float = Field(default=3.0, ge=1, description="times the usual count (7-day median)")
    min: int = Field(default=5, ge=1, description="at least this many matches in the window")

    @model_validator(mode="after")
    def _window_within_a_day(self) -> SpikeEntry:
        # The usual count is the same window on each of the last 7 days: it must fit in a day.
        if not timedelta(minutes=1) <= self.window <= timedelta(days=1):
            raise ValueError("spike window must be between 1m and 1d")
        return self


class HealthEntry(Model):
    """Where source-health notices go, and when a feed counts as failing or silent."""

    digest: str = Field(description="the digest the notices go to")
    failing_for: Duration = Field(
        default=timedelta(hours=6), description="failing this long: one notice"
    )
    silent_after: float = Field(
        default=5.0, gt=0, description="no new item for this many times the feed's usual gap"
    )


class FeedDefaults(Model):
    """Settings every feed inherits unless it overrides them."""

    interval: PollInterval = Field(
        default=timedelta(minutes=15), description="poll interval, or auto (by publishing rate)"
    )
    min_interval: Duration = Field(
        default=timedelta(minutes=2), description="auto: the shortest interval"
    )
    max_interval: Duration = Field(default=timedelta(hours=6), description="auto: the longest")
    push_poll: Duration = Field(
        default=timedelta(hours=6), description="poll interval of a feed a WebSub hub pushes"
    )
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


class SourceBase(SourceCredentials):
    """What every source type shares: its name, tags and polling settings."""

    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    interval: PollInterval | None = None
    min_interval: Duration | None = None
    max_interval: Duration | None = None
    push_poll: Duration | None = None
    timeout: Duration | None = None
    max_bytes: ByteSize | None = None
    full_text: bool | None = None
    max_age: Duration | None = None
    paused: bool = Field(default=False, description="listed, but not polled until resumed")


def _check_http_url(value: object) -> str:
    url = str(value)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {mask_url(url)!r}")
    return url


HttpUrl = Annotated[str, BeforeValidator(_check_http_url)]


class FeedEntry(SourceBase):
    """One feed (`url`) or every feed of an OPML file (`opml`)."""

    type: Literal["feed"] = "feed"
    url: str | None = None
    opml: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FeedEntry:
        if (self.url is None) == (self.opml is None):
            raise ValueError("a feed needs exactly one of 'url' or 'opml'")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"feed url must start with http:// or https://, got {mask_url(self.url)!r}"
            )
        return self


# --- sources beyond a feed list (DESIGN §12) ------------------------------------------------


def _check_selector(value: object) -> str:
    # Checked at load so that a typo is a config error, not a failure at the first poll. The
    # HTML parser is imported only for a config that has selectors.
    from selectolax.lexbor import LexborHTMLParser, SelectolaxError

    selector = str(value).strip()
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except (SelectolaxError, ValueError) as exc:
        raise ValueError(f"not a valid CSS selector: {selector!r}") from exc
    return selector


CssSelector = Annotated[str, BeforeValidator(_check_selector)]

GDELT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
GOOGLE_NEWS_URL = "https://news.google.com/rss/search"
GOOGLE_NEWS_DECODER = "https://news.google.com"


class SitemapSource(SourceBase):
    """A Google News sitemap, or a sitemap index followed to its news sitemaps."""

    type: Literal["sitemap"]
    url: HttpUrl
    max_sitemaps: int = Field(default=10, ge=1, le=100, description="sitemaps followed per index")
    max_urls: int = Field(default=2000, ge=1, le=50_000, description="entries kept per poll")


class PageSource(SourceBase):
    """An HTML page that lists articles, read with CSS selectors."""

    type: Literal["page"]
    url: HttpUrl
    items: CssSelector = Field(description="CSS selector of one item")
    link: CssSelector | None = Field(default=None, description="default: the first a[href]")
    title: CssSelector | None = Field(default=None, description="default: the link's text")
    date: CssSelector | None = None
    summary: CssSelector | None = None


class TelegramSource(SourceBase):
    """A public Telegram channel's web preview (t.me/s/NAME)."""

    type: Literal["telegram"]
    url: HttpUrl | None = None
    channel: str | None = Field(default=None, pattern=r"^@?[A-Za-z0-9_]{3,64}$")

    @model_validator(mode="after")
    def _one_address(self) -> TelegramSource:
        if (self.url is None) == (self.channel is None):
            raise ValueError("a telegram source needs exactly one of 'url' or 'channel'")
        return self


class GdeltSource(SourceBase):
    """A GDELT DOC 2.0 query (artlist mode)."""

    type: Literal["gdelt"]
    query: str = Field(min_length=1)
    url: HttpUrl = GDELT_URL


class GoogleNewsSource(SourceBase):
    """A Google News search (RSS)."""

    type: Literal["google_news"]
    query: str = Field(min_length=1)
    hl: str = "en-US"
    gl: str = "US"
    ceid: str | None = Field(default=None, description="default: GL:language of hl")
    url: HttpUrl = GOOGLE_NEWS_URL
    decoder_url: HttpUrl = Field(
        default=GOOGLE_NEWS_DECODER, description="where wrapped links are decoded"
    )
    decode_interval: Duration = Field(
        default=timedelta(seconds=2), description="time between two link decodings"
    )


def _source_type(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "feed"))
    return str(getattr(value, "type", "feed"))


SourceEntry = Annotated[
    Annotated[FeedEntry, Tag("feed")]
    | Annotated[SitemapSource, Tag("sitemap")]
    | Annotated[PageSource, Tag("page")]
    | Annotated[TelegramSource, Tag("telegram")]
    | Annotated[GdeltSource, Tag("gdelt")]
    | Annotated[GoogleNewsSource, Tag("google_news")],
    Discriminator(_source_type),
]


class EntityEntry(Model):
    """An entity's long form: its base forms and the words never to take for it (DESIGN §16)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True)

    forms: list[str] = Field(min_length=1, description="base forms: terms or phrases of a query")
    not_: list[str] = Field(
        default_factory=list, alias="not", description="words that look like a form but are not it"
    )


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
    priority: Literal["normal", "urgent"] = Field(
        default="normal", description="urgent breaks through quiet_hours and max_per_hour"
    )
    spike: SpikeEntry | None = None

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
    quiet_hours: QuietHours | None = Field(
        default=None, description="HH:MM-HH:MM in the digest's timezone: matches wait until the end"
    )
    max_per_hour: int | None = Field(
        default=None, ge=1, description="sends in any hour at most; the rest wait"
    )


# retention --------------------------------------------------------------------


def _keep(value: object) -> timedelta | None:
    # `forever` keeps rows for good; anything else is a duration.
    if isinstance(value, timedelta) or value is None:
        return value
    if isinstance(value, str) and value.strip() == "forever":
        return None
    try:
        return parse_duration(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(f"expected a duration like 90d or 'forever', got {value!r}") from None


Keep = Annotated[
    timedelta | None,
    BeforeValidator(_keep),
    PlainSerializer(lambda v: format_duration(v) if v else "forever", return_type=str),
    Field(
        json_schema_extra={
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d+)?(s|m|h|d|w)$"},
                {"const": "forever"},
            ]
        }
    ),
]


class RetentionSettings(Model):
    """How long stored rows are kept; ages count from an article's first_seen."""

    articles: Keep = Field(
        default="90d",
        validate_default=True,
        description="an article that matched no rule, with its sources, index rows and story keys",
    )
    matched: Keep = Field(
        default="forever", validate_default=True, description="an article that matched a rule"
    )
    full_text: Keep = Field(
        default="90d",
        validate_default=True,
        description="page text; title and summary stay searchable",
    )
    deliveries: Keep = Field(
        default="30d", validate_default=True, description="sent or abandoned outbox rows"
    )


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
    editor_token: SecretStr | None = Field(
        default=None,
        description="also lets its holder edit rules and feeds from the page (none: no editing)",
    )

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "addresses or networks (CIDR) of TLS proxies in front of the page, whose "
            "X-Forwarded-Proto is believed: the login cookie is then Secure"
        ),
    )

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        split_listen(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (like 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return value

    @field_validator("token", "editor_token", mode="before")
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

    database: DatabaseUrl = "data/monitor.db"
    timezone: TimeZone = "UTC"
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_networks: bool = False
    defaults: FeedDefaults = Field(default_factory=FeedDefaults)
    feeds: list[SourceEntry] = Field(default_factory=list)
    entities: dict[str, list[str] | EntityEntry] = Field(
        default_factory=dict, description="names matched in every form as @Name in queries"
    )
    rules: list[RuleEntry] = Field(default_factory=list)
    digests: dict[str, DigestEntry] = Field(default_factory=dict)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    health: HealthEntry | None = None
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    web: WebEntry | None = None
    # where the web page (§14) is reachable from outside: WebSub hubs call back under it (§17)
    public_url: HttpUrl | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, for editors (yaml-language-server)."""
    schema = ConfigModel.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "news-monitor config"
    return schema
