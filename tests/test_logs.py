"""Log lines: the update being handled, JSON when asked for, and no token."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.config import Settings
from bot.logs import JsonFormatter, RedactTokens, UpdateId, configure, current_update


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
