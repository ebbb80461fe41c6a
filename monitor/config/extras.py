"""Which optional dependencies (pyproject extras) the features a config uses need, and which
of them are not installed: found without importing them, so `check` stays quick."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from monitor.errors import MissingExtraError


@dataclass(frozen=True, slots=True, kw_only=True)
class NeededExtra:
    """An extra a configured feature needs, and where the config asks for that feature."""

    extra: str  # a key of MissingExtraError.EXTRAS
    where: str  # file:line:col: key

    def installed(self) -> bool:
        try:
            return find_spec(MissingExtraError.EXTRAS[self.extra][1]) is not None
        except (ImportError, ValueError):  # a parent package missing, a module set to None
            return False

    def problem(self) -> str:
        return f"{self.where}: {MissingExtraError(self.extra)}"


def missing_extras(needed: tuple[NeededExtra, ...]) -> list[str]:
    """One line per extra the config needs that is not installed."""
    return [n.problem() for n in needed if not n.installed()]
