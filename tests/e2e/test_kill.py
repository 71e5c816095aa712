"""`python -m bot` killed with SIGKILL in the middle of a report draft, then started again:
the draft and the conversation's step survive, and nothing is answered twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from bot.services.consortium_io import import_file
from db.engine import Database
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import process_env


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


async def _reply(user: FakeUser, text: str) -> SentMessage:
    user.send(text)
    return await user.next_message(timeout=20)


async def test_sigkill_in_the_middle_of_a_draft(tg: FakeTelegram, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'kill.sqlite3'}"
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"))
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
