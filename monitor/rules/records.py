"""The records a rule is matched against and the records a match yields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """What a rule sees of an article."""

    title: str = ""
    text: str = ""  # summary plus full text, plain text
    author: str = ""
    feed: str = ""  # feed name; feed: matches it or the feed URL
    feed_url: str = ""
    tags: tuple[str, ...] = ()  # tags of the feed(s) the article came from
    url: str = ""  # article URL; site: matches its host or a parent domain
    lang: str = ""  # language code; lang:ru matches "ru" and "ru-RU"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One occurrence of a positive term: ``document.<field>[start:end]`` is the matched text."""

    term: str  # the term as the rule wrote it (a phrase without its quotes), or @Name
    field: str  # title, text or author
    start: int
    end: int
    form: str = ""  # for @Name: the entity's base form that this inflected text stands for


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleMatch:
    rule: str
    hits: tuple[Hit, ...]
