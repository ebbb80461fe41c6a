"""OPML outlines as `feeds:` entries: printed as YAML, or added to a config file in place."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from monitor.config.opml import Outline
from monitor.errors import ConfigError


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
    """Append the outlines' feeds to the config's `feeds:` list, keeping its comments.

    Feeds whose URL the file already lists are skipped; returns how many were added. A flow
    mapping that spans lines comes back on one line (ruamel's round trip); block style is kept.
    """
    feeds, save = _feeds_of(path)
    known = {
        str(entry.get("url")).strip()
        for entry in feeds
        if isinstance(entry, dict) and entry.get("url")
    }
    new = _entries(o for o in outlines if o.url not in known)
    if not len(new):
        return 0
    feeds.extend(new)
    save()
    return len(new)


def add_source_to_config(path: str | os.PathLike[str], entry: Mapping[str, str]) -> bool:
    """Append one source (``{"url": ...}``, with ``type`` and ``name`` when given) to the
    config's `feeds:` list, keeping its comments; False when a source of that URL is listed."""
    feeds, save = _feeds_of(path)
    if any(isinstance(e, dict) and str(e.get("url", "")).strip() == entry["url"] for e in feeds):
        return False
    feeds.append(CommentedMap(entry))
    save()
    return True


def _feeds_of(path: str | os.PathLike[str]) -> tuple[CommentedSeq, Callable[[], None]]:
    """The config's `feeds:` list, as an editable tree, and what writes the file back."""
    yaml = _yaml()
    path = Path(path)
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    if tree is None:
        tree = CommentedMap()
    if not isinstance(tree, CommentedMap):
        raise ConfigError(f"{path}: the config is not a mapping; cannot add feeds to it")
    feeds = tree.get("feeds")
    if feeds is None:
        feeds = tree["feeds"] = CommentedSeq()
    if not isinstance(feeds, CommentedSeq):
        raise ConfigError(f"{path}: 'feeds' is not a list; cannot add feeds to it")

    def save() -> None:
        buffer = io.StringIO()
        yaml.dump(tree, buffer)
        _replace_file(path, buffer.getvalue())

    return feeds, save


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


def _replace_file(path: Path, text: str) -> None:
    # Write beside it and rename: a crash mid-write must not leave half a config behind.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    shutil.copymode(path, temporary)
    os.replace(temporary, path)
