"""Joining through invites at the service level, including a race for the last use."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.domain.invites import InviteRequest, InviteState
from bot.services.people import TelegramProfile, create_invite, join_with_invite, load_caller
from db.engine import Database
from db.models import Consortium, Conversation, PartyKind, Role
from db.repositories import Repos
from tests.factories import add_membership, add_party, add_person

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


async def _invite(database: Database, uses: int = 1) -> str:
    async with database.transaction() as repos:
        await add_party(repos, "nbu", name="Ningbo University")
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


@pytest.mark.parametrize("with_consortium", [True, False])
async def test_the_caller_with_memberships_and_conversation_in_one_query(
    database: Database, with_consortium: bool
) -> None:
    """Two memberships and a conversation: each membership once, the conversation read with
    them; someone in none has none; a stranger is nobody."""
    async with database.transaction() as repos:
        if with_consortium:
            repos.session.add(Consortium(name="C", timezone="Asia/Shanghai", language="zh"))
        nbu = await add_party(repos, "nbu", timezone="Europe/Berlin")
        site = await add_party(repos, "site", PartyKind.OVERSEAS_SITE, name="Site")
        ann, bo = await add_person(repos, 5, "Ann"), await add_person(repos, 6, "Bo")
        await add_membership(repos, ann, nbu, Role.MENTOR)
        await add_membership(repos, ann, site, Role.CONTACT)
        await add_membership(repos, bo, site, Role.STUDENT)
        repos.session.add(
            Conversation(person_id=ann.id, kind="report", ref_id=7, step="hours", updated_at=NOW)
        )
    async with database.transaction() as repos:
        caller = await load_caller(repos, 5, None, "UTC")
        other = await load_caller(repos, 6, None, "UTC")
        stranger = await load_caller(repos, 9, "en", "UTC")
    assert caller.person is not None and caller.person.name == "Ann"
    assert sorted((m.party.key, m.role) for m in caller.memberships) == [
        ("nbu", Role.MENTOR),
        ("site", Role.CONTACT),
    ]
    assert caller.conversation is not None
    assert (caller.conversation.kind, caller.conversation.ref_id) == ("report", 7)
    assert caller.timezone == "Europe/Berlin"  # the first party's with a zone
    assert caller.language == ("zh" if with_consortium else "en")
    assert other.person is not None and other.conversation is None
    assert [m.role for m in other.memberships] == [Role.STUDENT]
    assert (stranger.person, stranger.memberships, stranger.conversation) == (None, (), None)
