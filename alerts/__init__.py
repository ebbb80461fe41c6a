"""The delivery side: digest records, their rendering, and the channels that deliver them.

It imports nothing from `monitor`; `monitor` builds `Digest` records and hands them over.
"""

from alerts.errors import AlertError, DeliveryError, RenderError
from alerts.records import Digest, DigestEntry, RuleSection, digest_from_json, digest_to_json

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
