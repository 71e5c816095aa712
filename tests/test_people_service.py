"""Joining through invites at the service level, including a race for the last use."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.domain.invites import InviteRequest, InviteState
from bot.services.people import TelegramProfile, create_invite, join_with_invite
from db.engine import Database
from db.models import Party, PartyKind, Role
from db.repositories import Repos

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


async def _invite(database: Database, uses: int = 1) -> str:
    async with database.transaction() as repos:
        await repos.parties.add(
            Party(key="nbu", name="Ningbo University", kind=PartyKind.UNIVERSITY)
        )
        created = await create_invite(repos, InviteRequest("nbu", Role.STUDENT, uses, 7), None, NOW)
        assert created is not None
        return created.token


async def test_join_records_person_membership_and_use(database: Database) -> None:
    token = await _invite(database, uses=2)
    async with database.transaction() as repos:
        result = await join_with_invite(repos, token, TelegramProfile(5, "Ann", "ann"), NOW)
    assert result.state is InviteState.OK and not result.already_member
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(5)
        assert person is not None and person.username == "ann" and person.can_message
        assert person.consented_at == NOW
        assert [m.role for m in await repos.memberships.of_person(person.id)] == [Role.STUDENT]
        again = await join_with_invite(repos, token, TelegramProfile(5, "Ann"), NOW)
        assert again.state is InviteState.ALREADY_USED


async def test_unknown_party_gives_no_invite(repos: Repos) -> None:
    assert await create_invite(repos, InviteRequest("nope", Role.MENTOR, 1, 7), None, NOW) is None


async def test_two_people_racing_for_the_last_use(database: Database) -> None:
    """The database decides: one joins, the other is told the link is used up, and the
    loser's transaction still commits cleanly."""
    token = await _invite(database, uses=1)

    async def second_person() -> InviteState:
        async with database.transaction() as repos:
            result = await join_with_invite(repos, token, TelegramProfile(7, "Bo"), NOW)
            return result.state

    async with database.session() as session:
        await session.begin()
        first = await join_with_invite(Repos(session), token, TelegramProfile(6, "Ann"), NOW)
        assert first.state is InviteState.OK
        racer = asyncio.create_task(second_person())
        await asyncio.sleep(0.3)  # the second join now waits on the first one's lock
        assert not racer.done()
        await session.commit()
    assert await asyncio.wait_for(racer, 30) is InviteState.USED_UP
    async with database.transaction() as repos:
        members = [
            p.telegram_id
            for p in await repos.people.all()
            if await repos.memberships.of_person(p.id)
        ]
    assert members == [6]
