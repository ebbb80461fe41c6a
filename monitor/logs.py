"""Logging to stderr: one line per event, plain or JSON; every line masked (monitor.secrets)."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from monitor.secrets import mask, register, registered

# The value runs to the next space, less the ":" or "," that ends it in a message such as
# "feed=URL link=URL: why" (a URL never ends in one of those).
_KEY_VALUE = re.compile(r"\b(feed|channel|digest|delivery|link)=(\S*[^\s:,;])")


class PlainFormatter(logging.Formatter):
    """One line per event; the whole line, traceback included, goes through `mask`."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = mask(record.getMessage())
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        # feed=..., channel=... in the message become fields, so every line can be filtered by them
        event.update({k: v for k, v in _KEY_VALUE.findall(message)})
        if record.exc_info:
            event["traceback"] = mask(self.formatException(record.exc_info))
        return json.dumps(event, ensure_ascii=False)


def setup_logging(
    *, json_lines: bool = False, level: int = logging.INFO, secrets: list[str] | None = None
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    if secrets is not None:
        register([*registered(), *secrets])
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "urllib3", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
