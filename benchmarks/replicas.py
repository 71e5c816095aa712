"""The fan-out with two replicas beside one, in the same run: `python -m benchmarks.replicas`.

A check-in opened in N groups (an agenda and a poll each, 2N messages) is written to the
outbox of a PostgreSQL database while real `python -m bot` processes run against the fake
Telegram (a process of its own, enforcing Telegram's limits with a 50 ms round trip): one
replica, then two (a leader and a standby on the same database). Only the leader sends, so
two replicas spend Telegram's budget once. Timed from the check-in's commit to the last
outbox row recorded sent; the leader is elected before the check-in is written.
Target: every message delivered, zero 429 answers, two replicas within 105% of the
ceiling time (messages / 30 seconds).

Needs a PostgreSQL database of its own (its `public` schema is reset): `synergy_replicas` on
the machine's server by default (`benchmarks.run` creates it afresh), or
`python -m benchmarks.replicas --database-url postgresql+asyncpg://postgres@127.0.0.1/bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import text

from benchmarks.run import FanOut, _start_fake, add_groups, fanned_out, table
from bot.app import build_application
from bot.config import Settings
from bot.context import SERVICES_KEY, Services
from bot.outbox.checkin import CheckinOutbox
from bot.services import checkin
from bot.services.context import ServiceContext
from db.engine import Database, create_engine
from db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/synergy_replicas"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def reset(database_url: str, groups: int) -> None:
    """An empty schema at the newest migration, a consortium and `groups` linked groups."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    await engine.dispose()
    database = Database.from_url(database_url)
    async with database.transaction() as repos:
        await add_groups(repos, groups)
    await database.dispose()


class Replica:
    """`python -m bot` against the fake, /healthz on a port of its own."""

    def __init__(self, base_url: str, token: str, database_url: str, folder: Path) -> None:
        self.port = free_port()
        clean = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))
        }
        self.env = {
            **clean,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "HEALTH_PORT": str(self.port),
            "SCHEDULER_TICK_SECONDS": "0.2",
            "LOG_LEVEL": "ERROR",  # not the scheduler's "skipped" at a 0.2 s tick
        }
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None
        self.last_role: str | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.folder, env=self.env
        )

    async def role(self) -> str | None:
        self.last_role = None
        with contextlib.suppress(httpx.HTTPError, ValueError):
            async with httpx.AsyncClient(timeout=2) as client:
                answer = await client.get(f"http://127.0.0.1:{self.port}/healthz")
            self.last_role = str(answer.json()["role"])
        return self.last_role

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 60)


async def fan_out(name: str, replicas: int, groups: int, database_url: str) -> FanOut:
    await reset(database_url, groups)
    process, base_url, stats_url, token = await _start_fake(groups)
    running: list[Replica] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            running = [
                Replica(base_url, token, database_url, Path(folder)) for _ in range(replicas)
            ]
            for replica in running:
                await replica.start()
            for _ in range(600):  # a leader elected, the standby known as one
                roles = [await replica.role() for replica in running]
                if roles.count("leader") == 1 and roles.count("standby") == replicas - 1:
                    break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"no leader elected: {roles}")
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=SecretStr(token),
                telegram_api_base_url=base_url,
                database_url=database_url,
            )
            services: Services = build_application(settings).bot_data[SERVICES_KEY]
            database = services.database
            now = dt.datetime.now(dt.UTC)
            async with database.transaction() as repos:  # what /checkin writes
                ctx = ServiceContext(repos, now, "UTC")
                opening = await checkin.open_checkin(ctx, None, None, dt.timedelta(hours=72))
                await CheckinOutbox(services, repos, now).opening(opening)
            started = time.monotonic()
            while True:
                async with database.transaction() as repos:
                    if await repos.outbox.pending_count() == 0:
                        break
                await asyncio.sleep(0.05)
            seconds = time.monotonic() - started
            await database.dispose()
            # The standby first: the leader stopping first hands its lease over while its
            # own long poll may still be open (a 409 in the log, nothing lost).
            for replica in sorted(running, key=lambda r: r.last_role == "leader"):
                await replica.stop()
        return await fanned_out(name, groups, seconds, stats_url)
    finally:
        for replica in running:
            await replica.stop()
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def main(groups: int, database_url: str) -> str:
    one = await fan_out("fan-out, one replica", 1, groups, database_url)
    two = await fan_out("fan-out, two replicas (leader + standby)", 2, groups, database_url)

    def holds(r: FanOut) -> bool:
        return r.delivered == r.messages and r.answers_429 == 0 and r.ceiling_ratio <= 1.05

    verdict = (
        f"target (two replicas: all {two.messages} delivered, zero 429s, within 105% of "
        f"{two.messages}/30 s): {'HOLDS' if holds(two) else 'MISSED'} "
        f"({two.ceiling_ratio:.1%} of the ceiling time, 429s: {two.crossed}, delivered "
        f"{two.delivered}; one replica {one.ceiling_ratio:.1%}, 429s: {one.crossed}, "
        f"delivered {one.delivered})"
    )
    return f"{table([one, two])}\n\n{verdict}"


async def report(groups: int = 1000, postgres_url: str = POSTGRES) -> str:
    """The case as `benchmarks.run` runs it: in a fresh database of its own."""
    from benchmarks.updates import _postgres_ready

    if await _postgres_ready(postgres_url) is None:
        return f"replicas case left out: no PostgreSQL at {postgres_url}; target: MISSED"
    return await main(groups, postgres_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--database-url", default=POSTGRES)
    args = parser.parse_args()
    print(asyncio.run(main(args.groups, args.database_url)))
