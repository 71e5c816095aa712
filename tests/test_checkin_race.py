"""Two coordinators open a check-in at the same moment: the database decides, one opens it,
the other is told it is already open, and no group gets two polls."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.services import checkin
from db.engine import Database
from db.models import Chat, CheckinState
from db.repositories import Repos

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


async def test_two_coordinators_open_at_once(database: Database) -> None:
    async with database.transaction() as repos:
        await repos.chats.add(
            Chat(telegram_id=-100, title="G", type="supergroup", linked=True, active=True)
        )

    async def second() -> str:
        async with database.transaction() as repos:
            ctx = checkin.Context(repos, NOW, "UTC")
            return (await checkin.open_checkin(ctx, None, None, dt.timedelta(hours=72))).reason

    async with database.session() as session:
        await session.begin()
        ctx = checkin.Context(Repos(session), NOW, "UTC")
        first = await checkin.open_checkin(ctx, None, None, dt.timedelta(hours=72))
        assert first.reason == "opened"
        racer = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second opening waits on the first one's lock
        assert not racer.done()
        await session.commit()
    assert await asyncio.wait_for(racer, 30) == "already_open"
    async with database.transaction() as repos:
        current = await repos.checkins.open_one()
        assert current is not None and current.state is CheckinState.OPEN
        assert first.checkin is not None and current.id == first.checkin.id
