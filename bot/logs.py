"""Logging set-up: the level and format from settings, the id of the update being handled on
every line written while handling it, and the bot token never written out."""

from __future__ import annotations

import asyncio
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
            entry["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_TOKEN_IN_TEXT = re.compile(r"bot\d{3,}:[A-Za-z0-9_-]{20,}")
# An invite's token in a deep link or a /start command, and a Mini App's init data (its
# signed launch parameters): each lets whoever reads it in as someone else.
_SECRETS_IN_TEXT = (
    (re.compile(r"(\bstart=|/start(?:@\w+)?\s+)[A-Za-z0-9_-]{8,64}"), r"\1<redacted>"),
    (re.compile(r"(tgWebAppData=|\binit_?data=)[^\s&#\"']+", re.IGNORECASE), r"\1<redacted>"),
    (re.compile(r"(\bhash=)[0-9a-f]{64}"), r"\1<redacted>"),
)


_FORMATTER = logging.Formatter()


class RedactTokens(logging.Filter):
    """Replace anything shaped like `bot<token>` (as in Bot API URLs) with `bot<redacted>`,
    and the bot's own token, invite tokens and Mini App init data wherever they appear."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:  # a URL in an error holds the token
            record.exc_text = self._redact(_FORMATTER.formatException(record.exc_info))
        return True

    def _redact(self, text: str) -> str:
        text = _TOKEN_IN_TEXT.sub("bot<redacted>", text)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        for pattern, replacement in _SECRETS_IN_TEXT:
            text = pattern.sub(replacement, text)
        return text


# Libraries that write whole requests, answers and updates into their log lines: at DEBUG
# python-telegram-bot writes every Bot API call's parameters and result (each update's text,
# `/start` with an invite's token), "Processing update ...", a webhook's body; at CRITICAL an
# update it cannot read.
_PAYLOAD_LOGGERS = ("telegram", "httpx", "httpcore", "aiohttp", "tornado")
_PLAIN_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")


def _plain(arg: object) -> bool:
    """A short identifier (a method's name, an update's id) that can stay in a line."""
    if arg is None or isinstance(arg, bool | int | float):
        return True
    if isinstance(arg, str):
        return _PLAIN_ARG.fullmatch(arg) is not None
    if isinstance(arg, list | tuple):
        return all(isinstance(item, int) for item in arg)
    return False


class HidePayloads(logging.Filter):
    """Lines of the libraries above keep their wording and their identifiers; any other
    argument (a request's parameters, an update, a body) is written as `<hidden>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_PAYLOAD_LOGGERS) and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(arg if _plain(arg) else "<hidden>" for arg in args)
        return True


class JobCancelledAtStop(logging.Filter):
    """Drop APScheduler's "Error running job" (at ERROR, with a traceback) for a job it
    cancelled itself: its asyncio executor cancels a tick still running when the bot stops.
    That is a stop, not an error: each of the tick's steps is its own transaction, and the
    next start goes on from the database. A job that fails is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None or not isinstance(record.exc_info[1], asyncio.CancelledError)


def quiet_jobs_cancelled_at_stop() -> None:
    """Install `JobCancelledAtStop` on APScheduler's executor logger (once)."""
    executor = logging.getLogger("apscheduler.executors.default")
    if not any(isinstance(f, JobCancelledAtStop) for f in executor.filters):
        executor.addFilter(JobCancelledAtStop())


def configure(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [update %(update)s]: %(message)s")
        )
    token = settings.telegram_bot_token
    handler.addFilter(HidePayloads())
    handler.addFilter(RedactTokens((token.get_secret_value(),) if token else ()))
    handler.addFilter(UpdateId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # httpx logs every request URL (which holds the token) at INFO; keep it to warnings, and
    # the libraries' chatter too: never below WARNING, and quieter still when LOG_LEVEL asks.
    quiet = max(logging.WARNING, logging.getLevelNamesMapping()[settings.log_level])
    for library in ("httpx", "apscheduler", "alembic"):
        logging.getLogger(library).setLevel(quiet)
    quiet_jobs_cancelled_at_stop()
