"""`python -m bot` as an operator runs it: migrates, polls, answers, stops on a signal."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from db.engine import create_engine
from db.migrate import current_revision, head_revision
from tests.e2e.conftest import process_env

pytestmark = pytest.mark.wall_clock


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_migrates_polls_answers_and_stops_cleanly(
    tg: FakeTelegram, tmp_path: Path, signum: signal.Signals
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = process_env(tg, database_url, LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await tg.wait_for(lambda: tg.count_calls("getUpdates") > 0, timeout=30)
        allowed = next(p for m, p in tg.calls if m == "getUpdates")["allowed_updates"]
        assert {"message", "callback_query", "poll", "poll_answer", "my_chat_member"} <= set(
            allowed
        )
        stranger = tg.user(4321, "Visitor", language_code="en")
        stranger.send("/start")
        assert "invite" in (await stranger.next_message(timeout=20)).text
    finally:
        process.send_signal(signum)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert tg.token not in log and tg.token.split(":")[1] not in log
    engine = create_engine(database_url)
    assert await current_revision(engine) == head_revision()
    await engine.dispose()
