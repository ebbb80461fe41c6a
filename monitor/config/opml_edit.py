"""OPML outlines as `feeds:` entries: printed as YAML, or added to a config file in place."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterable, Sequence
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


def add_feeds_to_config(path: str | os.PathLike[str], outlines: Iterable[Outline]) -> int:
    """Append the outlines' feeds to the config's `feeds:` list, keeping its comments.

    Feeds whose URL the file already lists are skipped; returns how many were added. A flow
    mapping that spans lines comes back on one line (ruamel's round trip); block style is kept.
    """
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
    known = {
        str(entry.get("url")).strip()
        for entry in feeds
        if isinstance(entry, dict) and entry.get("url")
    }
    new = _entries(o for o in outlines if o.url not in known)
    if not len(new):
        return 0
    feeds.extend(new)
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    _replace_file(path, buffer.getvalue())
    return len(new)


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
