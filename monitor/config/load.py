"""Loading the YAML config into frozen records, with file:line:col on every error."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from monitor.config.cron import CronError, parse_cron
from monitor.config.crontimes import never_fires
from monitor.config.entities import resolve_entities
from monitor.config.extras import NeededExtra
from monitor.config.positions import dotted, explain_validation, locate
from monitor.config.schema import (
    AUTO,
    ConfigModel,
    FeedDefaults,
    FeedEntry,
    GdeltSource,
    GoogleNewsSource,
    RuleEntry,
    SourceBase,
    TelegramSource,
    split_listen,
)
from monitor.errors import ConfigError
from monitor.rules import Rule, RuleSyntaxError, build_rule, rule_warnings
from monitor.rules.entities.compiled import Entity
from monitor.secrets import host_of, mask_url, register, secrets_in_url
from monitor.units import format_duration

DEFAULT_CONFIG = "config/monitor.yaml"
DEFAULT_INTERVAL = timedelta(minutes=15)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedConfig:
    url: str
    name: str
    tags: tuple[str, ...] = ()
    interval: timedelta = timedelta(minutes=15)  # when not adaptive
    # `interval: auto` (DESIGN §17): each poll picks the interval from the feed's publishing
    # rate, between min_interval and max_interval
    adaptive: bool = False
    min_interval: timedelta = timedelta(minutes=2)
    max_interval: timedelta = timedelta(hours=6)
    push_poll: timedelta = timedelta(hours=6)  # the interval while a WebSub hub pushes it
    timeout: timedelta = timedelta(seconds=20)
    max_bytes: int = 10_000_000
    full_text: bool = False
    max_age: timedelta = timedelta(days=7)
    paused: bool = False  # listed and shown, never polled
    type: str = "feed"  # the source type (DESIGN §12): feed, sitemap, page, telegram, ...
    source: SourceBase | None = None  # the entry as validated, for a type's own settings
    # `url` is the feed's identity and what is shown: no userinfo, secret parameters as ***.
    # What is sent stays out of reprs: the URL as written (minus userinfo) and the credentials.
    fetch_url: str = field(default="", repr=False)
    credentials: Credentials | None = field(default=None, repr=False)

    @property
    def request_url(self) -> str:
        return self.fetch_url or self.url


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """Basic auth and headers for one source, sent only to the origin of its URL."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpikeConfig:
    window: timedelta
    factor: float
    min: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthConfig:
    digest: str
    failing_for: timedelta = timedelta(hours=6)
    silent_after: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleConfig:
    name: str
    rule: Rule
    digest: str
    source: str  # the rule as written, for `check`
    urgent: bool = False  # priority: urgent breaks through quiet hours and max_per_hour
    spike: SpikeConfig | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestConfig:
    name: str
    schedule: str
    timezone: str
    channels: tuple[str, ...]
    max_items: int = 50
    send_empty: bool = False
    quiet_hours: str | None = None  # "HH:MM-HH:MM" in `timezone`
    max_per_hour: int | None = None

    @property
    def instant(self) -> bool:
        return self.schedule == "instant"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionConfig:
    """How long rows are kept (DESIGN §11); None keeps them forever."""

    articles: timedelta | None = timedelta(days=90)
    matched: timedelta | None = None
    full_text: timedelta | None = timedelta(days=90)
    deliveries: timedelta | None = timedelta(days=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebConfig:
    host: str
    port: int
    token: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    editor_token: str | None = field(default=None, repr=False)  # reads and edits (DESIGN §18)
    trusted_proxies: tuple[str, ...] = ()  # IP networks whose X-Forwarded-Proto is believed


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    path: str
    database: str
    timezone: str
    user_agent: str
    allow_private_networks: bool
    feeds: tuple[FeedConfig, ...]
    rules: tuple[RuleConfig, ...]
    digests: Mapping[str, DigestConfig]
    channels: Mapping[str, Any]  # name -> alerts channel settings model
    warnings: tuple[str, ...] = field(default=())
    entities: Mapping[str, Entity] = field(default_factory=dict)  # by name, for @Name
    health: HealthConfig | None = None
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    web: WebConfig | None = None
    public_url: str | None = None  # WebSub callbacks are offered under it (DESIGN §17)
    extras: tuple[NeededExtra, ...] = ()  # optional dependencies its features need
    # every secret value in the config (substituted from ${VAR}, passwords, headers, URL
    # credentials, channel secrets), registered with monitor.secrets when loaded
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def feed(self, url: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.url == url), None)


def config_path(explicit: str | None = None) -> str:
    return explicit or os.environ.get("NEWS_MONITOR_CONFIG") or DEFAULT_CONFIG


def load_config(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None, *, delivering: bool = True
) -> Config:
    """Read, substitute, validate and resolve a config file; raise ConfigError listing every problem.

    `delivering=False` is for commands that only read (search, feeds, rules test, stats, web):
    a channel whose `${VAR}` is not set becomes a console channel instead of an error, since
    such a command never sends and should not demand delivery secrets."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    config = parse_config(
        text, path=path, env=os.environ if env is None else env, delivering=delivering
    )
    register(config.secrets)
    return config


def parse_config(
    text: str, *, path: str, env: Mapping[str, str], delivering: bool = True
) -> Config:
    tree = _load_yaml(text, path)
    missing: list[tuple[tuple, str]] = []
    substituted: list[str] = []
    data = _substitute_env(tree, env, missing, (), substituted)
    if not delivering:
        missing = _without_channel_secrets(data, missing)
    if missing:
        raise ConfigError(
            [
                f"{locate(path, tree, loc)}: {dotted(loc)}: environment variable {name} is not set"
                for loc, name in missing
            ]
        )
    try:
        model = ConfigModel.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(explain_validation(exc, tree, path)) from None
    config = _resolve(model, tree, path)
    return replace(config, secrets=(*substituted, *config_secrets(model)))


def _without_channel_secrets(
    data: Any, missing: list[tuple[tuple, str]]
) -> list[tuple[tuple, str]]:
    """Stand a console channel in for each channel that lacks an environment variable (for a
    command that never sends); what is missing elsewhere is still an error."""
    for loc, _name in missing:
        if len(loc) >= 2 and loc[0] == "channels" and isinstance(data.get("channels"), dict):
            data["channels"][loc[1]] = {"type": "console"}
    return [(loc, name) for loc, name in missing if not (len(loc) >= 2 and loc[0] == "channels")]


def _load_yaml(text: str, path: str) -> Any:
    # The round-trip loader keeps positions; it builds only plain maps, lists and scalars.
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if "duplicate key" in problem:
            first = exc.context_mark
            problem += f" (first defined at line {first.line + 1})" if first else ""
        raise ConfigError(f"{where}: {problem}") from None


def _substitute_env(
    node: Any,
    env: Mapping[str, str],
    missing: list[tuple[tuple, str]],
    loc: tuple,
    substituted: list[str],
) -> Any:
    """Replace ${NAME} and ${NAME:-default} in every string value, keeping the tree's positions;
    the values taken from the environment are added to `substituted` (they are secrets)."""
    if isinstance(node, CommentedMap):
        for key in list(node):
            node[key] = _substitute_env(node[key], env, missing, (*loc, key), substituted)
        return node
    if isinstance(node, CommentedSeq):
        for i in range(len(node)):
            node[i] = _substitute_env(node[i], env, missing, (*loc, i), substituted)
        return node
    if isinstance(node, str) and "${" in node:

        def replace(match: re.Match[str]) -> str:
            name, default = match[1], match[2]
            if name in env:
                substituted.append(env[name])
                return env[name]
            if default is not None:
                return default
            missing.append((loc, name))
            return ""

        return _ENV_REF.sub(replace, str(node))
    return node


def _resolve(model: ConfigModel, tree: Any, path: str) -> Config:
    problems: list[str] = []
    warnings: list[str] = []
    feeds = _resolve_feeds(model, tree, path, problems)
    digests = {
        name: DigestConfig(
            name=name,
            schedule=d.schedule.strip(),
            timezone=d.timezone or model.timezone,
            channels=tuple(d.channels),
            max_items=d.max_items,
            send_empty=d.send_empty,
            quiet_hours=d.quiet_hours,
            max_per_hour=d.max_per_hour,
        )
        for name, d in model.digests.items()
    }
    for name, digest in digests.items():
        loc: tuple = ("digests", name)
        if not digest.instant:
            try:
                if never_fires(parse_cron(digest.schedule)):
                    raise CronError("no month it names has the day of the month it names")
            except CronError as exc:
                problems.append(
                    f"{locate(path, tree, (*loc, 'schedule'))}: {dotted((*loc, 'schedule'))}: "
                    f"expected 'instant' or a cron expression like '0 8 * * *': {exc}"
                )
        for i, channel in enumerate(digest.channels):
            if channel not in model.channels:
                known = ", ".join(model.channels) or "none defined"
                problems.append(
                    f"{locate(path, tree, (*loc, 'channels', i))}: {dotted((*loc, 'channels', i))}: "
                    f"unknown channel '{channel}' (known: {known})"
                )
    entities = resolve_entities(model, tree, path, problems, warnings)
    rules = _resolve_rules(model, tree, path, digests, entities, problems, warnings)
    health = _resolve_health(model, tree, path, digests, problems)
    retention = _resolve_retention(model, feeds, tree, path, problems)
    if model.public_url and model.web is None:
        problems.append(
            f"{locate(path, tree, ('public_url',), key_position=True)}: public_url: WebSub "
            "callbacks are served by the web page: add a web block (web: {listen: ...})"
        )
    if problems:
        raise ConfigError(problems)
    return Config(
        path=path,
        database=model.database,
        timezone=model.timezone,
        user_agent=model.user_agent,
        allow_private_networks=model.allow_private_networks,
        feeds=tuple(feeds),
        rules=tuple(rules),
        entities=entities,
        digests=digests,
        channels=dict(model.channels),
        warnings=tuple(warnings),
        health=health,
        retention=retention,
        web=_resolve_web(model),
        public_url=model.public_url.rstrip("/") if model.public_url else None,
        extras=_needed_extras(model, tree, path),
    )


def _needed_extras(model: ConfigModel, tree: Any, path: str) -> tuple[NeededExtra, ...]:
    scheme = model.database.partition(":")[0].lower()
    if scheme in ("postgresql", "postgres"):
        return (
            NeededExtra(extra="postgres", where=f"{locate(path, tree, ('database',))}: database"),
        )
    return ()


def _resolve_health(
    model: ConfigModel, tree: Any, path: str, digests: Mapping[str, Any], problems: list[str]
) -> HealthConfig | None:
    if model.health is None:
        return None
    if model.health.digest not in digests:
        known = ", ".join(digests) or "none defined"
        problems.append(
            f"{locate(path, tree, ('health', 'digest'))}: health.digest: "
            f"unknown digest '{model.health.digest}' (known: {known})"
        )
    return HealthConfig(
        digest=model.health.digest,
        failing_for=model.health.failing_for,
        silent_after=model.health.silent_after,
    )


def _resolve_web(model: ConfigModel) -> WebConfig | None:
    if model.web is None:
        return None
    host, port = split_listen(model.web.listen)
    token = model.web.token.get_secret_value() if model.web.token else None
    editor = model.web.editor_token.get_secret_value() if model.web.editor_token else None
    return WebConfig(
        host=host,
        port=port,
        token=token,
        editor_token=editor,
        trusted_proxies=tuple(model.web.trusted_proxies),
    )


def _resolve_feeds(
    model: ConfigModel, tree: Any, path: str, problems: list[str]
) -> list[FeedConfig]:
    defaults = model.defaults
    feeds: dict[str, FeedConfig] = {}
    for i, entry in enumerate(model.feeds):
        if isinstance(entry, FeedEntry) and entry.opml is not None:
            from monitor.config.opml import read_opml  # lxml, only for a config that has OPML

            try:
                outlines = read_opml(Path(entry.opml).read_bytes())
            except (OSError, ValueError) as exc:
                problems.append(
                    f"{locate(path, tree, ('feeds', i, 'opml'))}: feeds[{i}].opml: {exc}"
                )
                continue
            sources = [(o.url, o.title, (*entry.tags, *o.categories)) for o in outlines]
        else:
            written = source_url(entry)
            sources = [(written, entry.name or _default_name(entry), tuple(entry.tags))]
        credentials = _credentials(entry)
        polling = _intervals(entry, defaults)
        if polling["min_interval"] > polling["max_interval"]:
            problems.append(
                f"{locate(path, tree, ('feeds', i))}: feeds[{i}]: min_interval "
                f"{format_duration(polling['min_interval'])} is longer than max_interval "
                f"{format_duration(polling['max_interval'])}"
            )
        for written, name, tags in sources:
            url = mask_url(written)
            if url in feeds:
                continue  # the same feed listed twice (often via OPML) is polled once
            own = not (isinstance(entry, FeedEntry) and entry.opml)
            feeds[url] = FeedConfig(
                url=url,
                fetch_url=_without_userinfo(written),
                credentials=_with_url_userinfo(credentials, written),
                name=(entry.name if own else None) or name or host_of(written),
                tags=tuple(dict.fromkeys(tags)),
                **polling,
                timeout=entry.timeout or defaults.timeout,
                max_bytes=entry.max_bytes or defaults.max_bytes,
                full_text=defaults.full_text if entry.full_text is None else entry.full_text,
                max_age=entry.max_age or defaults.max_age,
                paused=entry.paused,
                type=getattr(entry, "type", "feed"),
                source=None if isinstance(entry, FeedEntry) else entry,
            )
    return list(feeds.values())


def _intervals(entry: SourceBase, defaults: FeedDefaults) -> dict[str, Any]:
    """A feed's polling intervals: its own, else the defaults' (`interval: auto` is adaptive)."""
    interval = entry.interval or defaults.interval
    return {
        "interval": interval if isinstance(interval, timedelta) else DEFAULT_INTERVAL,
        "adaptive": interval == AUTO,
        "min_interval": entry.min_interval or defaults.min_interval,
        "max_interval": entry.max_interval or defaults.max_interval,
        "push_poll": entry.push_poll or defaults.push_poll,
    }


def source_url(entry: SourceBase) -> str:
    """The address a source is known by (its row in the store): the URL written in the config,
    or the one a query source builds from it. A per-poll part (GDELT's timespan) is added when
    it is fetched."""
    if isinstance(entry, TelegramSource):
        return entry.url or f"https://t.me/s/{(entry.channel or '').lstrip('@')}"
    if isinstance(entry, GdeltSource):
        query = {"query": entry.query, "mode": "artlist", "format": "json"}
        return _with_query(entry.url, query | {"maxrecords": "250", "sort": "datedesc"})
    if isinstance(entry, GoogleNewsSource):
        language = entry.hl.split("-")[0]
        ceid = entry.ceid or f"{entry.gl}:{language}"
        return _with_query(
            entry.url, {"q": entry.query, "hl": entry.hl, "gl": entry.gl, "ceid": ceid}
        )
    url = getattr(entry, "url", None)
    assert isinstance(url, str)
    return url


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _default_name(entry: SourceBase) -> str | None:
    if isinstance(entry, GdeltSource):
        return f"GDELT: {entry.query}"
    if isinstance(entry, GoogleNewsSource):
        return f"Google News: {entry.query}"
    if isinstance(entry, TelegramSource) and entry.channel:
        return f"Telegram @{entry.channel.lstrip('@')}"
    return None


def _resolve_retention(
    model: ConfigModel, feeds: list[FeedConfig], tree: Any, path: str, problems: list[str]
) -> RetentionConfig:
    """The retention block; an article must outlive every feed's max_age, or a pruned item
    still in its feed could be taken for new inside its alert window."""
    kept = model.retention
    for kind in ("articles", "matched"):
        keep: timedelta | None = getattr(kept, kind)
        longest = max(feeds, key=lambda f: f.max_age, default=None)
        if keep is not None and longest is not None and keep < longest.max_age:
            loc = ("retention", kind)
            problems.append(
                f"{locate(path, tree, loc, key_position=True)}: {dotted(loc)}: {format_duration(keep)} is shorter "
                f"than the max_age of feed {longest.url} ({format_duration(longest.max_age)}); "
                "articles must be kept at least as long as any feed's max_age"
            )
    return RetentionConfig(
        articles=kept.articles,
        matched=kept.matched,
        full_text=kept.full_text,
        deliveries=kept.deliveries,
    )


# credentials and secrets -------------------------------------------------------


def _credentials(entry: SourceBase) -> Credentials | None:
    if not (entry.username or entry.headers):
        return None
    return Credentials(
        username=entry.username,
        password=entry.password.get_secret_value() if entry.password else None,
        headers={k: v.get_secret_value() for k, v in entry.headers.items()},
    )


def _with_url_userinfo(credentials: Credentials | None, url: str) -> Credentials | None:
    """`https://user:pass@host/` becomes basic auth, unless the entry names its own user."""
    parts = urlsplit(url)
    if parts.username is None or (credentials and credentials.username):
        return credentials
    return Credentials(
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        headers=credentials.headers if credentials else {},
    )


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def config_secrets(model: ConfigModel) -> list[str]:
    """Every secret value the model holds: SecretStr fields anywhere, URL credentials."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(model)
    found += secrets_in_url(model.database)  # a postgresql:// URL may carry a password
    for entry in model.feeds:
        found += secrets_in_url(getattr(entry, "url", None) or "")
        found += [unquote(s) for s in secrets_in_url(getattr(entry, "url", None) or "")]
    return found


def _resolve_rules(
    model: ConfigModel,
    tree: Any,
    path: str,
    digests: Mapping[str, DigestConfig],
    entities: Mapping[str, Entity],
    problems: list[str],
    warnings: list[str],
) -> list[RuleConfig]:
    rules: list[RuleConfig] = []
    seen: set[str] = set()
    for i, entry in enumerate(model.rules):
        loc: tuple = ("rules", i)
        if entry.name in seen:
            problems.append(
                f"{locate(path, tree, (*loc, 'name'))}: rules[{i}].name: duplicate rule name '{entry.name}'"
            )
        seen.add(entry.name)
        if entry.digest not in digests:
            known = ", ".join(digests) or "none defined"
            problems.append(
                f"{locate(path, tree, (*loc, 'digest'))}: rules[{i}].digest: "
                f"unknown digest '{entry.digest}' (known: {known})"
            )
        try:
            rule = build_rule(
                name=entry.name,
                query=entry.query,
                any=entry.any,
                all=entry.all,
                none=entry.none,
                tags=entry.tags,
                # a rule names a feed by the URL it is known by, the one without its secrets
                feeds=[mask_url(f) if "://" in f else f for f in entry.feeds],
                mentions=entry.mentions,
                entities=entities,
            )
        except RuleSyntaxError as exc:
            part = _rule_part(exc.item)
            where = locate(path, tree, (*loc, *part))
            problems.append(
                f"{where}: {dotted((*loc, *part))}:{exc.line}:{exc.column}: {exc.reason}"
            )
            continue
        for warning in rule_warnings(rule):
            warnings.append(f"{locate(path, tree, (*loc, 'query'))}: rules[{i}].query:{warning}")
        spike = entry.spike
        rules.append(
            RuleConfig(
                name=entry.name,
                rule=rule,
                digest=entry.digest,
                source=_rule_source(entry),
                urgent=entry.priority == "urgent",
                spike=SpikeConfig(window=spike.window, factor=spike.factor, min=spike.min)
                if spike
                else None,
            )
        )
    return rules


def _rule_part(item: str | None) -> tuple:
    """The config keys of the part of a rule an error is in: ("query",), ("any", 1), ..."""
    if not item:
        return ("query",)
    name, _, index = item.partition("[")
    return (name, int(index.rstrip("]"))) if index else (name,)


def _rule_source(entry: RuleEntry) -> str:
    parts = [entry.query] if entry.query else []
    parts += [
        f"{key}: [{', '.join(getattr(entry, key))}]"
        for key in ("any", "all", "none")
        if getattr(entry, key)
    ]
    return "; ".join(parts)
