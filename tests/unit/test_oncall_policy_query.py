"""A party's on-call policy and rotation, read in one query (`OncallRepo.policy_and_rotation`)."""

from __future__ import annotations

import datetime as dt

from db.engine import Database
from db.models import OncallPolicy, PartyKind
from tests.factories import add_party, add_person


async def _parties(database: Database) -> tuple[int, int, list[int]]:
    """Two parties and three people."""
    async with database.transaction() as repos:
        nbu = await add_party(repos, "nbu")
        site = await add_party(repos, "site", PartyKind.OVERSEAS_SITE, name="Site")
        people = [await add_person(repos, 1000 + i, f"Contact {i}") for i in range(3)]
        return nbu.id, site.id, [p.id for p in people]


async def test_none_and_no_one_for_a_party_without_either(database: Database) -> None:
    nbu, _site, _people = await _parties(database)
    async with database.transaction() as repos:
        assert await repos.oncall.policy_and_rotation(nbu) == (None, [])


async def test_the_policy_and_the_rotation_in_its_order(database: Database) -> None:
    nbu, site, (a, b, c) = await _parties(database)
    async with database.transaction() as repos:
        await repos.oncall.add_policy(
            OncallPolicy(
                party_id=nbu, period="daily", handoff="09:00", starts_on=dt.date(2026, 12, 7)
            )
        )
        await repos.oncall.set_rotation(nbu, [c, a, b])
        await repos.oncall.set_rotation(site, [b])  # a rotation, and no policy
    async with database.transaction() as repos:
        policy, members = await repos.oncall.policy_and_rotation(nbu)
        assert policy is not None and (policy.party_id, policy.period) == (nbu, "daily")
        assert members == [c, a, b] == await repos.oncall.rotation(nbu)
        assert await repos.oncall.policy_and_rotation(site) == (None, [b])
    async with database.transaction() as repos:
        await repos.oncall.set_rotation(nbu, [])
    async with database.transaction() as repos:
        policy, members = await repos.oncall.policy_and_rotation(nbu)
        assert policy is not None and members == []
