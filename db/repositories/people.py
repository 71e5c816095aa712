"""People, who is calling (with their roles and conversation in one query), their
memberships and the invitations they join with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from db.models import Consortium, Conversation, Invite, InviteRedemption, Membership, Person, Role


def _caller_joins(query: Any) -> Any:
    """Each membership of the person with its party, and the conversation they are in (one
    at most: a row per person)."""
    return (
        query.outerjoin(Membership, Membership.person_id == Person.id)
        .outerjoin(Membership.party)
        .outerjoin(Conversation, Conversation.person_id == Person.id)
        .options(contains_eager(Membership.party))
    )


# The consortium, the person with this Telegram id, their memberships and conversation; the
# person alone where there is no consortium row yet.
_CALLER = _caller_joins(
    select(Consortium, Person, Membership, Conversation)
    .select_from(Consortium)
    .outerjoin(Person, Person.telegram_id == bindparam("telegram_id"))
).order_by(Consortium.id, Membership.party_id, Membership.role)


_CALLER_ALONE = _caller_joins(
    select(Person, Membership, Conversation).where(Person.telegram_id == bindparam("telegram_id"))
).order_by(Membership.party_id, Membership.role)


class PersonRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

    async def by_id(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def caller(
        self, telegram_id: int
    ) -> tuple[Consortium | None, Person | None, tuple[Membership, ...], Conversation | None]:
        """The consortium, the person, their memberships (each with its party) and the
        conversation they are in, in one query; without a consortium row, the rest in a
        second."""
        parameters = {"telegram_id": telegram_id}
        rows = (await self.session.execute(_CALLER, parameters)).all()
        if rows:
            consortium: Consortium | None = rows[0][0]
            found = [tuple(row[1:]) for row in rows if row[0] is consortium]
        else:
            consortium = None
            found = [tuple(row) for row in await self.session.execute(_CALLER_ALONE, parameters)]
        person, conversation = (found[0][0], found[0][2]) if found else (None, None)
        return consortium, person, tuple(m for _, m, _ in found if m is not None), conversation

    async def by_ids(self, person_ids: Iterable[int]) -> dict[int, Person]:
        """The people with these ids, in one query per 10,000 (a cohort's students)."""
        ids = sorted(set(person_ids))
        found: dict[int, Person] = {}
        for start in range(0, len(ids), 10_000):  # under every database's parameter limit
            rows = await self.session.scalars(
                select(Person).where(Person.id.in_(ids[start : start + 10_000]))
            )
            found.update((person.id, person) for person in rows)
        return found

    async def by_telegram_ids(self, telegram_ids: Iterable[int]) -> dict[int, Person]:
        ids = list(set(telegram_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(Person).where(Person.telegram_id.in_(ids)))
        return {person.telegram_id: person for person in rows}

    async def all(self) -> Sequence[Person]:
        return (await self.session.scalars(select(Person).order_by(Person.telegram_id))).all()

    async def add(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person

    async def set_can_message(self, telegram_id: int, can: bool, error: str | None) -> None:
        await self.session.execute(
            update(Person)
            .where(Person.telegram_id == telegram_id)
            .values(can_message=can, message_error=error)
        )


_PEOPLE_OF_PARTY = (
    select(Person)
    .join(Membership, Membership.person_id == Person.id)
    .where(Membership.party_id == bindparam("party_id"), Membership.role == bindparam("role"))
    .order_by(Membership.person_id)
)


class MembershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_person(self, person_id: int) -> Sequence[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.person_id == person_id)
            .options(joinedload(Membership.party))
            .order_by(Membership.party_id, Membership.role)
        )
        return rows.all()

    async def all(self) -> Sequence[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .options(selectinload(Membership.party), selectinload(Membership.person))
            .order_by(Membership.person_id, Membership.party_id, Membership.role)
        )
        return rows.all()

    async def people_of_party(self, party_id: int, role: Role) -> Sequence[Person]:
        """The party's people in that role (by person, as `all()` orders them)."""
        rows = await self.session.scalars(_PEOPLE_OF_PARTY, {"party_id": party_id, "role": role})
        return rows.all()

    async def exists(self, person_id: int, party_id: int, role: Role) -> bool:
        found = await self.session.scalar(
            select(Membership.id).where(
                Membership.person_id == person_id,
                Membership.party_id == party_id,
                Membership.role == role,
            )
        )
        return found is not None

    async def add(self, person_id: int, party_id: int, role: Role) -> Membership:
        membership = Membership(person_id=person_id, party_id=party_id, role=role)
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def remove(self, membership: Membership) -> None:
        await self.session.delete(membership)
        await self.session.flush()

    async def people_with_role(self, role: Role) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == role)
            .distinct()
            .order_by(Person.telegram_id)
        )
        return rows.all()


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def by_hash_for_update(self, token_hash: str) -> Invite | None:
        """The invite, locked against a concurrent redemption where the database can lock."""
        return await self.session.scalar(
            select(Invite)
            .where(Invite.token_hash == token_hash)
            .options(selectinload(Invite.party))
            .with_for_update()
        )

    async def redeemed_by(self, invite_id: int, person_id: int) -> bool:
        found = await self.session.scalar(
            select(func.count())
            .select_from(InviteRedemption)
            .where(InviteRedemption.invite_id == invite_id, InviteRedemption.person_id == person_id)
        )
        return bool(found)

    async def redeem(self, invite: Invite, person_id: int, now: dt.datetime) -> None:
        """Count one use; the `uses <= max_uses` constraint guards against a race."""
        await self.session.execute(
            update(Invite).where(Invite.id == invite.id).values(uses=Invite.uses + 1)
        )
        self.session.add(
            InviteRedemption(invite_id=invite.id, person_id=person_id, redeemed_at=now)
        )
        await self.session.flush()
