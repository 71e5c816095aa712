"""End to end: an update Telegram delivers again after a restart takes effect once."""

from __future__ import annotations

import asyncio

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from tests.e2e.conftest import RunningBot, started


async def test_a_redelivered_update_is_handled_once(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/ask nbu Is the lab open on Saturday?")
    assert "#1" in (await chen.next_message()).text
    asked = tg.last_update_id()
    await zhang.next_message()
    await bot.stop()
    tg.redeliver(asked)  # the bot "crashed" before confirming the /ask
    await bot.start()
    await tg.idle()
    await asyncio.sleep(0.5)
    assert tg.unread(1002) == [] and tg.unread(2001) == []  # no second question, no reply
    async with database.transaction() as repos:
        assert await repos.requests.get(2) is None  # one request only
