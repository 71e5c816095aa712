"""The Mini App's per-person limit counted in the database (PostgreSQL, replicas sharing one
allowance): the sliding minute of `db.repositories.api_calls` at given times, and the old
windows pruned."""

from __future__ import annotations

import pytest

from db.engine import Database
from db.repositories.api_calls import Counted

MINUTE = 1_800_000_000.0  # a window's start on the database's clock (a multiple of 60)
CHEN, LI = 2001, 1001


@pytest.fixture
def pg(database: Database) -> Database:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("replicas share a limit on PostgreSQL only (alone, it is counted in memory)")
    return database


async def count(database: Database, at: float, person: int = CHEN, limit: int = 3) -> Counted:
    return await database.run_single_statement(
        lambda repos: repos.api_calls.count(person, limit, 60.0, at=MINUTE + at)
    )


async def test_a_minute_holds_the_limit_and_refusals_are_not_counted(pg: Database) -> None:
    allowed = [(await count(pg, at)).allowed for at in (1.0, 2.0, 3.0, 4.0, 59.0)]
    assert allowed == [True, True, True, False, False]
    assert await count(pg, 59.5) == Counted(False, 0, 3, 59.5)  # still three, not five
    assert (await count(pg, 5.0, person=LI)).allowed  # another person's own limit


async def test_the_last_minute_weighs_by_its_share_still_inside_the_sliding_minute(
    pg: Database,
) -> None:
    for at in (1.0, 2.0, 3.0):
        assert (await count(pg, at)).allowed
    # Three calls last minute weigh 3 * (60 - t) / 60: room for one more from t = 20 s.
    assert await count(pg, 60.5) == Counted(False, 3, 0, 0.5)
    assert not (await count(pg, 79.5)).allowed
    assert await count(pg, 80.5) == Counted(True, 3, 1, 20.5)
    assert not (await count(pg, 81.0)).allowed  # 1 + 3 * 39/60 > 2
    assert (await count(pg, 100.5)).allowed  # 1 + 3 * 19.5/60 <= 2


async def test_the_minutes_before_the_last_are_pruned(pg: Database) -> None:
    for at in (1.0, 61.0, 121.0, 181.0):
        assert (await count(pg, at)).allowed
    async with pg.transaction() as repos:
        assert await repos.api_calls.prune(keep=120.0, at=MINUTE + 185.0) == 2
    assert await count(pg, 186.0) == Counted(True, 1, 2, 6.0)  # the last minute's kept


async def test_nothing_to_prune_on_sqlite(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's limit is counted in memory")
    async with database.transaction() as repos:
        assert await repos.api_calls.prune(keep=120.0) == 0
