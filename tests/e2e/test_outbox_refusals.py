"""End to end: what Telegram refuses (400) is recorded, and the person whose words it
carried is told; nobody is told "on its way" about a message that never arrived unnoticed."""

from __future__ import annotations

import pytest

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from tests.e2e.conftest import main_group, outbox_settled, started, until

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
