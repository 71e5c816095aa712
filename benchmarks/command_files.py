"""How many of the project's files a newcomer opens to follow a command: `/checkin`, `/ask`
and `/report`, from the update to the message Telegram receives.

Measured, not counted by hand: the real bot runs against the fake Telegram (the sample
consortium, SQLite), and while one command is handled (from the person's message until the
message it causes has arrived) a profiler notes every function of the project that runs.
Files every update passes whatever the command (the runtime wiring: `bot/app.py`,
`bot/runner.py`, the Bot API edge's request, rate limiter and update processor, settings,
translations, the clock, the database engine) are listed apart: a reader meets them once, not
per feature. Usage: `python -m benchmarks.command_files` (prints the files in the order they
were first entered). Target (issue 25): at most 7 files per command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("bot", "handlers", "jobs", "db")
# Every update passes these, whatever its command: the runtime wiring and the Bot API edge.
SHARED = (
    "bot/app.py",
    "bot/runner.py",
    "bot/config.py",
    "bot/context.py",
    "bot/clock.py",
    "bot/lazy.py",
    "bot/logs.py",
    "bot/i18n/",
    "bot/request.py",
    "bot/ratelimit.py",
    "bot/updates.py",
    "bot/metrics.py",
    "bot/telegram/request.py",
    "bot/telegram/ratelimit.py",
    "bot/telegram/updates.py",
    "bot/ops/metrics.py",
    "db/engine.py",
    "db/sqlite.py",
    "bot/fake_telegram/",
)


class Trace:
    """The project's files entered while on, in the order first entered."""

    def __init__(self) -> None:
        self.files: dict[str, None] = {}
        self.on = False

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        # A constructor or other dunder is not a reason to open a file (`Repos` builds every
        # repository for every update); comprehensions count with their function.
        name = frame.f_code.co_name
        if not self.on or event != "call" or name.startswith(("__", "<")):
            return
        path = Path(frame.f_code.co_filename)
        try:
            relative = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return
        if relative.split("/", 1)[0] in LAYERS:
            self.files.setdefault(relative, None)


async def _traced(
    trace: Trace, act: Callable[[], object], arrived: Callable[[], Awaitable[object]]
) -> list[str]:
    trace.files.clear()
    trace.on = True
    act()
    await arrived()
    trace.on = False
    return list(trace.files)


async def measure() -> dict[str, list[str]]:
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.fake_telegram import FakeTelegram
    from bot.runner import serve
    from bot.services.consortium_io import import_file

    sample = (ROOT / "examples" / "consortium.yaml").read_text(encoding="utf-8")
    clock = ManualClock(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    trace = Trace()
    found: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegram() as tg:
            settings = Settings(
                telegram_bot_token=tg.token,
                telegram_api_base_url=tg.base_url,
                database_url=f"sqlite+aiosqlite:///{folder}/bot.sqlite3",
                scheduler_tick_seconds=300,
            )
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(
                serve(settings, stop, clock=clock, ready=ready, poll_timeout=1)
            )
            await asyncio.wait_for(ready.wait(), 30)
            await import_file(settings, sample, now=clock.now())
            people = {}
            for user_id, name in ((1001, "Li Wei"), (1002, "Zhang Min"), (2001, "Chen Jie")):
                people[user_id] = tg.user(user_id, name, language_code="en")
                people[user_id].send("/start")
                await people[user_id].next_message()
            group = tg.group(-1001234567890, "Alliance main group")
            group.add_bot(by=people[1001])
            await group.next_message()
            sys.setprofile(trace.profile)
            try:
                li, zhang, chen = people[1001], people[1002], people[2001]  # chen: a student
                found["/checkin"] = await _traced(
                    trace, lambda: li.send("/checkin"), lambda: _poll_in(tg, group.id)
                )
                await li.next_message()
                await _settled(tg)
                found["/ask"] = await _traced(
                    trace,
                    lambda: chen.send("/ask nbu When is the report due?", chat=group),
                    zhang.next_message,
                )
                await _settled(tg)
                found["/report"] = await _traced(
                    trace, lambda: chen.send("/report"), chen.next_message
                )
            finally:
                sys.setprofile(None)
            stop.set()
            await task
    return found


async def _settled(tg: Any) -> None:
    """Nothing still on its way: the previous command's sends are all answered."""
    await tg.idle()
    await asyncio.sleep(0.5)


async def _poll_in(tg: Any, chat_id: int) -> object:
    return await tg.wait_for(lambda: any(m.poll for m in tg.messages(chat_id)), 20)


def main() -> None:
    found = asyncio.run(measure())
    traced = {c: [f for f in files if not f.startswith(SHARED)] for c, files in found.items()}
    common = set.intersection(*(set(files) for files in traced.values()))
    for command, files in traced.items():
        own = [f for f in files if f not in common]
        print(f"{command}: {len(files)} files, {len(own)} of them its own")
        for path in files:
            print(f"  {path}{'' if path in own else '  (every command)'}")


if __name__ == "__main__":
    main()
