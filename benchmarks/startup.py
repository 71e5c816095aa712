"""Start-up with a large database: 10,000 people, 1,000 open liaison requests with their next
steps scheduled, 500 linked chats and 2,000 placements, on SQLite.

Ours: `python -m bot` from the moment the process is started until the fake Telegram sees its
first getUpdates (imports, settings, migrations checked, getMe, the default menus, the
scheduler). Baseline: a bare python-telegram-bot script, from its start to its first
getUpdates, with no database. The fake runs in its own process with a 50 ms round trip.
Target: polling within 3 seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from db.engine import Database
from db.migrate import upgrade
from db.models import (
    Chat,
    Consortium,
    LiaisonRequest,
    Membership,
    Party,
    PartyKind,
    Person,
    Placement,
    RequestState,
    Role,
)

PEOPLE, REQUESTS, CHATS, PLACEMENTS = 10_000, 1_000, 500, 2_000
TARGET_SECONDS = 3.0
NOW = dt.datetime.now(dt.UTC)


async def _fill(database: Database) -> None:
    kinds = list(PartyKind)
    async with database.transaction() as repos:
        session = repos.session
        await session.execute(
            insert(Consortium), [{"name": "Bench", "timezone": "UTC", "language": "en"}]
        )
        await session.execute(
            insert(Party),
            [
                {"id": i + 1, "key": f"p{i}", "name": f"Party {i}", "kind": kinds[i % 4]}
                for i in range(20)
            ],
        )
        await session.execute(
            insert(Person),
            [
                {
                    "id": i + 1,
                    "telegram_id": 100_000 + i,
                    "name": f"Person {i}",
                    "can_message": True,
                }
                for i in range(PEOPLE)
            ],
        )
        await session.execute(
            insert(Membership),
            [
                {
                    "person_id": i + 1,
                    "party_id": i % 20 + 1,
                    "role": Role.STUDENT if i < PLACEMENTS else Role.CONTACT,
                }
                for i in range(PEOPLE)
            ],
        )
        await session.execute(
            insert(Placement),
            [
                {
                    "student_id": i + 1,
                    "site_id": 4 * (i % 5) + 4,  # an overseas site
                    "start_date": dt.date(2026, 9, 1),
                    "end_date": dt.date(2027, 1, 31),
                }
                for i in range(PLACEMENTS)
            ],
        )
        await session.execute(
            insert(Chat),
            [
                {"telegram_id": -1003000000000 - i, "title": f"G{i}", "linked": True}
                for i in range(CHATS)
            ],
        )
        await session.execute(
            insert(LiaisonRequest),
            [
                {
                    "party_id": i % 20 + 1,
                    "asker_id": i % PEOPLE + 1,
                    "chat_id": -1003000000000 - i % CHATS,
                    "question_message_id": i + 1,
                    "question": f"Question {i}",
                    "urgent": False,
                    "state": RequestState.OPEN,
                    "contact_id": PLACEMENTS + i % 100 + 1,
                    "opened_at": NOW,
                    "delivered_at": NOW,
                    "escalations": 0,
                    "next_action_at": NOW + dt.timedelta(hours=1 + i % 48),
                }
                for i in range(REQUESTS)
            ],
        )


async def _until_polling(stats_url: str, command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting `command` until the fake sees its first getUpdates."""
    async with httpx.AsyncClient() as client:
        before = (await client.get(stats_url)).json()["calls"].get("getUpdates", 0)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            while True:
                calls = (await client.get(stats_url)).json()["calls"].get("getUpdates", 0)
                if calls > before:
                    return time.perf_counter() - started
                if process.returncode is not None or time.perf_counter() - started > 60:
                    raise RuntimeError(f"{command} did not start polling")
                await asyncio.sleep(0.02)
        finally:
            process.terminate()
            await process.wait()


BARE = """
import asyncio, os
from telegram.ext import ApplicationBuilder
async def main():
    app = ApplicationBuilder().token(os.environ["TOKEN"]).base_url(os.environ["BASE"]).build()
    async with app:
        await app.updater.start_polling(timeout=1)
        await app.start()
        await asyncio.Event().wait()
asyncio.run(main())
"""


async def ours(base_url: str, stats_url: str, token: str) -> float:
    """`python -m bot` from exec, with the large database."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'startup.sqlite3'}"
        database = Database.from_url(url)
        await upgrade(database.engine)
        await _fill(database)
        await database.dispose()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": url,
        }
        return await _until_polling(stats_url, [sys.executable, "-m", "bot"], env)


async def bare(base_url: str, stats_url: str, token: str) -> float:
    """Bare python-telegram-bot from exec, no database."""
    env = {**os.environ, "TOKEN": token, "BASE": f"{base_url}/bot"}
    return await _until_polling(stats_url, [sys.executable, "-c", BARE], env)


async def report() -> str:
    from benchmarks.run import _start_fake  # run.py imports this module

    process, base_url, stats_url, token = await _start_fake(0)
    try:
        baseline = await bare(base_url, stats_url, token)
        measured = await ours(base_url, stats_url, token)
    finally:
        process.terminate()
        await process.wait()
    holds = measured < TARGET_SECONDS
    return "\n".join(
        [
            "| start-up case | people | open requests | chats | placements | seconds to polling |",
            "|---|---|---|---|---|---|",
            f"| ours (python -m bot, SQLite) | {PEOPLE} | {REQUESTS} | {CHATS} | "
            f"{PLACEMENTS} | {measured:.2f} |",
            f"| baseline (bare PTB, no database) | - | - | - | - | {baseline:.2f} |",
            "",
            f"target (polling within {TARGET_SECONDS:.0f} s of start with that database): "
            f"{'HOLDS' if holds else 'MISSED'} ({measured:.2f} s; bare PTB {baseline:.2f} s)",
        ]
    )


if __name__ == "__main__":
    print(asyncio.run(report()))
