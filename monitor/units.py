"""Durations (`30s`, `15m`, `2h`, `7d`) and byte sizes (`10MB`, `512KiB`) as written in the config."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_duration(value: str | int | float) -> timedelta:
    """A duration such as `15m`; a bare number counts as seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s, 15m, 2h or 7d, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected a duration like 30s, 15m, 2h or 7d, got {value!r}")
        seconds = float(match[1]) * _DURATION_UNITS[match[2]]
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {value!r}")
    return timedelta(seconds=seconds)


def parse_size(value: str | int) -> int:
    """A byte size such as `10MB` or `512KiB`; a bare number counts as bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size like 10MB or 512KiB, got {value!r}")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"expected a size like 10MB or 512KiB, got {value!r}")
        size = int(float(match[1]) * _SIZE_UNITS[(match[2] or "b").lower()])
    if size <= 0:
        raise ValueError(f"expected a positive size, got {value!r}")
    return size


def format_duration(delta: timedelta) -> str:
    """The shortest exact spelling of a duration (`90m` stays `90m`, `3600s` becomes `1h`)."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
