"""How many of the project's files a newcomer opens to follow a command: `/checkin`, `/ask`
and `/report`, from the update to the message Telegram receives.

Measured, not counted by hand: the real bot runs against the fake Telegram (the sample
consortium, SQLite), and while one command is handled (from the person's message until the
message it causes has arrived) a profiler notes every function of the project that runs.

A reader meets some files once, whatever the command; they are listed apart, each with the
rule that makes it shared (nothing else is taken out of a command's count):
1. runtime: the wiring and the Bot API edge every update passes (`RUNTIME`: `bot/app.py`,
   `bot/runner.py`, settings, translations, the clock, `bot/telegram/`, the database engine);
2. package: a layer's `__init__.py`, what the package offers each of its features (`Repos`,
   `Rendered` and the renderers' helpers);
3. every command: the files every traced command passes (the base handler, the caller, the
   command registry);
4. outbox: the files the outbox passes to write one message and deliver it, traced alone (a
   probe message written with `bot/outbox/writer.py` and sent by the sender).
What is left is the command's feature path. Usage: `python -m benchmarks.command_files`
(prints the shared files, then each command's files in the order they were first entered).
Target (issue 25): at most 7 feature files per command.
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
TARGET = 7
# Rule 1: every update passes these, whatever its command: the runtime wiring (the modules at
# the top of `bot/`), the Bot API edge, translations, the database engine.
RUNTIME = (
    "bot/app.py",
    "bot/runner.py",
    "bot/config.py",
    "bot/context.py",
    "bot/clock.py",
    "bot/lazy.py",
    "bot/logs.py",
    "bot/i18n/",
    "bot/leadership.py",
    "bot/telegram/",
    "bot/ops/metrics.py",
    "db/engine.py",
    "db/data_version.py",
    "db/sqlite.py",
)
FAKE = "bot/fake_telegram/"  # Telegram's side in this measurement: not the bot's code
RULES = {
    "runtime": "the runtime wiring and the Bot API edge: every update passes it",
    "package": "a layer's package: what it offers each of its features",
    "every command": "every traced command passes it: the base handler, the caller, the registry",
    "outbox": "the outbox writes and delivers a message through it, traced alone",
}
PROBE = "the outbox probe"


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
        if relative.split("/", 1)[0] in LAYERS and not relative.startswith(FAKE):
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
    """The files each command passes, and (under `PROBE`) those of the outbox alone."""
    import bot.runner
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.context import SERVICES_KEY, BotApplication, Services
    from bot.fake_telegram import FakeTelegram
    from bot.services.consortium_io import import_file

    sample = (ROOT / "examples" / "consortium.yaml").read_text(encoding="utf-8")
    clock = ManualClock(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    trace = Trace()
    found: dict[str, list[str]] = {}
    built: list[BotApplication] = []
    build = bot.runner.build_application

    def keep(*args: Any, **kwargs: Any) -> BotApplication:
        built.append(build(*args, **kwargs))
        return built[-1]

    bot.runner.build_application = keep  # the probe needs the running application
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
                bot.runner.serve(settings, stop, clock=clock, ready=ready, poll_timeout=1)
            )
            await asyncio.wait_for(ready.wait(), 30)
            bot.runner.build_application = build
            application = built[0]
            services: Services = application.bot_data[SERVICES_KEY]
            await import_file(settings, sample, now=clock.now())
            people = {}
            for user_id, name in ((1001, "Li Wei"), (1002, "Zhang Min"), (2001, "Chen Jie")):
                people[user_id] = tg.user(user_id, name, language_code="en")
                people[user_id].send("/start")
                await people[user_id].next_message()
            group = tg.group(-1001234567890, "Alliance main group")
            group.add_bot(by=people[1001])
            await group.next_message()
            await _settled(tg)  # the greeting's handler may still be finishing
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
                await _settled(tg)
                found[PROBE] = await _traced(
                    trace,
                    lambda: application.create_task(_probe(application, services, chen.id)),
                    chen.next_message,
                )
            finally:
                sys.setprofile(None)
            stop.set()
            await task
    return found


async def _probe(application: Any, services: Any, chat_id: int) -> None:
    """One message written to the outbox in a transaction of its own, then delivered."""
    from bot.outbox.writer import add_message
    from db.models import Outbox, OutboxState

    now = services.clock.now()
    async with services.database.transaction() as repos:
        await add_message(
            repos,
            Outbox(
                chat_id=chat_id,
                text="probe",
                kind="message",
                purpose="probe",
                state=OutboxState.PENDING,
                attempts=0,
                not_before=now,
                created_at=now,
            ),
        )
    await services.sender.drain(application)


async def _settled(tg: Any) -> None:
    """Nothing still on its way: the previous command's sends are all answered."""
    await tg.idle()
    await asyncio.sleep(0.5)


async def _poll_in(tg: Any, chat_id: int) -> object:
    return await tg.wait_for(lambda: any(m.poll for m in tg.messages(chat_id)), 20)


def split(found: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The shared files with the rule that makes each shared, and each command's own path."""
    commands = {c: files for c, files in found.items() if c != PROBE}
    shared: dict[str, str] = {}
    for files in found.values():
        for path in files:
            if path.startswith(RUNTIME):
                shared.setdefault(path, "runtime")
            elif path.endswith("/__init__.py"):
                shared.setdefault(path, "package")
    every = set.intersection(*(set(files) for files in commands.values()))
    for path in next(iter(commands.values())):
        if path in every:
            shared.setdefault(path, "every command")
    for path in found.get(PROBE, []):
        shared.setdefault(path, "outbox")
    own = {c: [f for f in files if f not in shared] for c, files in commands.items()}
    return shared, own


def main() -> None:
    shared, own = split(asyncio.run(measure()))
    print(f"Shared: {len(shared)} files, met once whatever the command")
    for rule, why in RULES.items():
        paths = [path for path, found in shared.items() if found == rule]
        print(f"  {rule} ({why}): {len(paths)}")
        for path in paths:
            print(f"    {path}")
    for command, files in own.items():
        verdict = "within" if len(files) <= TARGET else "over"
        print(f"{command}: {len(files)} feature files ({verdict} the target of {TARGET})")
        for path in files:
            print(f"  {path}")


if __name__ == "__main__":
    main()
