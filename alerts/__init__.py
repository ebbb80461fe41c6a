"""The delivery side: digest records, their rendering, and the channels that deliver them.

It imports nothing from `monitor`; `monitor` builds `Digest` records and hands them over.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from alerts.errors import AlertError, DeliveryError, RenderError

if TYPE_CHECKING:
    from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json, digest_to_json

# The records load on first use: reading a config needs only the channels' settings.
_RECORDS = ("Digest", "DigestEntry", "RuleSection", "digest_from_json", "digest_to_json")

__all__ = [
    "AlertError",
    "DeliveryError",
    "Digest",
    "DigestEntry",
    "RenderError",
    "RuleSection",
    "digest_from_json",
    "digest_to_json",
]


def __getattr__(name: str) -> Any:
    if name not in _RECORDS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("alerts.records"), name)
    globals()[name] = value
    return value
