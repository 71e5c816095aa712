"""Repositories: queries and writes per entity. They flush, and never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    Chat,
    Consortium,
    Invite,
    InviteRedemption,
    Membership,
    Party,
    Person,
    Placement,
    PlacementMentor,
    Role,
)


class ConsortiumRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> Consortium | None:
        return await self.session.scalar(select(Consortium).order_by(Consortium.id).limit(1))

    async def add(self, consortium: Consortium) -> Consortium:
        self.session.add(consortium)
        await self.session.flush()
        return consortium


class PartyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Party]:
        return (await self.session.scalars(select(Party).order_by(Party.key))).all()

    async def by_key(self, key: str) -> Party | None:
        return await self.session.scalar(select(Party).where(Party.key == key))

    async def by_id(self, party_id: int) -> Party | None:
        return await self.session.get(Party, party_id)

    async def add(self, party: Party) -> Party:
        self.session.add(party)
        await self.session.flush()
        return party


class PersonRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

    async def by_id(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

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


class MembershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_person(self, person_id: int) -> Sequence[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.person_id == person_id)
            .options(selectinload(Membership.party))
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


class ChatRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Chat | None:
        return await self.session.scalar(select(Chat).where(Chat.telegram_id == telegram_id))

    async def all(self) -> Sequence[Chat]:
        return (await self.session.scalars(select(Chat).order_by(Chat.telegram_id))).all()

    async def linked_active(self) -> Sequence[Chat]:
        rows = await self.session.scalars(
            select(Chat).where(Chat.linked.is_(True), Chat.active.is_(True)).order_by(Chat.id)
        )
        return rows.all()

    async def add(self, chat: Chat) -> Chat:
        self.session.add(chat)
        await self.session.flush()
        return chat


class PlacementRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Placement]:
        rows = await self.session.scalars(
            select(Placement)
            .options(selectinload(Placement.mentors))
            .order_by(Placement.student_id, Placement.start_date)
        )
        return rows.all()

    async def find(self, student_id: int, site_id: int, start: dt.date) -> Placement | None:
        return await self.session.scalar(
            select(Placement)
            .where(
                Placement.student_id == student_id,
                Placement.site_id == site_id,
                Placement.start_date == start,
            )
            .options(selectinload(Placement.mentors))
        )

    async def of_student(self, student_id: int) -> Sequence[Placement]:
        rows = await self.session.scalars(
            select(Placement)
            .where(Placement.student_id == student_id)
            .options(selectinload(Placement.mentors))
            .order_by(Placement.start_date)
        )
        return rows.all()

    async def add(self, placement: Placement) -> Placement:
        self.session.add(placement)
        await self.session.flush()
        return placement

    async def set_mentors(self, placement: Placement, mentors: dict[str, int]) -> bool:
        """Make the placement's mentors exactly `mentors` (kind -> person id); True if changed."""
        current = {m.party_kind.value: m.person_id for m in placement.mentors}
        if current == mentors:
            return False
        await self.session.execute(
            delete(PlacementMentor).where(PlacementMentor.placement_id == placement.id)
        )
        self.session.add_all(
            PlacementMentor(placement_id=placement.id, party_kind=kind, person_id=person_id)
            for kind, person_id in mentors.items()
        )
        await self.session.flush()
        await self.session.refresh(placement, ["mentors"])
        return True


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


class Repos:
    """All repositories over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.consortium = ConsortiumRepo(session)
        self.parties = PartyRepo(session)
        self.people = PersonRepo(session)
        self.memberships = MembershipRepo(session)
        self.chats = ChatRepo(session)
        self.placements = PlacementRepo(session)
        self.invites = InviteRepo(session)
