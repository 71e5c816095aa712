"""Students' placements at overseas sites and their mentors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Membership, Party, Placement, PlacementMentor
from db.repositories.statements import PLACEMENTS, PLACEMENTS_OF


class PlacementRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Placement]:
        return (await self.session.scalars(PLACEMENTS)).all()

    async def spans(
        self, student_ids: Iterable[int] | None = None
    ) -> list[tuple[int, int, dt.date, dt.date]]:
        """(student id, site id, start, end) of every placement (or of these students'), by
        student and start: what a sweep over every student needs, without the mentors."""
        query = select(
            Placement.student_id, Placement.site_id, Placement.start_date, Placement.end_date
        ).order_by(Placement.student_id, Placement.start_date)
        if student_ids is not None:
            query = query.where(Placement.student_id.in_(list(student_ids)))
        rows = await self.session.execute(query)
        return [(student, site, start, end) for student, site, start, end in rows]

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
        return (await self.session.scalars(PLACEMENTS_OF, {"student_id": student_id})).all()

    async def add(self, placement: Placement) -> Placement:
        self.session.add(placement)
        await self.session.flush()
        return placement

    async def load_mentors(self, placement: Placement) -> None:
        """Read a new placement's mentors (none yet), so that `mentors` can be used."""
        await self.session.refresh(placement, ["mentors"])

    async def mentor_parties(self) -> list[tuple[int, str]]:
        """(student id, party name) for every party whose mentor is on one of the student's
        placements: the mentor's own party of that kind."""
        rows = await self.session.execute(
            select(Placement.student_id, Party.name)
            .join(PlacementMentor, PlacementMentor.placement_id == Placement.id)
            .join(Membership, Membership.person_id == PlacementMentor.person_id)
            .join(
                Party,
                (Party.id == Membership.party_id) & (Party.kind == PlacementMentor.party_kind),
            )
            .distinct()
        )
        return [(student, party) for student, party in rows.all()]

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
