"""OPML outlines as `feeds:` entries: printed as YAML, or added to a config file in place\n(through `config.edit`, so every other byte of the file stays as it was)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.config import edit
from monitor.config.opml import Outline
from monitor.config.write import read, replace_text


def feed_entries_yaml(outlines: Iterable[Outline]) -> str:
    """YAML list items to paste under the `feeds:` key (indented as in config/monitor.yaml)."""
    entries = _entries(outlines)
    if not len(entries):
        return ""
    buffer = io.StringIO()
    _yaml().dump(entries, buffer)
    return buffer.getvalue()


def source_entry_yaml(entry: Mapping[str, str]) -> str:
    """One `feeds:` list item, as YAML to paste."""
    buffer = io.StringIO()
    _yaml().dump(CommentedSeq([CommentedMap(entry)]), buffer)
    return buffer.getvalue()


def add_feeds_to_config(path: str | os.PathLike[str], outlines: Iterable[Outline]) -> int:
    """Append the outlines' feeds to the config's `feeds:` list; every other byte of the file
    stays as it was. Feeds whose URL the file already lists are skipped; returns how many
    were added."""
    text = read(path).text
    known = _listed(text)
    new = [_fields(o) for o in _unique(outlines) if o.url not in known]
    if new:
        replace_text(Path(path), edit.add_feeds(text, new))
    return len(new)


def add_source_to_config(path: str | os.PathLike[str], entry: Mapping[str, str]) -> bool:
    """Append one source (``{"url": ...}``, with ``type`` and ``name`` when given) to the
    config's `feeds:` list, every other byte kept; False when a source of that URL is listed."""
    text = read(path).text
    if entry["url"] in _listed(text):
        return False
    replace_text(Path(path), edit.add_feed(text, dict(entry)))
    return True


def _listed(text: str) -> set[str]:
    return {str(item["url"]).strip() for item in edit.feed_items(text) if item.get("url")}


def _unique(outlines: Iterable[Outline]) -> list[Outline]:
    by_url: dict[str, Outline] = {}
    for outline in outlines:
        by_url.setdefault(outline.url, outline)  # the first listing of a URL wins
    return list(by_url.values())


def _fields(outline: Outline) -> dict[str, edit.Value]:
    return {"url": outline.url, "name": outline.title, "tags": list(outline.categories)}


def _entries(outlines: Iterable[Outline]) -> CommentedSeq:
    entries = CommentedSeq()
    seen: set[str] = set()
    for outline in outlines:
        if outline.url in seen:
            continue
        seen.add(outline.url)
        entries.append(_entry(outline))
    return entries


def _entry(outline: Outline) -> CommentedMap:
    entry = CommentedMap(url=outline.url)
    if outline.title:
        entry["name"] = outline.title
    if outline.categories:
        entry["tags"] = _flow_list(outline.categories)
    return entry


def _flow_list(items: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long URL or query onto a second line
    return yaml
