"""End to end: `python -m bot` at DEBUG, as an operator runs it when something is wrong,
writes no invite token, no bot token and no one's words into its log."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.ops.admin_cli import new_invite
from bot.services.consortium_io import import_file
from db.engine import create_engine
from db.migrate import upgrade
from tests.e2e.conftest import for_the_wall_clock, process_env

pytestmark = pytest.mark.wall_clock

QUESTION = "Could my visa interview be moved to Thursday morning"


async def test_debug_logs_hold_no_tokens_and_no_words(tg: FakeTelegram, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=tg.token,
        telegram_api_base_url=tg.base_url,
        database_url=database_url,
    )
    # Zhang takes the question at once, whatever the hour and the date.
    sample = for_the_wall_clock()
    await import_file(settings, sample)
    invite = (await new_invite(settings, "nbu", "student", 1, 7)).token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=process_env(tg, database_url, LOG_LEVEL="DEBUG"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        newcomer = tg.user(4321, "Ana Lima", language_code="en")
        newcomer.send(f"/start {invite}")
        assert "Welcome" in (await newcomer.next_message(timeout=30)).text
        zhang = tg.user(1002, "Zhang Min", language_code="en")
        zhang.send("/start")
        await zhang.next_message(timeout=20)
        chen = tg.user(2001, "Chen Jie", language_code="en")
        chen.send("/start")
        await chen.next_message(timeout=20)
        chen.send(f"/ask nbu {QUESTION}?")
        assert QUESTION in (await zhang.next_message(timeout=20)).text
        await chen.next_message(timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log[-3000:]
    assert "Calling Bot API endpoint `sendMessage`" in log  # DEBUG was on
    assert invite not in log
    assert tg.token not in log and tg.token.split(":")[1] not in log
    assert QUESTION not in log and "Ana Lima" not in log
