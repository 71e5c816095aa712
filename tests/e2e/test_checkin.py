"""End to end: the monthly check-in, opened by hand or on schedule, voted, reminded, closed
with a summary, across a restart, and fanned out to 200 groups under Telegram's limits."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from db.models import Chat
from db.repositories import Repos
from tests.e2e.conftest import RunningBot, main_group, outbox_settled, started, until


async def test_manual_opening_votes_and_closing(tg: FakeTelegram, database: Database) -> None:
    li = await started(tg, 1001, "Li Wei")  # a coordinator; reads Chinese (consortium file)
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, li)

    chen.send("/checkin")
    assert "coordinator" in (await chen.next_message()).text
    li.send("/checkin")
    assert "#1" in (await li.next_message()).text
    agenda = await group.next_message()
    assert "Monthly check-in #1" in agenda.text and "/action" in agenda.text
    poll = await group.next_message()
    assert poll.poll is not None and poll.poll["is_anonymous"] is False
    assert [o["text"] for o in poll.poll["options"]] == [
        "On track",
        "Minor issues",
        "Blocked",
        "Need a meeting",
    ]
    li.send("/checkin")
    assert "已经开启" in (await li.next_message()).text  # Li Wei reads Chinese
    await asyncio.sleep(0.2)
    assert len(tg.messages(group.id)) == 3  # greeting, agenda, poll: nothing posted twice

    zhang.vote(poll, [1])
    zhang.vote(poll, [0])  # changed
    chen.vote(poll, [2])
    chen.vote(poll, [])  # withdrawn
    tg.user(9999, "Visitor").vote(poll, [3])  # outside the consortium
    zhang.send("/action Send the insurance forms to the site", chat=group)
    assert "#1" in (await group.next_message()).text
    await tg.idle()
    li.send("/checkin close")
    await li.next_message()
    summary = await group.next_message()
    assert tg.count_calls("stopPoll") == 1
    assert "1/4 parties answered" in summary.text
    assert "On track: 1" in summary.text and "Need a meeting: 0" in summary.text
    assert "Ningbo University: Zhang Min" in summary.text
    assert "GlobalEd Tech Ltd: no answer" in summary.text
    assert "1 vote from outside the consortium" in summary.text
    assert "insurance forms" in summary.text

    chen.send("/checkins")
    assert "#1" in (history := (await chen.next_message()).text) and "1/4" in history
    li.send("/checkins export")
    export = await li.next_message()
    rows = tg.files[export.raw["document"]["file_id"]][1].decode("utf-8-sig").splitlines()
    assert rows[0].startswith("checkin,opened_at,closed_at,party,answered")
    assert any(",nbu,True,Zhang Min," in row for row in rows)


async def test_scheduled_opening_reminders_and_automatic_closing(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    li = await started(tg, 1001, "Li Wei")
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    li.send("/checkin schedule first tue 10:00 72h")
    assert "2026年11月3日 10:00" in (await li.next_message()).text  # Li Wei reads Chinese
    zhang.send("/checkin next")
    assert "Nov 3, 2026, 10:00 (China Time)" in (await zhang.next_message()).text

    bot.clock.set(dt.datetime(2026, 11, 3, 1, 59, tzinfo=dt.UTC))  # 09:59 in Shanghai
    await asyncio.sleep(0.3)
    assert len(tg.messages(group.id)) == 1
    bot.clock.set(dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC))  # 10:00
    assert "Monthly check-in #1" in (await group.next_message()).text
    await group.next_message()  # the poll

    bot.clock.advance(dt.timedelta(hours=48, minutes=1))  # 24h before closing: reminders
    reminder = await group.next_message()
    assert "Not answered yet" in reminder.text and "Ningbo University" in reminder.text
    private = await zhang.next_message()
    assert "No one from Ningbo University has answered" in private.text

    bot.clock.advance(dt.timedelta(hours=24))
    summary = await group.next_message()
    assert "0/4 parties answered" in summary.text
    assert tg.count_calls("stopPoll") == 1
    bot.clock.advance(dt.timedelta(days=3))
    await asyncio.sleep(0.3)
    assert len(tg.messages(group.id)) == 5  # greeting, agenda, poll, reminder, summary


async def test_two_in_a_row_warning_and_carried_action_items(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    for round_number in (1, 2):
        li.send("/checkin")
        await li.next_message()
        agenda = await group.next_message()
        poll = await group.next_message()
        if round_number == 1:
            zhang.send("/action Book the video room", chat=group)
            assert "#1" in (await group.next_message()).text
        else:
            assert "Book the video room" in agenda.text  # carried over until done
        zhang.vote(poll, [0])
        await tg.idle()
        li.send("/checkin close")
        await li.next_message()
        await group.next_message()  # summary
    warning = await li.next_message()
    assert "连续两次未回答例会（#2" in warning.text  # Li Wei reads Chinese
    assert "GlobalEd Tech Ltd" in warning.text and "Ningbo University" not in warning.text
    zhang.send("/done 1")
    assert "is done" in (await zhang.next_message()).text
    li.send("/checkin")
    await li.next_message()
    assert "Book the video room" not in (await group.next_message()).text


async def test_a_vote_before_the_bot_has_recorded_its_poll(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    """Telegram's answer to sendPoll is slow: people see the poll and vote before the bot
    knows the poll's id. The vote is kept and counted once the id is recorded."""
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    tg.slow_answer("sendPoll", 1.0)
    li.send("/checkin")
    await li.next_message()
    await group.next_message()
    zhang.vote(await group.next_message(), [0])

    async def poll_recorded(repos: Repos) -> bool:
        checkin = await repos.checkins.open_one()
        assert checkin is not None
        return all(p.poll_id for p in await repos.checkins.polls(checkin.id))

    await until(database, poll_recorded, "recording the poll's id")  # a second from now
    li.send("/checkin close")
    await li.next_message()
    assert "1/4 parties answered" in (await group.next_message()).text


async def test_a_restart_while_a_checkin_is_open(tg: FakeTelegram, bot: RunningBot) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    li.send("/checkin")
    await li.next_message()
    await group.next_message()
    poll = await group.next_message()
    await bot.stop()
    zhang.vote(poll, [0])  # Telegram keeps the vote for when the bot is back
    bot.clock.advance(dt.timedelta(hours=73))  # it should have closed while the bot was down
    await bot.start()
    summary = await group.next_message()
    assert "1/4 parties answered" in summary.text
    await asyncio.sleep(0.3)
    assert tg.count_calls("sendPoll") == 1 and tg.count_calls("stopPoll") == 1
    assert len(tg.messages(group.id)) == 4


async def test_a_vote_waiting_at_telegram_counts_before_the_overdue_close(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    """The vote cast while the bot was down, before the close time, is handled before the
    scheduler closes the overdue check-in, however late Telegram hands it over: here the
    first getUpdates answers a second late, while the scheduler ticks every 50 ms."""
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    li.send("/checkin")
    await li.next_message()
    await group.next_message()
    poll = await group.next_message()
    await bot.stop()
    zhang.vote(poll, [0])
    bot.clock.advance(dt.timedelta(hours=73))
    tg.slow_answer("getUpdates", 1.0)
    await bot.start()
    summary = await group.next_message()
    assert "1/4 parties answered" in summary.text and "Zhang Min" in summary.text, summary.text


# In the full suite the in-process fake sometimes notes a burst of arrivals late (a pause of
# the shared event loop), and counted 31 in one second once in a run; half a second of margin
# keeps this test about behaviour. The benchmark, with the fake in its own process as Telegram
# is, meets zero 429s at the default 20 ms.
@pytest.mark.rate_margin(0.5)
async def test_fan_out_to_200_groups_within_telegrams_limits(
    tg: FakeTelegram, database: Database
) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    groups = []
    async with database.transaction() as repos:
        for i in range(200):
            group = tg.group(-1002000000000 - i, f"Site group {i}")
            group.chat.bot_member = True  # the bot is in every group already
            groups.append(group)
            await repos.chats.add(
                Chat(
                    telegram_id=group.id,
                    title=f"Site group {i}",
                    type="supergroup",
                    linked=True,
                    active=True,
                )
            )
    gone = groups[7]
    gone.chat.bot_member, gone.chat.bot_kicked = False, True  # removed while the bot was away
    li.send("/checkin")
    # 200 site groups and the consortium file's main group, which the bot was never added to.
    assert "201 个群" in (await li.next_message()).text  # Li Wei reads Chinese
    await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 199, timeout=120)
    lost = {(await li.next_message(timeout=60)).text for _ in range(2)}
    assert any("Site group 7" in text and "停用" in text for text in lost)  # "inactive"
    assert any("Alliance main group" in text for text in lost)
    for group in groups:
        if group is gone:
            continue
        kinds = ["poll" if m.poll else "text" for m in tg.messages(group.id)]
        assert kinds == ["text", "poll"], (group.id, kinds)
    failed = [e for e in tg.errors if e[1] == 429]
    # the last sends are recorded just after the fake answers them
    await until(database, outbox_settled, "recording every message sent")
    async with database.transaction() as repos:
        chat = await repos.chats.by_telegram_id(gone.id)
        assert chat is not None and not chat.active
    assert failed == [], failed  # the rate limiter kept under every limit: not a single 429


pytestmark = pytest.mark.usefixtures("bot")
