"""HTML fragments (feed summaries, content) -> clean plain text."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

# Elements whose content is never reader-visible text.
_DROPPED = ["script", "style", "noscript", "template", "head", "title", "svg", "math", "object"]
_HAS_DROPPED = re.compile(r"<(?:" + "|".join(_DROPPED) + r")[\s/>]", re.IGNORECASE)

# A line break goes in front of every tag that renders on a new line, so that two paragraphs
# never run into one word; marking the source text is several times faster than walking nodes.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:address|article|aside|blockquote|br|caption|dd|details|div|dl|dt|figcaption"
    r"|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|summary|table|tbody"
    r"|td|tfoot|th|thead|tr|ul)[\s/>])",
    re.IGNORECASE,
)

_MARKUP_HINT = re.compile(r"[<&]")


def html_to_text(fragment: str) -> str:
    """The reader-visible text of an HTML fragment.

    Entities are decoded, scripts and styles dropped, block elements become line breaks,
    runs of spaces become one space and blank lines disappear.
    """
    if not fragment:
        return ""
    if not _MARKUP_HINT.search(fragment):
        return _tidy(fragment)
    tree = LexborHTMLParser(_BLOCK_TAG.sub("\n<", fragment))
    if _HAS_DROPPED.search(fragment):
        tree.strip_tags(_DROPPED)
    body = tree.body
    return _tidy(body.text(deep=True, separator="")) if body is not None else ""


def collapse_whitespace(text: str) -> str:
    """One line: every run of whitespace (line breaks too) becomes one space."""
    return " ".join(text.split())


def plain_text(text: str) -> str:
    """Text that is already plain: spaces collapsed, line breaks kept, blank lines dropped."""
    return _tidy(text)


def _tidy(text: str) -> str:
    # Line by line with str.split() (the same whitespace as the regex \s): four times faster
    # than two regex passes, and identical for every code point.
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)
