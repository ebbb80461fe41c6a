"""One change of the config from the page: read the file at the version the form was opened
on, change its text, write it (validated, version-checked, atomic), record it in the history,
and have the running config reloaded. Every editing route goes through `Changes.apply`."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.config.write import ConfigConflict, Snapshot, read, save
from monitor.errors import ConfigError
from monitor.store.workbench import Workbench

log = logging.getLogger("monitor.web")
WHO = "editor"  # one editing role: the editor token, not named people


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a save came to: written (`saved`), or refused with the problems or the conflict."""

    saved: Snapshot | None = None
    problems: tuple[str, ...] = ()
    conflict: Snapshot | None = None


class Changes:
    def __init__(
        self,
        *,
        path: Callable[[], str],
        workbench: Workbench,
        clock: Callable[[], datetime],
        reload: Callable[[], None],
    ) -> None:
        self._path = path
        self.workbench = workbench
        self._clock = clock
        self._reload = reload

    def current(self) -> Snapshot:
        return read(self._path())

    def apply(
        self, *, version: str, route: str, subject: str, change: Callable[[str], str]
    ) -> Outcome:
        """`change` the text the file holds, if it is still the one at `version`."""
        path = self._path()
        before = read(path)
        if before.version != version:
            return Outcome(conflict=before)
        try:
            after = change(before.text)
            saved = save(path, after, version=version, env=os.environ)
        except ConfigConflict as exc:
            return Outcome(conflict=exc.current)
        except ConfigError as exc:
            return Outcome(problems=tuple(exc.problems))
        self.workbench.record_change(
            at=self._clock(), who=WHO, route=route, subject=subject, before=before.text, after=after
        )
        log.info("config changed from the web page route=%s subject=%s", route, subject)
        try:
            self._reload()
        except Exception:  # the file is written and valid; a reload failure is the service's
            log.exception("reload after a change from the web page failed")
        return Outcome(saved=saved)


def diff(before: str, after: str, name: str) -> list[str]:
    """Unified diff lines, for the history page."""
    return list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=f"{name} (before)",
            tofile=f"{name} (after)",
            lineterm="",
        )
    )
