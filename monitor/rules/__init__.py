"""The rule language (DESIGN §4): parse queries and lists into rules, match articles, explain.

RuleSyntaxError (a MonitorError and a ValueError) carries ``line``, ``column``, ``reason``
and, for any/all/none items, ``item``.
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
]
