"""Logging set-up: the level and format from settings, the id of the update being handled on
every line written while handling it, and the bot token never written out."""

from __future__ import annotations

import contextvars
import json
import logging
import re

from bot.config import Settings

# The update a task is handling (each update runs in a task of its own, with its own context).
current_update: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_update", default=None
)


class UpdateId(logging.Filter):
    """Put the handled update's id (or "-") on the record as `update`."""

    def filter(self, record: logging.LogRecord) -> bool:
        update = current_update.get()
        record.update = "-" if update is None else str(update)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, update, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "update": getattr(record, "update", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_TOKEN_IN_TEXT = re.compile(r"bot\d{3,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like `bot<token>` (as in Bot API URLs) with `bot<redacted>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN_IN_TEXT.search(message):
            record.msg = _TOKEN_IN_TEXT.sub("bot<redacted>", message)
            record.args = None
        return True


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [update %(update)s]: %(message)s")
        )
    handler.addFilter(RedactTokens())
    handler.addFilter(UpdateId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL (which holds the token) at INFO; keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
