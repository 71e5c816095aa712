"""The Mini App's cached cohort summary: computed once per data version, again after any
change that shows in it (whichever process made it), and kept warm only while read."""

from __future__ import annotations

import datetime as dt

from bot.services.context import ServiceContext
from bot.services.dashboard import SummaryCache
from db.engine import Database
from tests.factories import add_person

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


async def summary(database: Database, cache: SummaryCache, **kwargs: bool) -> int:
    async with database.transaction() as repos:
        found = await cache.get(ServiceContext(repos, NOW, "UTC"), **kwargs)
        return found.version


async def test_computed_once_per_version(database: Database) -> None:
    cache, other_replica = SummaryCache(), SummaryCache()
    first = await summary(database, cache)
    assert await summary(database, cache) == first and cache.computed == 1
    await summary(database, other_replica)
    async with database.transaction() as repos:  # a change, made anywhere
        await add_person(repos, 2001, "Chen Jie")
    assert await summary(database, cache) == first + 1 and cache.computed == 2
    assert await summary(database, other_replica) == first + 1
    assert other_replica.computed == 2  # it saw the change too: nothing stale


async def test_the_warmer_does_not_count_as_reading(database: Database) -> None:
    cache = SummaryCache()
    await summary(database, cache, reading=False)
    assert cache.computed == 1 and not cache.read_within(3600)
    await summary(database, cache)
    assert cache.read_within(3600) and cache.computed == 1
