"""End-to-end fixtures and helpers: the sample consortium imported, the real bot running,
and `python -m bot` run as a process."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import ManualClock
from bot.config import Settings, opt_in_library_defaults
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from bot.runner import serve
from bot.services.consortium_io import import_file, import_scores_file
from db.engine import Database
from db.repositories import Repos
from tests.conftest import SAMPLE_FILE

if TYPE_CHECKING:
    from tests.e2e.miniapp import MiniApp


@pytest.fixture
async def api(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """A PTB `Bot` talking to the fake over PTB's own HTTPXRequest (the fake's own tests: they
    test the fake, not the bot's client)."""
    opt_in_library_defaults()
    bot = Bot(
        tg.token,
        base_url=f"{tg.base_url}/bot",
        base_file_url=f"{tg.base_url}/file/bot",
        request=HTTPXRequest(read_timeout=1.0),
    )
    async with bot:
        yield bot


@pytest.fixture
async def sample_consortium(settings: Settings, clock: ManualClock) -> None:
    """The consortium of examples/consortium.yaml, imported."""
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=clock.now())


class RunningBot:
    """The real bot, polling the fake Telegram over HTTP through `bot.runner.serve`."""

    def __init__(self, settings: Settings, clock: ManualClock) -> None:
        self.settings = settings
        self.clock = clock
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        ready = asyncio.Event()
        self._task = asyncio.create_task(
            serve(self.settings, self._stop, clock=self.clock, ready=ready, poll_timeout=1)
        )
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=20, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            waiter.cancel()
            self._task.result()  # raises what stopped the bot
        assert waiter in done, "the bot did not start polling within 20 s"

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await asyncio.wait_for(self._task, 20)
            self._task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> RunningBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@pytest.fixture
async def bot(
    settings: Settings, clock: ManualClock, sample_consortium: None
) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    await running.stop()


ROOT = Path(__file__).resolve().parents[2]


NBU_ZONE = ZoneInfo("Asia/Shanghai")  # the sample's nbu
SAMPLE_PLACEMENT = "start: 2026-09-01, end: 2027-01-31"  # Chen's, in the sample


def for_the_wall_clock(*, rotation: tuple[int, ...] = (1002,), people: str = "") -> str:
    """The sample consortium file for a bot run as a process, with `people` (more lines of
    its people) and an on-call rotation for nbu.

    Such a bot keeps the wall clock, not the test's ManualClock. So now Chen's placement
    runs (from 14 weeks before to 8 weeks after), and the first of `rotation` is on call by
    an override from a day before to a day after, with quiet hours twelve hours away: the
    test means the same at any hour on any date (CI runs these tests at a fixed night too)."""
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    assert SAMPLE_PLACEMENT in text, "the sample's placement changed: update SAMPLE_PLACEMENT"
    local = dt.datetime.now(NBU_ZONE).replace(tzinfo=None, second=0, microsecond=0)
    day, quiet, today = dt.timedelta(days=1), local + dt.timedelta(hours=12), local.date()
    placement = f"start: {today - dt.timedelta(weeks=14)}, end: {today + dt.timedelta(weeks=8)}"
    text = text.replace(SAMPLE_PLACEMENT, placement).replace("chats:\n", people + "chats:\n", 1)
    return text + (
        f"oncall:\n"
        f"  nbu: {{rotation: {list(rotation)}, handoff: 'mon 09:00', starts_on: 2026-11-02,\n"
        f"        quiet: '{quiet:%H:%M}-{quiet + dt.timedelta(hours=1):%H:%M}',\n"
        f"        overrides: [{{person: {rotation[0]}, start: '{local - day:%Y-%m-%d %H:%M}',\n"
        f"                     end: '{local + day:%Y-%m-%d %H:%M}'}}]}}\n"
    )


def process_env(tg: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of `python -m bot` run as a process against the fake Telegram (no
    TELEGRAM_ or DATABASE_ settings leak in from the test's own environment)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "DATABASE_URL": database_url,
        **extra,
    }


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bot` with these arguments, run as the operator runs it, its output
    captured (no TELEGRAM_ or DATABASE_ settings leak in from the test's own environment)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


MAIN_GROUP = -1001234567890  # the consortium file's main group


async def started(tg: FakeTelegram, user_id: int, name: str, language: str = "en") -> FakeUser:
    """A person who opened a private chat with the bot and pressed Start."""
    person = tg.user(user_id, name, language_code=language)
    person.send("/start")
    await person.next_message()
    return person


async def main_group(tg: FakeTelegram, by: FakeUser) -> FakeGroup:
    """The consortium file's group, with the bot added (its greeting read)."""
    group = tg.group(MAIN_GROUP, "Alliance main group")
    group.add_bot(by=by)
    await group.next_message()
    return group


async def message_with(tg: FakeTelegram, chat_id: int, text: str) -> SentMessage:
    """The bot's message to this chat that contains `text` (other messages, e.g. report
    reminders, may come before or after it)."""

    def found() -> SentMessage | None:
        return next((m for m in tg.messages(chat_id) if text in m.text), None)

    message: SentMessage = await tg.wait_for(found)
    return message


async def until(
    database: Database,
    holds: Callable[[Repos], Awaitable[bool]],
    what: str,
    *,
    seconds: float = 5.0,
) -> None:
    """Wait until `holds` is true of what the bot has committed (each look in a transaction
    of its own; a busy machine takes a moment); fail saying `what` did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        async with database.transaction() as repos:
            if await holds(repos):
                return
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(0.02)


async def outbox_settled(repos: Repos) -> bool:
    """Every outbox row recorded as sent or given up."""
    return await repos.outbox.pending_count() == 0


@pytest.fixture
async def app(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> AsyncIterator[MiniApp]:
    """The bot with its Mini App on a free port, Chen Jie's four weeks of scores imported."""
    from tests.e2e.miniapp import MiniApp, with_web
    from tests.e2e.test_analytics import history

    web_settings = with_web(settings, webapp_requests_per_minute=1000)
    await import_scores_file(web_settings, history())
    running = RunningBot(web_settings, clock)
    await running.start()
    miniapp = MiniApp(running, web_settings, clock)
    try:
        yield miniapp
    finally:
        await miniapp.client.aclose()
        await running.stop()
