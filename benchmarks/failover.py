"""Failover: two `python -m bot` replicas on one PostgreSQL database, the leader in the middle
of delivering the outbox (300 messages to 300 groups each round) when it is stopped.

Ours: the leader killed with SIGKILL; measured from the kill to the first message the other
replica sends (the fake Telegram's count of messages grows again), with the default lease
(`LEASE_SECONDS` 10, `LEASE_RENEW_SECONDS` 2). Ten kills in a row, the killed replica started
again as the standby each time. Baseline: a clean stop (SIGTERM), which releases the lease at
once. Targets: the worst kill within 15 s; no 429 from Telegram across the failovers (one
budget per token); every message delivered, the duplicates (sent by the dead leader, its
answer not recorded) counted.

The fake Telegram runs in its own process with a 50 ms round trip and Telegram's limits.
`python -m benchmarks.failover` runs it alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import statistics
import sys
import time
from typing import Any

import httpx
from sqlalchemy import insert

from db.engine import Database
from db.migrate import upgrade
from db.models import Outbox, OutboxState

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/synergy_failover"
GROUPS = 3000
PER_ROUND = 300
KILLS, STOPS = 10, 3
TARGET_SECONDS = 15.0
GROUP_BASE = -1003000000000  # the fake's groups (`bot.fake_telegram.__main__`)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.env = {**env, "HEALTH_PORT": str(self.port)}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def role(self, client: httpx.AsyncClient) -> str | None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = await client.get(f"http://127.0.0.1:{self.port}/healthz")
            return str(answer.json()["role"])
        return None

    async def until(self, client: httpx.AsyncClient, role: str) -> None:
        for _ in range(1200):
            if await self.role(client) == role:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the replica did not become {role}")

    async def end(self, signum: signal.Signals) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signum)
            await self.process.wait()


async def _stats(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(url)).json()
    return answer


async def _until_sent(client: httpx.AsyncClient, url: str, count: int) -> None:
    """Until the fake has taken `count` messages (looked at every 50 ms, for a minute: its
    statistics count every call, and asking more often loads the fake enough to bunch the
    requests it notes, and Telegram's limits with them)."""
    for _ in range(1200):
        if (await _stats(client, url))["sent"] >= count:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the fake did not reach {count} messages in a minute")


async def _enqueue(database: Database, round_no: int) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "chat_id": GROUP_BASE - (round_no * PER_ROUND + i) % GROUPS,
            "text": f"Round {round_no}, message {i}",
            "purpose": "benchmark",
            "state": OutboxState.PENDING,
            "not_before": now,
            "created_at": now,
            "attempts": 0,
            "kind": "message",
        }
        for i in range(PER_ROUND)
    ]
    async with database.transaction() as repos:
        await repos.session.execute(insert(Outbox), rows)


async def _failover(
    client: httpx.AsyncClient,
    stats_url: str,
    database: Database,
    leader: Replica,
    standby: Replica,
    round_no: int,
    signum: signal.Signals,
) -> float:
    """Stop the leader mid-delivery; seconds until the other replica's first send."""
    before = (await _stats(client, stats_url))["sent"]
    await _enqueue(database, round_no)
    await _until_sent(client, stats_url, before + 30)
    stopped = time.perf_counter()
    assert leader.process is not None
    leader.process.send_signal(signum)
    await leader.process.wait()
    await asyncio.sleep(0.3)  # the dead leader's last requests reach the fake (50 ms)
    await _until_sent(client, stats_url, (await _stats(client, stats_url))["sent"] + 1)
    took = time.perf_counter() - stopped
    await standby.until(client, "leader")
    # The round's messages delivered before the stopped replica starts again (its start-up
    # would take CPU from the delivery, on this two-core machine).
    for _ in range(1200):
        async with database.transaction() as repos:
            if await repos.outbox.pending_count() == 0:
                break
        await asyncio.sleep(0.05)
    return took


async def measure(postgres_url: str = POSTGRES) -> tuple[list[float], list[float], dict[str, Any]]:
    from benchmarks.run import _start_fake
    from benchmarks.updates import _postgres_ready

    url = await _postgres_ready(postgres_url)
    if url is None:
        raise RuntimeError(f"no PostgreSQL at {postgres_url}")
    database = Database.from_url(url)
    await upgrade(database.engine)
    fake, base_url, stats_url, token = await _start_fake(GROUPS)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))},
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }
    replicas = [Replica(env), Replica(env)]
    kills: list[float] = []
    stops: list[float] = []
    failover_429s = 0
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await replicas[0].start()
            await replicas[0].until(client, "leader")
            await replicas[1].start()
            await replicas[1].until(client, "standby")
            for round_no in range(KILLS + STOPS):
                leader, standby = replicas
                signum = signal.SIGKILL if round_no < KILLS else signal.SIGTERM
                refused = (await _stats(client, stats_url))["errors"].get("429", 0)
                took = await _failover(
                    client, stats_url, database, leader, standby, round_no, signum
                )
                (kills if signum == signal.SIGKILL else stops).append(took)
                after = (await _stats(client, stats_url))["errors"].get("429", 0)
                failover_429s += after - refused  # from the round's start to its last send
                await leader.start()  # again, as the standby
                await leader.until(client, "standby")
                replicas.reverse()
            for _ in range(600):
                async with database.transaction() as repos:
                    if await repos.outbox.pending_count() == 0:
                        break
                await asyncio.sleep(0.1)
            stats = await _stats(client, stats_url)
            stats["failover_429s"] = failover_429s
    finally:
        for replica in replicas:
            await replica.end(signal.SIGTERM)
        fake.terminate()
        await fake.wait()
        await database.dispose()
    return kills, stops, stats


def table(kills: list[float], stops: list[float], stats: dict[str, Any]) -> str:
    messages = (KILLS + STOPS) * PER_ROUND
    duplicates = stats["sent"] - messages
    worst = max(kills)
    holds = worst < TARGET_SECONDS and not stats["failover_429s"]
    return "\n".join(
        [
            "| failover case | stops | median s | worst s |",
            "|---|---|---|---|",
            f"| ours: leader killed (SIGKILL), lease 10 s renewed every 2 s | {len(kills)} | "
            f"{statistics.median(kills):.1f} | {worst:.1f} |",
            f"| baseline: clean stop (SIGTERM, lease released) | {len(stops)} | "
            f"{statistics.median(stops):.1f} | {max(stops):.1f} |",
            "",
            f"messages {messages}, delivered {stats['sent']} ({duplicates} twice: sent by a "
            f"killed leader, its answer not recorded), 429s {stats['errors'].get('429', 0)} "
            f"(limits crossed: {stats.get('limited') or 'none'}); "
            f"{stats['failover_429s']} of them while a round was delivered across its failover",
            f"target (new leader's first send within {TARGET_SECONDS:.0f} s of a kill, no 429): "
            f"{'HOLDS' if holds else 'MISSED'} (worst {worst:.1f} s)",
        ]
    )


async def report(postgres_url: str = POSTGRES) -> str:
    from benchmarks.updates import _postgres_ready

    if await _postgres_ready(postgres_url) is None:
        return f"failover case left out: no PostgreSQL at {postgres_url}; target: MISSED"
    return table(*(await measure(postgres_url)))


if __name__ == "__main__":
    print(asyncio.run(report()))
