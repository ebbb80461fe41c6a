"""Making feed bytes safe to hand to any parser: decompression with a cap, wide encodings
re-encoded as UTF-8, and DOCTYPE / entity declarations removed."""

from __future__ import annotations

import codecs
import re
import zlib

from monitor.errors import ParseError

GZIP_MAGIC = b"\x1f\x8b"
GZIP_RATIO_CAP = 16

# Byte-order marks and BOM-less '<?' patterns of encodings in which '<!DOCTYPE' is not ASCII.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
_XML_DECLARATION_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2")
# The encoding pseudo-attribute of an XML declaration, and what the XML spec allows as its
# value (EncName); feedparser raises on a name it cannot even decode (a NUL or a byte >= 0x80).
_DECLARED_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*([\"'])([^\"']*)\2")
_ENCODING_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9._-]*")
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*[^;]*", re.IGNORECASE)
_CHARSET_VALUE = re.compile(r"charset\s*=\s*[\"']?([^;\"'\s]+)", re.IGNORECASE)
_ASCII_PROBE = '<!DOCTYPE [<!ENTITY a "&b;">]>+-'
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def decompress(body: bytes, *, max_bytes: int | None = None) -> bytes:
    """Gunzip a gzip body (a server that compressed twice, a .xml that is really .gz).

    The output is capped at ``max_bytes``, or at 16 times the input when none is given,
    so that a small bomb cannot become gigabytes.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    cap = max_bytes if max_bytes is not None else GZIP_RATIO_CAP * len(body)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error as exc:
        raise ParseError(f"corrupt gzip body: {exc}") from exc
    if len(out) > cap:
        raise ParseError(f"gzip body inflates beyond {cap} bytes")
    return out


def without_malformed_encoding(body: bytes) -> bytes:
    """The body without its declared encoding when the declared name is not an encoding name
    at all: the encoding is then found as for a declaration without one (BOM, Content-Type,
    UTF-8), where feedparser would have raised."""
    declared = _DECLARED_ENCODING.match(body[:512])
    if declared is None or _ENCODING_NAME.fullmatch(declared.group(3)):
        return body
    return declared.group(1) + body[declared.end() :]


def to_ascii_compatible(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """UTF-16/32, EBCDIC and UTF-7 bodies as UTF-8, with declaration and content type to match.

    Declarations can only be found and removed in an ASCII-compatible encoding, and feedparser
    would decode a UTF-7 body into a DOCTYPE that the raw bytes did not show.
    """
    encoding = next((name for mark, name in _WIDE_ENCODINGS if body.startswith(mark)), None)
    encoding = encoding or _declared_wide_encoding(body, content_type)
    if encoding is None:
        return body, content_type
    text = body.decode(encoding, errors="replace").lstrip("\ufeff")
    data = _XML_DECLARATION_ENCODING.sub(rb"\1\2utf-8\2", text.encode("utf-8"), count=1)
    if content_type and _CHARSET_PARAM.search(content_type):
        content_type = _CHARSET_PARAM.sub("; charset=utf-8", content_type)
    return data, content_type


def _declared_wide_encoding(body: bytes, content_type: str | None) -> str | None:
    declared = _XML_DECLARATION_ENCODING.match(body[:200])
    names = [_CHARSET_VALUE.findall(content_type or "")]
    candidates = [name for group in names for name in group]
    if declared:
        candidates.append(
            declared.group(0).rsplit(declared.group(2), 2)[1].decode("ascii", "replace")
        )
    for name in candidates:
        try:
            probe = _ASCII_PROBE.encode(codecs.lookup(name.strip()).name)
        except (LookupError, UnicodeError, ValueError):
            continue
        if probe != _ASCII_PROBE.encode("ascii"):
            return name.strip()
    return None


def strip_declarations(body: bytes) -> bytes:
    """The body without its DOCTYPE (and so without any internal entity subset).

    An internal subset lets a few hundred bytes expand into gigabytes (billion laughs,
    quadratic blowup) or name a local file (XXE); no feed needs one.
    """
    start = _prolog_end(body)
    head = body[:start]
    if not _DECLARATION.search(head):
        return body
    cleaned = _remove_doctypes(head)
    if _DECLARATION.search(cleaned):
        raise ParseError("feed prolog holds entity declarations that could not be removed")
    return cleaned + body[start:]


def _prolog_end(body: bytes) -> int:
    """Where the root element starts: past PIs, comments and declarations taken as units
    (an entity value may itself contain '<a')."""
    position = 0
    size = len(body)
    while position < size:
        position = body.find(b"<", position)
        if position == -1:
            return size
        if body.startswith(b"<?", position):
            close = body.find(b"?>", position + 2)
            position = size if close == -1 else close + 2
        elif body.startswith(b"<!--", position):
            close = body.find(b"-->", position + 4)
            position = size if close == -1 else close + 3
        elif body.startswith(b"<!", position):
            position = _declaration_end(body, position)
        elif _FIRST_ELEMENT.match(body, position):
            return position
        else:
            position += 1
    return size


def _remove_doctypes(head: bytes) -> bytes:
    """The prolog without its declarations and comments, each taken as a unit.

    A comment that mentions '<!DOCTYPE' must not be cut open (the rest of it would become
    markup), nor kept (feedparser lifts ENTITY declarations out of prolog comments too).
    """
    out = bytearray()
    position = 0
    while (start := head.find(b"<", position)) != -1:
        if head.startswith(b"<!--", start):
            close = head.find(b"-->", start + 4)
            out += head[position:start]
            end = len(head) if close == -1 else close + 3
        elif head.startswith(b"<?", start):
            close = head.find(b"?>", start + 2)
            end = len(head) if close == -1 else close + 2
            out += head[position:end]
        elif _DECLARATION.match(head, start):
            out += head[position:start]
            end = _declaration_end(head, start)
        else:
            end = start + 1
            out += head[position:end]
        position = end
    return bytes(out + head[position:])


def _declaration_end(data: bytes, start: int) -> int:
    """Index just past a '<!DOCTYPE ...>' or '<!ENTITY ...>' that begins at ``start``.

    Quotes, comments and the bracketed internal subset are skipped as units, so that a '>'
    inside an entity value cannot end the declaration early.
    """
    depth = 0
    index = start + 2
    size = len(data)
    while index < size:
        char = data[index]
        if data.startswith(b"<!--", index):
            close = data.find(b"-->", index + 4)
            index = size if close == -1 else close + 3
            continue
        if char in b"\"'":
            close = data.find(bytes([char]), index + 1)
            index = size if close == -1 else close + 1
            continue
        if char == ord("["):
            depth += 1
        elif char == ord("]"):
            depth = max(depth - 1, 0)
        elif char == ord(">") and depth == 0:
            return index + 1
        index += 1
    return size
