"""Benchmarks, each case beside its baseline in the same run: `python -m benchmarks.run`.

Cases: the fan-out below, the capability analytics of `benchmarks.analytics` (6.24 million
scores: pandas beside plain Python, and the load from SQLite), the start-up of
`benchmarks.startup` (10,000 people in the database, beside bare PTB), the update path
of `benchmarks.updates` (the real handlers beside bare PTB, on SQLite and PostgreSQL),
the memory per update of `benchmarks.memory` (100,000 updates, in a process of its own, its
bot at the lowest priority, beside the fan-out, the analytics and the start-up; the update
path runs first, alone), the fan-out of `benchmarks.replicas` (real `python -m bot`
processes on PostgreSQL: one replica beside two), and the failover of `benchmarks.failover`
(two replicas on PostgreSQL, the leader killed ten times mid-delivery, beside a clean stop);
the last two alone.

Case "fan-out": a check-in opened in N groups (an agenda and a poll each) is delivered by the
real outbox sender against the fake Telegram, run as a separate process as Telegram is, which
enforces Telegram's limits (30 messages in any second, 20 per minute per group, about 1 per
second per chat) with a 50 ms round trip.
Ours: `bot.telegram.ratelimit.TelegramRateLimiter`. Baseline: PTB's `AIORateLimiter` (max_retries=5)
with the same sender. Target: every message delivered, zero 429 answers, and a total time
within 105% of messages / 30 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from telegram.ext import AIORateLimiter, BaseRateLimiter

from benchmarks import analytics, failover, startup, updates
from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import SERVICES_KEY, Services
from bot.fake_telegram.__main__ import GROUP_BASE
from bot.outbox.checkin import CheckinOutbox
from bot.services import checkin
from bot.services.context import ServiceContext
from bot.telegram.ratelimit import TelegramRateLimiter
from db.migrate import upgrade
from db.models import Chat, Consortium
from db.repositories import Repos

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@dataclass
class FanOut:
    name: str
    groups: int
    messages: int
    seconds: float
    answers_429: int
    delivered: int
    limited: dict[str, int]  # the 429s by the limit the fake found crossed

    @property
    def crossed(self) -> str:
        """`3 (overall 3)`: how many 429s, and which limits they were for."""
        if not self.answers_429:
            return "0"
        return f"{self.answers_429} ({', '.join(f'{k} {n}' for k, n in self.limited.items())})"

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def ceiling_ratio(self) -> float:
        """Time taken over the least time Telegram's 30 per second allows."""
        return self.seconds / (self.messages / 30)


async def _start_fake(
    groups: int, *, limits: bool = True, latency: float = 0.05, users: tuple[str, ...] = ()
) -> tuple[asyncio.subprocess.Process, str, str, str]:
    """The fake Telegram in a process of its own, as Telegram is (a 50 ms round trip)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.fake_telegram",
        "--groups",
        str(groups),
        "--latency",
        str(latency),
        *([] if limits else ["--no-limits"]),
        *(f"--users={span}" for span in users),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().split()
    assert line[:1] == ["READY"], line
    return process, line[1], line[2], line[3]


async def add_groups(repos: Repos, groups: int) -> None:
    """A consortium and the fake's first `groups` groups, linked, for a check-in to open in."""
    await repos.consortium.add(Consortium(name="Bench", timezone="UTC", language="en"))
    for i in range(groups):
        await repos.chats.add(
            Chat(
                telegram_id=GROUP_BASE - i,
                title=f"G{i}",
                type="supergroup",
                linked=True,
                active=True,
            )
        )


async def fan_out(name: str, limiter: BaseRateLimiter[Any], groups: int) -> FanOut:
    process, base_url, stats_url, token = await _start_fake(groups)
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=token,
                telegram_api_base_url=base_url,
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
            )
            application = build_application(settings, clock=ManualClock(NOW), rate_limiter=limiter)
            services: Services = application.bot_data[SERVICES_KEY]
            await upgrade(services.database.engine)
            async with services.database.transaction() as repos:
                await add_groups(repos, groups)
            async with services.database.transaction() as repos:
                ctx = ServiceContext(repos, NOW, "UTC")
                opening = await checkin.open_checkin(ctx, None, None, dt.timedelta(hours=72))
                await CheckinOutbox(services, repos, NOW).opening(opening)
            async with application:
                started = time.monotonic()
                await services.sender.drain(application)
                seconds = time.monotonic() - started
            await services.database.dispose()
        return await fanned_out(name, groups, seconds, stats_url)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def fanned_out(name: str, groups: int, seconds: float, stats_url: str) -> FanOut:
    """The fan-out's figures: what the fake counted after a check-in in `groups` groups (an
    agenda and a poll each) took `seconds`; read before the fake stops."""
    async with httpx.AsyncClient() as client:
        stats = (await client.get(stats_url)).json()
    return FanOut(
        name,
        groups,
        2 * groups,
        seconds,
        int(stats["errors"].get("429", 0)),
        int(stats["sent"]),
        stats["limited"],
    )


def table(results: list[FanOut]) -> str:
    lines = [
        "| case | groups | messages | delivered | seconds | msg/s | time / (messages/30) | 429s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.groups} | {r.messages} | {r.delivered} | "
            f"{r.seconds:.1f} | {r.rate:.1f} | {r.ceiling_ratio:.3f} | {r.crossed} |"
        )
    return "\n".join(lines)


async def main(groups: int) -> str:
    ours = await fan_out("fan-out, ours (TelegramRateLimiter)", TelegramRateLimiter(), groups)
    base = await fan_out(
        "fan-out, baseline (AIORateLimiter)", AIORateLimiter(max_retries=5), groups
    )
    holds = ours.delivered == ours.messages and ours.answers_429 == 0 and ours.ceiling_ratio <= 1.05
    verdict = (
        f"target (all {ours.messages} delivered, zero 429s, within 105% of "
        f"{ours.messages}/30 s): {'HOLDS' if holds else 'MISSED'} "
        f"({ours.ceiling_ratio:.1%} of the ceiling time, 429s: {ours.crossed}; "
        f"baseline {base.ceiling_ratio:.1%}, 429s: {base.crossed})"
    )
    return f"{table([ours, base])}\n\n{verdict}"


def start_memory_case() -> subprocess.Popen[str]:
    """The memory case in a process of its own, its bot at the lowest priority: it needs
    the CPU for minutes but times nothing, and runs beside the cases that wait on Telegram's
    limits or time only themselves; the update path, whose figures are rates, runs before
    it."""
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.memory", "--nice", "19"],
        stdout=subprocess.PIPE,
        text=True,
    )


def memory_result(case: subprocess.Popen[str]) -> str:
    output, _ = case.communicate()
    if case.returncode:
        return f"memory case failed (exit code {case.returncode}); target: MISSED\n{output}"
    return output.rstrip()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--students", type=int, default=analytics.STUDENTS)
    arguments = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {__import__('os').cpu_count()} cores"
    )
    began = time.monotonic()
    took = []

    def part(name: str, run: Callable[[], str]) -> None:
        started = time.monotonic()
        print(run(), end="\n\n", flush=True)
        took.append(f"{name} {time.monotonic() - started:.0f} s")

    part("update path", lambda: asyncio.run(updates.report()))
    memory_began = time.monotonic()
    case = start_memory_case()
    try:
        part("fan-out", lambda: asyncio.run(main(arguments.groups)))
        part("analytics", lambda: analytics.report(arguments.students))
        part("start-up", lambda: asyncio.run(startup.report()))
        print(memory_result(case), end="\n\n")
    finally:
        if case.poll() is None:
            case.kill()
    took.append(
        f"memory {time.monotonic() - memory_began:.0f} s, beside fan-out, analytics and start-up"
    )
    from benchmarks import replicas  # it imports this module's fan-out

    part("replicas", lambda: asyncio.run(replicas.report(arguments.groups)))
    part("failover", lambda: asyncio.run(failover.report()))
    print(f"the whole command took {(time.monotonic() - began) / 60:.1f} min ({', '.join(took)})")
