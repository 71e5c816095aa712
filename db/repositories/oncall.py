"""On-call policies, rotations and overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OncallOverride, OncallPolicy, Party, RotationMember

_POLICY = select(OncallPolicy).where(OncallPolicy.party_id == bindparam("party_id"))


_ROTATION = (
    select(RotationMember.person_id)
    .where(RotationMember.party_id == bindparam("party_id"))
    .order_by(RotationMember.position)
)


# The party's policy (None if it has none) beside each member of its rotation in order (one
# row with no member if it has none), in one query.
_POLICY_AND_ROTATION = (
    select(OncallPolicy, RotationMember.person_id)
    .select_from(Party)
    .outerjoin(OncallPolicy, OncallPolicy.party_id == Party.id)
    .outerjoin(RotationMember, RotationMember.party_id == Party.id)
    .where(Party.id == bindparam("party_id"))
    .order_by(RotationMember.position)
)


_OVERRIDES = (
    select(OncallOverride)
    .where(
        OncallOverride.party_id == bindparam("party_id"),
        OncallOverride.ends_at > bindparam("after"),
    )
    .order_by(OncallOverride.starts_at)
)


class OncallRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self, party_id: int) -> OncallPolicy | None:
        return await self.session.scalar(_POLICY, {"party_id": party_id})

    async def policies(self) -> Sequence[OncallPolicy]:
        return (await self.session.scalars(select(OncallPolicy))).all()

    async def add_policy(self, policy: OncallPolicy) -> OncallPolicy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def policy_and_rotation(self, party_id: int) -> tuple[OncallPolicy | None, list[int]]:
        """`policy` and `rotation` in one query."""
        rows = (await self.session.execute(_POLICY_AND_ROTATION, {"party_id": party_id})).all()
        policy = rows[0][0] if rows else None
        return policy, [person_id for _, person_id in rows if person_id is not None]

    async def rotation(self, party_id: int) -> list[int]:
        """Person ids in rotation order."""
        return list(await self.session.scalars(_ROTATION, {"party_id": party_id}))

    async def set_rotation(self, party_id: int, person_ids: list[int]) -> bool:
        if await self.rotation(party_id) == person_ids:
            return False
        await self.session.execute(
            delete(RotationMember).where(RotationMember.party_id == party_id)
        )
        self.session.add_all(
            RotationMember(party_id=party_id, position=i, person_id=pid)
            for i, pid in enumerate(person_ids)
        )
        await self.session.flush()
        return True

    async def overrides(self, party_id: int, after: dt.datetime) -> Sequence[OncallOverride]:
        """Overrides of a party that have not ended by `after`."""
        rows = await self.session.scalars(_OVERRIDES, {"party_id": party_id, "after": after})
        return rows.all()

    async def find_override(
        self, party_id: int, person_id: int, starts_at: dt.datetime
    ) -> OncallOverride | None:
        return await self.session.scalar(
            select(OncallOverride).where(
                OncallOverride.party_id == party_id,
                OncallOverride.person_id == person_id,
                OncallOverride.starts_at == starts_at,
            )
        )

    async def add_override(self, override: OncallOverride) -> OncallOverride:
        self.session.add(override)
        await self.session.flush()
        return override
