"""Log lines: the update being handled, JSON when asked for, and no token."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import pytest
from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.logs import (
    HidePayloads,
    JsonFormatter,
    RedactTokens,
    UpdateId,
    configure,
    current_update,
    quiet_jobs_cancelled_at_stop,
)
from db.engine import Database
from db.models import Person


def _line(formatter: logging.Formatter, message: str, *args: object) -> str:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, message, args, None)
    for f in (RedactTokens(), UpdateId()):
        f.filter(record)
    return formatter.format(record)


async def test_each_task_logs_its_own_update() -> None:
    async def handle(update_id: int) -> str:
        current_update.set(update_id)
        await asyncio.sleep(0.01)
        return _line(JsonFormatter(), "handled %s", "it")

    first, second = await asyncio.gather(
        asyncio.create_task(handle(41)), asyncio.create_task(handle(42))
    )
    assert json.loads(first)["update"] == "41" and json.loads(second)["update"] == "42"
    entry = json.loads(first)
    assert entry["message"] == "handled it" and entry["level"] == "INFO"
    assert json.loads(_line(JsonFormatter(), "outside"))["update"] == "-"


def test_tokens_are_redacted_in_json_too() -> None:
    token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ"
    line = _line(JsonFormatter(), "GET https://api.telegram.org/bot%s/getMe", token)
    assert token not in line and "bot<redacted>" in line


def test_configure_picks_the_format() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure(Settings(_env_file=None, log_format="json"))  # type: ignore[call-arg]
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure(Settings(_env_file=None))  # type: ignore[call-arg]
        assert "[update %(update)s]" in (root.handlers[0].formatter._fmt or "")  # type: ignore[union-attr]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_log_level_error_quiets_the_libraries_too() -> None:
    # The libraries' loggers were set to WARNING whatever LOG_LEVEL said: at ERROR, the
    # scheduler still wrote "skipped: maximum number of running instances" lines.
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    libraries = [logging.getLogger(name) for name in ("httpx", "apscheduler", "alembic")]
    levels = [library.level for library in libraries]
    try:
        configure(Settings(_env_file=None, log_level="ERROR"))  # type: ignore[call-arg]
        assert [library.level for library in libraries] == [logging.ERROR] * 3
        configure(Settings(_env_file=None, log_level="DEBUG"))  # type: ignore[call-arg]
        assert [library.level for library in libraries] == [logging.WARNING] * 3
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for library, was in zip(libraries, levels, strict=True):
            library.setLevel(was)


def test_library_payloads_are_hidden_and_secrets_masked() -> None:
    def line(logger: str, message: str, *args: object) -> str:
        record = logging.LogRecord(logger, logging.DEBUG, __file__, 1, message, args, None)
        for f in (HidePayloads(), RedactTokens(("123456:SECRET-token-part",)), UpdateId()):
            f.filter(record)
        return logging.Formatter("%(message)s").format(record)

    calling = line(
        "telegram.Bot",
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 5, "text": "my private question"},
    )
    assert calling == "Calling Bot API endpoint `sendMessage` with parameters `<hidden>`"
    assert line("telegram.ext.Application", "Processing update %s", object()).endswith("<hidden>")
    assert line("telegram.Bot", "Getting updates: %s", [7, 8]) == "Getting updates: [7, 8]"
    # The project's own lines keep their arguments; secrets in any line are masked.
    assert line("bot.x", "asked %s", "my private question") == "asked my private question"
    for secret, shown in [
        ("token 123456:SECRET-token-part", "token <redacted>"),
        ("https://t.me/synergy_bot?start=AbCdEfGh12345678", "?start=<redacted>"),
        ("text /start AbCdEfGh12345678_-", "/start <redacted>"),
        ("#tgWebAppData=query_id%3DAAH&tgWebAppVersion=7.0", "tgWebAppData=<redacted>&"),
        ("auth_date=1700000000&hash=" + "ab" * 32, "hash=<redacted>"),
    ]:
        assert shown in line("bot.x", "%s", secret), secret


def test_an_errors_traceback_is_masked_too() -> None:
    try:
        raise RuntimeError(
            "GET https://api.telegram.org/bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ/getMe"
        )
    except RuntimeError:
        record = logging.LogRecord("bot.x", 40, __file__, 1, "failed", (), sys.exc_info())
    RedactTokens().filter(record)
    UpdateId().filter(record)
    for formatter in (JsonFormatter(), logging.Formatter()):
        text = formatter.format(record)
        assert "ABCdefGHI" not in text and "bot<redacted>" in text


async def test_statement_parameters_are_never_written(database: Database) -> None:
    """A failed statement's error (logged at ERROR with its traceback) leaves out the values
    it was given: people's questions and names."""
    async with database.transaction() as repos:
        repos.session.add(Person(telegram_id=77, name="first"))
    with pytest.raises(DBAPIError) as failure:
        async with database.transaction() as repos:
            repos.session.add(Person(telegram_id=77, name="Is my visa question private"))
    assert "Is my visa question private" not in str(failure.value)
    assert "hidden due to hide_parameters" in str(failure.value)


async def test_a_tick_cancelled_at_stop_is_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """APScheduler's asyncio executor cancels a job still running at shutdown and logs it at
    ERROR with a traceback (the demo with a busy port printed that before its one line). A
    job that fails is still an error."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    quiet_jobs_cancelled_at_stop()
    started = asyncio.Event()

    async def tick() -> None:
        started.set()
        await asyncio.sleep(60)

    async def broken() -> None:
        raise ValueError("a real failure")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(tick)
    scheduler.add_job(broken)
    with caplog.at_level(logging.ERROR, logger="apscheduler"):
        scheduler.start()
        await asyncio.wait_for(started.wait(), 5)
        await asyncio.sleep(0.05)  # the broken job has run
        scheduler.shutdown(wait=False)  # what PTB's JobQueue.stop does; the tick is cancelled
        await asyncio.sleep(0.05)  # the cancelled future's callback logs
    errors = [r for r in caplog.records if r.name.startswith("apscheduler")]
    assert [type(r.exc_info[1]) for r in errors if r.exc_info] == [ValueError]
