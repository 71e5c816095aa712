"""The Mini App's per-person limit counted in the database (PostgreSQL, replicas sharing one
allowance): the sliding minute of `db.repositories.api_calls` at given times, the Retry-After
that `bot.web.limit.sliding_wait` derives from it, the old windows pruned, and calls let
through when the database cannot count them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from bot.web.limit import SharedPerPersonLimit, retry_after, sliding_wait
from db.engine import Database
from db.repositories import Repos
from db.repositories.api_calls import Counted

MINUTE = 1_800_000_000.0  # a window's start on the database's clock (a multiple of 60)
CHEN, LI = 2001, 1001
T = TypeVar("T")


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


@pytest.mark.parametrize(
    ("calls", "refused_at"),
    [
        ([1.0, 2.0, 3.0], 59.5),  # this minute full: into the next one
        ([1.0, 2.0, 3.0], 60.2),  # the last minute's three weigh too much
        ([55.0, 58.0, 59.0], 59.5),
        ([1.0, 61.0, 62.0], 70.0),  # two now, and the last minute's one
    ],
)
async def test_retry_after_is_when_the_call_goes_ahead(
    pg: Database, calls: list[float], refused_at: float
) -> None:
    for at in calls:
        assert (await count(pg, at)).allowed
    refused = await count(pg, refused_at)
    assert not refused.allowed
    wait = sliding_wait(3, 60.0, refused.previous, refused.current, refused.elapsed)
    assert not (await count(pg, refused_at + wait - 0.01)).allowed
    assert (await count(pg, refused_at + wait + 0.01)).allowed


def test_sliding_wait() -> None:
    # Room in this minute once the last minute's calls weigh little enough.
    assert sliding_wait(3, 60.0, previous=3, current=0, elapsed=0.5) == pytest.approx(19.5)
    assert sliding_wait(3, 60.0, previous=4, current=1, elapsed=10.0) == pytest.approx(35.0)
    # This minute full: its calls weigh in the next one as the last minute's did.
    assert sliding_wait(3, 60.0, previous=0, current=3, elapsed=5.0) == pytest.approx(75.0)
    assert sliding_wait(120, 60.0, previous=0, current=120, elapsed=30.0) == pytest.approx(30.5)
    assert sliding_wait(3, 60.0, previous=0, current=2, elapsed=5.0) == 0.0


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


async def test_calls_go_through_when_the_database_cannot_count_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Database.from_url("postgresql+asyncpg://postgres@127.0.0.1:9/nothing")
    limit = SharedPerPersonLimit(unreachable, 1)
    try:
        with caplog.at_level(logging.INFO, logger="bot.web.limit"):
            assert [await limit.check(CHEN) for _ in range(3)] == [0.0, 0.0, 0.0]
    finally:
        await unreachable.dispose()
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING and "uncounted" in warning.getMessage()


class FlakyDatabase(Database):
    """The test's database, out of reach for the first `failures` statements."""

    failures = 1

    async def run_single_statement(self, work: Callable[[Repos], Awaitable[T]]) -> T:
        if self.failures:
            self.failures -= 1
            raise OSError("Connect call failed")
        return await super().run_single_statement(work)


async def test_counting_resumes_and_says_so(pg: Database, caplog: pytest.LogCaptureFixture) -> None:
    limit = SharedPerPersonLimit(FlakyDatabase(pg.engine), 1)
    with caplog.at_level(logging.INFO, logger="bot.web.limit"):
        assert await limit.check(CHEN) == 0.0  # uncounted
        assert await limit.check(CHEN) == 0.0  # counted
        assert 0 < await limit.check(CHEN) <= 120.0
    assert [r.getMessage() for r in caplog.records] == [
        "mini app calls go through uncounted, the database did not count them: Connect call failed",
        "mini app calls are counted again",
    ]


@pytest.mark.parametrize(
    ("wait", "header"), [(0.2, "1"), (1.0, "1"), (1.4, "2"), (30.5, "31"), (59.01, "60")]
)
def test_retry_after_is_never_early(wait: float, header: str) -> None:
    # Rounded to the nearest second, 1.4 s read "1": a client obeying it came back 0.4 s early
    # and met a second 429.
    assert retry_after(wait) == header
