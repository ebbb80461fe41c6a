"""What a response's headers say about when to ask again: Retry-After and freshness
(Cache-Control max-age, Expires), measured on the server's own clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def server_now(headers: Mapping[str, str]) -> datetime:
    # Dates in Retry-After and Expires are on the server's clock; measure against its Date.
    return _http_date(headers.get("Date")) or datetime.now(UTC)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from ``now``: either delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    return None if when is None else max(0.0, (when - now).total_seconds())


def max_age_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """How long the response says it stays fresh (Cache-Control max-age, else Expires)."""
    directives = [d.strip().lower() for d in headers.get("Cache-Control", "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().strip('"').isdigit():
            age = headers.get("Age", "0").strip()
            return max(0.0, float(value.strip().strip('"')) - (float(age) if age.isdigit() else 0))
    expires = _http_date(headers.get("Expires"))
    return None if expires is None else max(0.0, (expires - now).total_seconds())
