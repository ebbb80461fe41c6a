"""Logging to stderr: one line per event, plain or JSON; secrets are masked on the way out."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_KEY_VALUE = re.compile(r"\b(feed|channel|digest|delivery|link)=(\S+)")


class _Redactor(logging.Filter):
    """Replaces every known secret value with *** in the final message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        # feed=..., channel=... in the message become fields, so every line can be filtered by them
        event.update({k: v for k, v in _KEY_VALUE.findall(message)})
        if record.exc_info:
            event["traceback"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def setup_logging(
    *, json_lines: bool = False, level: int = logging.INFO, secrets: list[str] | None = None
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(_Redactor(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "urllib3", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
