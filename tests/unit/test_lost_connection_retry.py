"""`Database.run`: a transaction done again once when its connection turns out to be lost."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Database
from db.models import Party, PartyKind
from db.repositories import Repos
from tests.conftest import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
]


async def _drop_connections() -> int:
    """What a server restart does to the bot's pooled connections: every other backend of
    this database is terminated. Returns how many were."""
    admin = create_async_engine(POSTGRES_URL)
    try:
        async with admin.connect() as connection:
            dropped = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await admin.dispose()
    return int(dropped or 0)


@pytest.fixture
async def pg(postgres_ready: bool, db_url: str) -> Database:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    return Database.from_url(db_url)


async def test_work_is_done_again_on_a_new_connection_when_the_server_dropped_it(
    pg: Database,
) -> None:
    calls = 0

    async def work(repos: Repos) -> int:
        nonlocal calls
        calls += 1
        repos.session.add(Party(key="nbu", name="NBU", kind=PartyKind.UNIVERSITY))
        await repos.session.flush()
        return calls

    try:
        async with pg.transaction() as repos:  # a connection in the pool
            await repos.session.execute(text("SELECT 1"))
        assert await _drop_connections() >= 1
        assert await pg.run(work) == 2  # the first attempt met the dropped connection
        async with pg.transaction() as repos:
            assert await repos.parties.by_key("nbu") is not None
            assert len(await repos.parties.all()) == 1  # written once
    finally:
        await pg.dispose()


async def test_a_lost_connection_found_by_a_plain_transaction_is_an_error(pg: Database) -> None:
    """The premise of the test above: without `run`, the update's work would fail."""
    try:
        async with pg.transaction() as repos:
            await repos.session.execute(text("SELECT 1"))
        await _drop_connections()
        with pytest.raises(DBAPIError) as raised:
            async with pg.transaction() as repos:
                await repos.session.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated  # what `run` tries again on
        async with pg.transaction() as repos:  # the pool was renewed
            assert await repos.session.scalar(text("SELECT 1")) == 1
    finally:
        await pg.dispose()


async def test_other_errors_are_not_tried_again(pg: Database) -> None:
    calls = 0

    async def work(repos: Repos) -> None:
        nonlocal calls
        calls += 1
        repos.session.add(Party(key="nbu", name="NBU", kind=PartyKind.UNIVERSITY))
        repos.session.add(Party(key="nbu", name="NBU again", kind=PartyKind.UNIVERSITY))
        await repos.session.flush()

    try:
        with pytest.raises(IntegrityError):
            await pg.run(work)
        assert calls == 1
    finally:
        await pg.dispose()
