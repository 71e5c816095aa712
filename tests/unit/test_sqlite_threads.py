"""`db.sqlite`: short statements on the event loop's thread; waits and big reads off it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.engine import Database, create_engine
from db.migrate import upgrade
from db.models import Party, PartyKind
from db.sqlite import in_worker_thread


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite3'}", timeout=1.5)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (body TEXT)"))
    database = Database(engine)
    yield database
    await database.dispose()


async def _thread_of_a_statement(database: Database) -> int:
    """The thread that ran a statement in a transaction (a SQL function says which)."""
    threads: list[int] = []
    async with database.transaction() as repos:
        connection = await repos.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        raw._conn.create_function("thread_id", 0, lambda: threads.append(threading.get_ident()))
        await repos.session.execute(text("SELECT thread_id()"))
    return threads[0]


async def test_a_transactions_statements_run_on_the_event_loops_thread(
    database: Database,
) -> None:
    assert await _thread_of_a_statement(database) == threading.get_ident()


async def test_inside_in_worker_thread_they_run_in_the_connections_thread(
    database: Database,
) -> None:
    with in_worker_thread():
        assert await _thread_of_a_statement(database) != threading.get_ident()


async def test_a_lock_held_by_another_process_is_waited_for_off_the_event_loop(
    database: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "inline.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the admin CLI writing, say
    other.execute("INSERT INTO note VALUES ('theirs')")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, other.commit)  # only runs if the loop is free
    try:
        async with database.transaction() as repos:
            await repos.session.execute(text("INSERT INTO note VALUES ('ours')"))
            waited_ticks = ticks  # the BEGIN before the insert waited for the lock
    finally:
        ticker.cancel()
        other.close()
    assert waited_ticks >= 10  # the loop went on for the 0.3 s the lock was held
    async with database.transaction() as repos:
        notes = (await repos.session.scalars(text("SELECT body FROM note"))).all()
    assert sorted(notes) == ["ours", "theirs"]


async def test_a_lock_never_released_fails_after_the_busy_timeout(
    database: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "inline.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with database.transaction() as repos:
                await repos.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE first
    finally:
        other.close()
    assert 1.4 <= loop.time() - started < 5  # the timeout given (1.5 s), in the thread


async def test_the_orm_works_through_the_inline_connection(database: Database) -> None:
    await upgrade(database.engine)
    async with database.transaction() as repos:
        repos.session.add(Party(key="nbu", name="NBU", kind=PartyKind.UNIVERSITY))
    with pytest.raises(Exception, match="UNIQUE"):
        async with database.transaction() as repos:
            repos.session.add(Party(key="nbu", name="again", kind=PartyKind.UNIVERSITY))
    async with database.transaction() as repos:
        found = await repos.parties.by_key("nbu")
    assert found is not None and found.name == "NBU"  # the failed one was rolled back
