"""`python -m bot` killed with SIGKILL, then started again: in the middle of a report draft
(the draft and the conversation's step survive, nothing is answered twice) and in the middle
of a check-in's fan-out (every group gets its agenda and its poll; only the sends whose answer
Telegram had not returned when the bot died can arrive twice, and each poll's votes count)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from bot.services.consortium_io import import_file
from db.engine import Database
from db.models import Chat
from tests.e2e.conftest import MAIN_GROUP, for_the_wall_clock, process_env

pytestmark = pytest.mark.wall_clock


async def _bot(tg: FakeTelegram, database_url: str, cwd: Path) -> asyncio.subprocess.Process:
    env = process_env(tg, database_url, SCHEDULER_TICK_SECONDS="1")
    calls = tg.count_calls("getUpdates")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await tg.wait_for(lambda: tg.count_calls("getUpdates") > calls, timeout=30)
    return process


async def _with_the_sample(database_url: str) -> str:
    """The database, with the consortium of examples/consortium.yaml imported."""
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    # Chen's placement runs, whatever the date.
    sample = for_the_wall_clock()
    await import_file(settings, sample)
    return database_url


async def _reply(user: FakeUser, text: str) -> SentMessage:
    user.send(text)
    return await user.next_message(timeout=20)


async def test_sigkill_in_the_middle_of_a_draft(
    tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    database_url = await _with_the_sample(db_url)
    process = await _bot(tg, database_url, tmp_path)
    try:
        chen = tg.user(2001, "Chen Jie", language_code="en")
        await _reply(chen, "/start")
        first = await _reply(chen, "/report")
        if "(last week)" in str(first.buttons):  # the real calendar may leave last week open
            first = await chen.press_and_read(first, first.buttons[-1][0], timeout=20)
        assert "1/7" in first.text
        assert "2/7" in (await _reply(chen, "Built a weather station with the pupils.")).text
        assert "3/7" in (await _reply(chen, "38")).text
    finally:
        process.kill()  # SIGKILL: no clean-up at all
        await process.wait()
    sent_before = len(tg.messages(2001))

    process = await _bot(tg, database_url, tmp_path)
    try:
        rules = await _reply(chen, "A colleague explained the school's photo consent form.")
        assert "4/7" in rules.text  # the conversation went on where it was
        await asyncio.sleep(1.0)
        assert len(tg.messages(2001)) == sent_before + 1  # nothing answered twice
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    database = Database.from_url(database_url)
    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        (draft,) = await repos.reports.of_student(student.id)
        assert draft.activities == "Built a weather station with the pupils."
        assert draft.hours == 38.0 and draft.episode is not None
    await database.dispose()


SENDS = ("sendMessage", "sendPoll")


async def _stalled(tg: FakeTelegram) -> None:
    """Until the bot has sent nothing new for a second (every send waits for its answer)."""
    sends = -1
    for _ in range(60):
        if sends == (sends := sum(tg.count_calls(m) for m in SENDS)):
            return
        await asyncio.sleep(1.0)
    raise AssertionError("the bot kept sending for a minute")


async def test_sigkill_in_the_middle_of_a_checkin_fan_out(
    tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    database_url = await _with_the_sample(db_url)
    database = Database.from_url(database_url)
    groups = [MAIN_GROUP]
    async with database.transaction() as repos:
        for i in range(24):
            groups.append(-1002000000000 - i)
            await repos.chats.add(
                Chat(telegram_id=groups[-1], title=f"Site {i}", type="supergroup", linked=True)
            )
    for chat_id in groups:
        tg.group(chat_id, "group").chat.bot_member = True  # the bot is in every group
    process = await _bot(tg, database_url, tmp_path)
    try:
        li = tg.user(1001, "Li Wei", language_code="zh")
        await _reply(li, "/start")
        await _reply(li, "/checkin")
        await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 5, timeout=30)
        # From now on Telegram takes each send (the group sees it) but its answer never
        # reaches the bot: the bot dies with those sends unconfirmed.
        held_from = len(tg.calls)
        holds = [tg.slow_answer(method, 3600, times=10_000) for method in SENDS]
        await _stalled(tg)
    finally:
        process.kill()  # SIGKILL: no clean-up at all
        await process.wait()
    held = {(m, int(p["chat_id"])) for m, p in tg.calls[held_from:] if m in SENDS}
    assert held and tg.count_calls("sendPoll") < len(groups)  # killed mid-way
    for hold in holds:
        hold.times = 0

    process = await _bot(tg, database_url, tmp_path)
    try:
        for _ in range(300):
            async with database.transaction() as repos:
                current = await repos.checkins.open_one()
                assert current is not None
                polls = {p.chat_id: p for p in await repos.checkins.polls(current.id)}
                if (
                    len(polls) == len(groups)
                    and all(p.message_id for p in polls.values())
                    and await repos.outbox.pending_count() == 0
                ):
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the fan-out did not finish after the restart")
        for chat_id in groups:
            kinds = ["poll" if m.poll else "text" for m in tg.messages(chat_id)]
            agendas = 1 + (("sendMessage", chat_id) in held)
            expected = ["text"] * agendas + ["poll"] * (1 + (("sendPoll", chat_id) in held))
            assert kinds == expected, (chat_id, kinds, expected)
            assert polls[chat_id].message_id == tg.messages(chat_id)[-1].message_id
        # The poll the bot recorded is the one that counts: a vote on it is in the summary.
        zhang = tg.user(1002, "Zhang Min")
        zhang.vote(tg.messages(MAIN_GROUP)[-1], [0])
        await asyncio.sleep(0.5)
        before = {chat_id: len(tg.messages(chat_id)) for chat_id in groups}
        await _reply(li, "/checkin close")
        await tg.wait_for(  # a summary in every group
            lambda: all(len(tg.messages(c)) == before[c] + 1 for c in groups), timeout=60
        )
        summary = tg.messages(MAIN_GROUP)[-1].text
        assert "1/4" in summary and "Zhang Min" in summary, summary
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await database.dispose()
    assert process.returncode == 0, stderr.decode()
