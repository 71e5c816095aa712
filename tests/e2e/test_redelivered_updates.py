"""End to end: an update Telegram delivers again after a restart takes effect once."""

from __future__ import annotations

import asyncio

import pytest

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from tests.e2e.conftest import MAIN_GROUP, RunningBot, outbox_settled, started, until


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


async def test_unreadable_and_unknown_updates_are_passed_over(
    tg: FakeTelegram, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """An update python-telegram-bot cannot read (no date; a chat that is not an object) is
    logged and skipped, and polling goes on: without that, one such update stops the bot
    for good. A message of a kind the bot does not know gets the usual answer."""
    zhang = await started(tg, 1002, "Zhang Min")
    calls = tg.count_calls("getUpdates")
    no_date = tg.push_update("message", {"message_id": 5, "text": "no chat, no date"})
    tg.push_update("message", {"message_id": 6, "date": 1, "chat": "not an object"})
    tg.push_update("edited_message", {"message_id": 7, "date": 1, "chat": {"id": 1002}})
    zhang.send("/whoami")
    assert "Zhang Min" in (await zhang.next_message()).text
    assert tg.count_calls("getUpdates") - calls < 20  # no loop over the same batch
    assert f"update {no_date} could not be read (KeyError" in caplog.text
    assert "no chat, no date" not in caplog.text  # bodies only at DEBUG
    zhang.post({"future_content": {"id": 1}})  # a kind of message newer than the bot
    assert (await zhang.next_message()).text
    zhang.send("/whoami")
    assert "Zhang Min" in (await zhang.next_message()).text


async def test_a_vote_and_a_greeting_sent_again_take_effect_once(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    """A poll answer Telegram sends again after the person changed their vote does not bring
    the old choice back; the bot's addition to a group sent again greets it once."""
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    group = tg.group(MAIN_GROUP, "Alliance main group")
    group.add_bot(by=li)
    await group.next_message()
    added = tg.last_update_id()
    li.send("/checkin")
    await li.next_message()
    await group.next_message()  # the agenda
    poll = await group.next_message()
    await until(database, outbox_settled, "the poll's id recorded")  # votes not kept early
    zhang.vote(poll, [2])  # Blocked
    first_vote = tg.last_update_id()
    zhang.vote(poll, [0])  # changed: On track
    await tg.idle()
    await asyncio.sleep(0.3)
    tg.redeliver(first_vote)
    tg.redeliver(added)
    await tg.idle()
    await asyncio.sleep(0.5)
    assert tg.unread(MAIN_GROUP) == []  # not greeted twice
    li.send("/checkin close")
    await li.next_message()
    summary = await group.next_message()
    assert "On track: 1" in summary.text and "Blocked: 0" in summary.text, summary.text
