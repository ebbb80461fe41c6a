"""The atom channel: one Atom 1.0 feed file per rule, holding that rule's newest entries."""

from __future__ import annotations

import logging
import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from alerts.channels.atomic import write_atomically
from alerts.channels.base import Channel
from alerts.channels.settings import AtomSettings
from alerts.errors import DeliveryError
from alerts.payloads import iso_time
from alerts.records import Digest, DigestEntry, RuleSection
from alerts.safetext import is_web_url, one_line, slug, xml_legal

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)
_LONG_AGO = datetime.min.replace(tzinfo=UTC)
_FEED_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:news-monitor:rule-feed")

# Two digests (say instant and daily) may feed one rule's file at once; merges must not interleave.
_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attributes)
    element.text = xml_legal(text)
    return element


def entry_id(url: str) -> str:
    """The Atom id of an article: stable for its URL, so a re-sent article replaces itself."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}"


def entry_element(entry: DigestEntry, rule: str, fallback_time: datetime) -> ET.Element:
    """One article as an Atom <entry>; feed text goes in as text, never as markup."""
    element = ET.Element(_tag("entry"))
    _text(element, "id", entry_id(entry.url))
    _text(element, "title", _line(entry.title) or "(no title)", type="text")
    if is_web_url(entry.url):
        ET.SubElement(element, _tag("link"), {"rel": "alternate", "href": xml_legal(entry.url)})
    _text(element, "updated", iso_time(entry.published or fallback_time))
    if entry.published:
        _text(element, "published", iso_time(entry.published))
    _text(ET.SubElement(element, _tag("author")), "name", _line(entry.source) or "unknown")
    ET.SubElement(element, _tag("category"), {"term": _line(rule)})
    _text(element, "summary", _summary(entry), type="text")
    return element


def _line(text: str) -> str:
    return one_line(xml_legal(text))


def _summary(entry: DigestEntry) -> str:
    lines = [one_line(entry.snippet)]
    if entry.matched_terms:
        lines.append("Matched: " + ", ".join(one_line(t) for t in entry.matched_terms))
    if entry.also_reported_by:
        lines.append("Also reported by: " + ", ".join(one_line(s) for s in entry.also_reported_by))
    return "\n\n".join(line for line in lines if line)


def merge_feed(
    existing: ET.Element | None, section: RuleSection, now: datetime, limit: int
) -> ET.Element:
    """The rule's feed: old and new entries by id (new wins), newest first, at most `limit`."""
    entries: dict[str, ET.Element] = {}
    if existing is not None:
        for old in existing.iterfind(_tag("entry")):
            entries[old.findtext(_tag("id"), default="")] = old
    for entry in section.entries:
        entries[entry_id(entry.url)] = entry_element(entry, section.rule, now)
    newest = sorted(entries.values(), key=_updated, reverse=True)[:limit]
    return _feed(section.rule, newest, now)


def _updated(entry: ET.Element) -> datetime:
    try:
        when = datetime.fromisoformat(entry.findtext(_tag("updated"), default=""))
    except ValueError:
        return _LONG_AGO
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _feed(rule: str, entries: list[ET.Element], now: datetime) -> ET.Element:
    feed = ET.Element(_tag("feed"))
    _text(feed, "id", f"urn:uuid:{uuid.uuid5(_FEED_ID_NAMESPACE, rule)}")
    _text(feed, "title", f"news-monitor: {_line(rule)}", type="text")
    _text(
        feed,
        "updated",
        max((e.findtext(_tag("updated"), "") for e in entries), default=iso_time(now)),
    )
    _text(ET.SubElement(feed, _tag("author")), "name", "news-monitor")
    _text(feed, "generator", "news-monitor")
    feed.extend(entries)
    return feed


def feed_bytes(feed: ET.Element) -> bytes:
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


class AtomChannel(Channel[AtomSettings]):
    """Keeps `<path>/<rule>.xml` for every rule in the digest, merged with what is there."""

    settings_model = AtomSettings

    def send(self, digest: Digest, delivery_id: str) -> None:
        for section in digest.sections:
            if section.entries:
                self._update(section, digest.created_at)

    def _update(self, section: RuleSection, now: datetime) -> None:
        path = self.settings.path / f"{slug(section.rule, fallback='rule')}.xml"
        with _lock_for(path):
            feed = merge_feed(self._read(path), section, now, self.settings.max_entries)
            try:
                write_atomically(path, feed_bytes(feed))
            except OSError as exc:
                raise DeliveryError(f"atom {self.name}: cannot write {path}: {exc}") from exc

    def _read(self, path: Path) -> ET.Element | None:
        try:
            return ET.parse(path).getroot()
        except FileNotFoundError:
            return None
        except (ET.ParseError, OSError) as exc:
            # Nothing else writes this file; starting afresh beats failing every delivery.
            log.warning("atom %s: %s unreadable (%s); starting a new feed", self.name, path, exc)
            return None


def _lock_for(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path.resolve(), threading.Lock())
