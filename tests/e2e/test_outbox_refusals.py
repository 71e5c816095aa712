"""End to end: what Telegram refuses (400) is recorded, and the person whose words it
carried is told; nobody is told "on its way" about a message that never arrived unnoticed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from db.models import Outbox, OutboxState
from db.repositories import Repos
from tests.e2e.conftest import RunningBot, main_group, outbox_settled, started, until

pytestmark = pytest.mark.usefixtures("bot")


async def test_a_refused_answer_is_told_to_the_contact(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    chen.send("/ask nbu When is the mid-term report due?", chat=group)
    routed = await group.next_message()
    delivery = await zhang.next_message()
    request_id = int(routed.plain.split("#")[1].split()[0])

    tg.fail(
        "sendMessage", status=400, description="Bad Request: message is too long", chat_id=group.id
    )
    zhang.send("Friday 17:00, Bangkok time.", reply_to=delivery)
    assert "on its way" in (await zhang.next_message()).text
    told = await zhang.next_message()
    assert f"#{request_id}" in told.text and "did not reach" in told.text
    assert "message is too long" in told.text.lower()
    await until(database, outbox_settled, "every message recorded")
    assert tg.unread(group.id) == []  # nothing was posted in the group

    zhang.send(f"/history {request_id}")
    history = await zhang.next_message()
    assert "refused by Telegram" in history.text


async def test_a_chats_messages_stay_in_order_through_failures(
    tg: FakeTelegram, database: Database, bot: RunningBot
) -> None:
    """A message put off (5xx) or paused (429) still comes before the chat's next ones: a
    check-in's agenda before its poll."""
    li = await started(tg, 1001, "Li Wei", "en")
    group = await main_group(tg, li)
    tg.fail("sendMessage", status=502, chat_id=group.id)  # the agenda, once
    li.send("/checkin")
    await li.next_message()
    await until(database, _put_off, "the agenda put off")
    bot.clock.advance(dt.timedelta(seconds=5))  # past its back-off
    await until(database, outbox_settled, "every message recorded")
    assert ["poll" if m.poll else "text" for m in tg.unread(group.id)] == ["text", "poll"]

    li.send("/checkin close")
    await li.next_message()
    await until(database, outbox_settled, "the summary recorded")
    tg.fail("sendMessage", status=429, chat_id=group.id, retry_after=1)
    li.send("/checkin")  # a second one: agenda (paused by the 429), then its poll
    await li.next_message()
    await until(database, outbox_settled, "every message recorded", seconds=10)
    kinds = ["poll" if m.poll else "text" for m in tg.messages(group.id)]
    assert kinds[-2:] == ["text", "poll"], kinds


async def _put_off(repos: Repos) -> bool:
    rows = await repos.session.scalars(select(Outbox).where(Outbox.error.is_not(None)))
    return any(row.state is OutboxState.PENDING for row in rows)


async def test_a_long_question_to_a_contact_who_cannot_be_reached_is_told_once(
    tg: FakeTelegram, database: Database
) -> None:
    """A question long enough to be written as several rows, to a contact who never pressed
    Start: the coordinators hear of it once, and it moves on once."""
    li = await started(tg, 1001, "Li Wei", "en")
    chen = await started(tg, 2001, "Chen Jie")
    tg.user(1002, "Zhang Min")  # on call, but never pressed Start
    chen.send("/ask nbu " + "R&D " * 700)  # 2,800 characters, over 4,096 once escaped
    await chen.next_message()
    alert = await li.next_message()
    assert "Zhang Min" in alert.text
    await until(database, outbox_settled, "every message recorded")
    async with database.transaction() as repos:
        events = await repos.requests.events(1)
        pieces = await repos.session.scalars(
            select(Outbox).where(Outbox.chat_id == 1002, Outbox.purpose == "liaison.deliver")
        )
        assert len(pieces.all()) >= 2  # the question went as several rows
    assert [e.kind for e in events].count("delivery_failed") == 1
    assert [m for m in tg.unread(li.id) if "Zhang Min" in m.text] == []  # told once
