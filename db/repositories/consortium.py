"""The consortium row and its parties."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Consortium, Party

# The consortium row read in this transaction, kept in the session: the caller's query
# (`PersonRepo.caller`) reads it along, so the update's later asks cost no query.
READ = "consortium.row"


class ConsortiumRepo:
    """The one consortium row, read once per transaction: the caller, the notices and the
    time zones of one update all ask for it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> Consortium | None:
        if READ not in self.session.info:
            self.session.info[READ] = await self.session.scalar(
                select(Consortium).order_by(Consortium.id).limit(1)
            )
        found: Consortium | None = self.session.info[READ]
        return found

    async def add(self, consortium: Consortium) -> Consortium:
        self.session.add(consortium)
        await self.session.flush()
        self.session.info.pop(READ, None)  # the first row may not be this one
        return consortium


_PARTY_BY_KEY = select(Party).where(Party.key == bindparam("key"))


class PartyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Party]:
        return (await self.session.scalars(select(Party).order_by(Party.key))).all()

    async def by_key(self, key: str) -> Party | None:
        return await self.session.scalar(_PARTY_BY_KEY, {"key": key})

    async def by_id(self, party_id: int) -> Party | None:
        return await self.session.get(Party, party_id)

    async def add(self, party: Party) -> Party:
        self.session.add(party)
        await self.session.flush()
        return party
