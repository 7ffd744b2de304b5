"""Logging setup for the CLI: the plain one-line format people read, or JSON lines for collectors.

Library modules only call ``logging.getLogger(__name__)``; the CLI calls ``configure`` once.
A message about one feed carries the feed's name in ``extra={"feed": name}``; the JSON format
puts it in a ``feed`` field so that a log collector can filter by feed.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]
PACKAGE_LOGGER = "pipeline"
TEXT_FORMAT = "syndedup: %(levelname)s: %(message)s"

# Messages about one feed start with "feed 'Name'" by the project's habit; a record logged
# without extra={"feed": ...} still gets its feed field from that prefix.
_FEED_PREFIX = re.compile(r"feed %r\b")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and feed if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        feed = feed_of(record)
        if feed is not None:
            entry["feed"] = feed
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def feed_of(record: logging.LogRecord) -> str | None:
    """The feed a record is about: its ``feed`` extra, else the first argument of a "feed %r" message."""
    feed = getattr(record, "feed", None)
    if isinstance(feed, str):
        return feed
    args, message = record.args, record.msg
    if isinstance(args, tuple) and args and isinstance(args[0], str) and isinstance(message, str):
        return args[0] if _FEED_PREFIX.match(message) else None
    return None


def level_for(verbose: bool, quiet: bool) -> int:
    """Warnings and errors by default, per-feed counts with --verbose, errors only with --quiet."""
    return logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: int, log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """Send the package's log records at ``level`` and above to ``stream`` (stderr) in ``log_format``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    root = logging.getLogger(PACKAGE_LOGGER)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    return handler
