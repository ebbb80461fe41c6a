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

from monitor.rules.explain import explain
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
from monitor.rules.tsquery import tsquery

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
    "rule_warnings",
    "tsquery",
]
