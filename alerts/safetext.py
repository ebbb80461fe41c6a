"""Making untrusted feed text safe to show: single lines, no control characters, web-only links."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Every line or paragraph separator Python's str.splitlines() knows, plus other whitespace.
_WHITESPACE_RUN = re.compile(r"\s+")
# C0/C1 controls and DEL; terminal escapes and NULs from a feed must not reach a console or mail.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters XML 1.0 forbids even when escaped (plus lone surrogates, which cannot be encoded).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SLUG_JUNK = re.compile(r"[^\w]+")


def squash(text: str) -> str:
    """The text with controls dropped and every whitespace run (line breaks too) as one space."""
    return _WHITESPACE_RUN.sub(" ", _CONTROL.sub("", text))


def one_line(text: str) -> str:
    """`squash`ed and stripped: safe for a title, a subject or any single-line field."""
    return squash(text).strip()


def xml_legal(text: str) -> str:
    """The text without characters that would make an XML document invalid."""
    return _XML_ILLEGAL.sub("", text)


def is_web_url(url: str) -> bool:
    """Whether a feed-supplied URL may become a link: absolute http(s) with a host, nothing else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc) and one_line(url) == url


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """The text cut to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def slug(name: str, fallback: str = "digest") -> str:
    """A file-name-safe form of a configured name (letters of any script, digits, dashes)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SLUG_JUNK.sub("-", folded).strip("-_")[:80] or fallback
