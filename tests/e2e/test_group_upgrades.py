"""End to end: groups upgraded to supergroups (200 members, topics, a public link) get what
was meant for them at their new id, once; the outbox is never left half drained."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.fake_telegram import FakeGroup, FakeTelegram
from db.engine import Database
from db.models import Chat, Outbox, OutboxState
from db.repositories import Repos
from tests.e2e.conftest import MAIN_GROUP, RunningBot, outbox_settled, started, until


async def _basic_groups(tg: FakeTelegram, database: Database, count: int) -> list[FakeGroup]:
    groups = []
    async with database.transaction() as repos:
        for i in range(count):
            group = tg.group(-4000 - i, f"Site group {i}", kind="group")
            group.chat.bot_member = True  # the bot is in every group already
            groups.append(group)
            chat = Chat(telegram_id=group.id, title=group.chat.title, type="group")
            chat.linked, chat.active = True, True
            await repos.chats.add(chat)
    return groups


@pytest.mark.rate_margin(0.5)
async def test_a_check_in_reaches_upgraded_groups_once(
    tg: FakeTelegram, database: Database, bot: RunningBot
) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    groups = await _basic_groups(tg, database, 42)
    await bot.stop()
    upgraded = {g.id: g.upgrade(by=li) for g in groups[::4]}  # 11 of the 42
    tg.drop_pending_updates()  # restarted dropping updates: it never saw the upgrades
    await bot.start()

    li.send("/checkin")
    await li.next_message()
    await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 42, timeout=120)
    await until(database, outbox_settled, "every message recorded", seconds=60)
    for group in groups:
        where = upgraded.get(group.id, group)
        kinds = ["poll" if m.poll else "text" for m in tg.messages(where.id)]
        assert kinds == ["text", "poll"], (group.id, where.id, kinds)
        if group.id in upgraded:
            assert tg.messages(group.id) == []  # nothing arrived in the old group
    assert sum(1 for m in tg.sent if m.poll) == 42
    async with database.transaction() as repos:
        chats = {c.telegram_id for c in await repos.chats.all()}
        failed = await repos.session.scalars(
            select(Outbox.chat_id).where(Outbox.state == OutboxState.FAILED)
        )
        assert set(failed.all()) <= {MAIN_GROUP}  # the bot was never added to the main group
    assert {g.id for g in upgraded.values()} <= chats and not chats & set(upgraded)


async def test_an_answer_follows_its_group_to_the_supergroup(
    tg: FakeTelegram, database: Database, bot: RunningBot
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = tg.group(-4100, "Bangkok site", kind="group")
    group.add_bot(by=chen)
    await group.next_message()
    async with database.transaction() as repos:
        chat = await repos.chats.by_telegram_id(group.id)
        assert chat is not None
        chat.linked = True
    chen.send("/ask nbu When is the mid-term report due?", chat=group)
    assert "on call" in (await group.next_message()).text
    delivery = await zhang.next_message()

    supergroup = group.upgrade(by=chen)  # after the question, before the answer
    zhang.send("Friday 17:00, Bangkok time.", reply_to=delivery)
    assert "on its way" in (await zhang.next_message()).text
    answer = await supergroup.next_message()
    assert "Friday 17:00, Bangkok time." in answer.text
    assert answer.reply_to is None  # the question stayed in the old group
    assert len(tg.messages(group.id)) == 2  # the greeting and "on call": nothing after

    async def moved(repos: Repos) -> bool:
        return await repos.chats.by_telegram_id(supergroup.id) is not None

    await until(database, moved, "the group's record moved to the supergroup")
    await until(database, outbox_settled, "every message recorded")


async def test_an_open_check_in_follows_a_group_upgraded_after_its_poll(
    tg: FakeTelegram, database: Database, bot: RunningBot
) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    (group,) = await _basic_groups(tg, database, 1)
    li.send("/checkin")
    await li.next_message()
    await group.next_message()  # the agenda
    old_poll = await group.next_message()
    zhang.vote(old_poll, [1])  # before the upgrade: it still counts

    supergroup = group.upgrade(by=li)
    agenda = await supergroup.next_message()
    assert "Monthly check-in #1" in agenda.text
    poll = await supergroup.next_message()
    assert poll.poll is not None and poll.poll["id"] != old_poll.poll["id"]
    await tg.idle()
    li.send("/checkin close")
    await li.next_message()
    summary = await supergroup.next_message()
    assert "Minor issues: 1" in summary.text  # the vote in the old group counted
    await until(database, outbox_settled, "every message recorded")
    assert len(tg.messages(group.id)) == 2  # agenda and poll, nothing after the upgrade
