"""The rule language (DESIGN §4): parse queries and lists into rules, match articles, explain.

Decisions where DESIGN leaves room:

- Words split at apostrophes and hyphens, in queries and articles alike: ``NATO's`` is ``NATO``
  ``s``; ``anti-missile`` is the phrase "anti missile", so it hits "anti-missile" and
  "anti missile", and ``missile`` alone hits both. Punctuation between a phrase's words is
  ignored. Han and kana characters are one word each.
- Insensitive to case, diacritics and compatibility forms (café = cafe, Straße = strasse,
  ёлка = елка); ``{...}`` is case- and accent-sensitive and may hold a phrase or wildcards.
- ``a NEAR/n b``: at most n words between, either order, one field; a word never pairs with
  itself. NEAR binds tighter than NOT, so ``NOT a NEAR/2 b`` negates the whole NEAR.
- Scopes apply to the terms inside them; an inner scope wins. ``title: x`` (with a space) is an
  error. ``feed:`` matches words of the feed name or the feed URL; ``tag:`` a whole tag;
  ``site:`` the host or a parent domain; ``lang:`` leading subtags.
- Hits come from the title, text and author only, from the parts of the rule that held;
  ``mentions: N`` counts them (distinct stretches of text). A rule matching without hits
  (``NOT x``, ``tag:y``) passes the default ``mentions: 1``.

RuleSyntaxError (a MonitorError and a ValueError) carries ``line``, ``column``, ``reason`` and,
for a list item or ``mentions``, ``item`` (``any[2]``); str() reads ``any[2]: 1:3: reason``.

May import: monitor.errors only; the language is pure and knows nothing of feeds or storage.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# `explain` shares its module's name, and importing a submodule binds that name on the package:
# it is imported here so the function, not the module, is what the package holds.
from monitor.rules.explain import explain

# Every other name is imported from its module on first use: loading a config needs the parser,
# not the matcher or the index translations, and `check` should not pay for them.
_HOMES = {
    "fts_query": "fts",
    "Matcher": "matcher",
    "parse_query": "parser",
    "rule_tsquery": "tsquery",
    **dict.fromkeys(("Document", "Hit", "RuleMatch"), "records"),
    **dict.fromkeys(("Rule", "build_rule", "rule_warnings"), "rule"),
    **dict.fromkeys(
        ("And", "Meta", "Near", "Node", "Not", "Or", "RuleSyntaxError", "Term", "Word", "render"),
        "syntax",
    ),
}

if TYPE_CHECKING:
    from monitor.rules.fts import fts_query
    from monitor.rules.matcher import Matcher
    from monitor.rules.parser import parse_query
    from monitor.rules.records import Document, Hit, RuleMatch
    from monitor.rules.rule import Rule, build_rule, rule_warnings
    from monitor.rules.syntax import (
        And,
        Meta,
        Near,
        Node,
        Not,
        Or,
        RuleSyntaxError,
        Term,
        Word,
        render,
    )
    from monitor.rules.tsquery import rule_tsquery


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "And",
    "Document",
    "Hit",
    "Matcher",
    "Meta",
    "Near",
    "Node",
    "Not",
    "Or",
    "Rule",
    "RuleMatch",
    "RuleSyntaxError",
    "Term",
    "Word",
    "build_rule",
    "explain",
    "fts_query",
    "parse_query",
    "render",
    "rule_tsquery",
    "rule_warnings",
]
