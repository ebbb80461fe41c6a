"""Writing a changed config file: validated as `check` does, only over the version the editor
read, atomically.

The version is a hash of the file's bytes. Two editors who read the same version and both
save: the first wins, the second gets `ConfigConflict` with the text now on disk, never a
silent overwrite. The check and the write happen under a lock held on the config's directory
(`flock`, so a `news-monitor web` and a `run` editing one file exclude each other too).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.config.load import parse_config
from monitor.errors import ConfigError

_LOCK = threading.Lock()  # flock is per open file: threads of one process need their own lock


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The config file's text as read, and its version."""

    text: str
    version: str


class ConfigConflict(ConfigError):
    """The file changed since the editor read it; `current` is what it holds now."""

    def __init__(self, path: str, current: Snapshot) -> None:
        self.current = current
        super().__init__(
            f"{path}: the config was changed by someone else since you opened it; "
            "your change was not saved"
        )


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read(path: str | os.PathLike[str]) -> Snapshot:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8")
    return Snapshot(text=text, version=version_of(text))


def save(
    path: str | os.PathLike[str], text: str, *, version: str, env: Mapping[str, str]
) -> Snapshot:
    """Write `text` over the file if it still is at `version` and `text` loads; returns the new
    snapshot. Raises ConfigConflict, or ConfigError with the loader's problems (nothing
    written)."""
    path = str(path)
    parse_config(text, path=path, env=env)  # a config that would not load is never written
    with _locked(Path(path).parent):
        current = read(path)
        if current.version != version:
            raise ConfigConflict(path, current)
        replace_text(Path(path), text)
    return Snapshot(text=text, version=version_of(text))


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with _LOCK:
        fd = os.open(directory, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock


def replace_text(path: Path, text: str) -> None:
    # Beside it, then renamed over it: a crash mid-write never leaves half a config.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    shutil.copymode(path, temporary)
    os.replace(temporary, path)
