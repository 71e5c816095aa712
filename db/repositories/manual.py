"""The assessment manual's versions and the scores kept from earlier versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AssessmentHistory, ManualVersion


class ManualRepo:
    """The manual's stored versions (2 and up) and the assessments' earlier scores."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self) -> ManualVersion | None:
        """The version in force; None while the built-in rubric (version 1) is."""
        return await self.session.scalar(
            select(ManualVersion).order_by(ManualVersion.version.desc()).limit(1)
        )

    async def get(self, version: int) -> ManualVersion | None:
        return await self.session.get(ManualVersion, version)

    async def all(self) -> Sequence[ManualVersion]:
        return (await self.session.scalars(select(ManualVersion).order_by("version"))).all()

    async def add(self, version: ManualVersion) -> None:
        self.session.add(version)
        await self.session.flush()

    async def keep(self, earlier: AssessmentHistory) -> None:
        """Keep scores that a re-scoring replaces."""
        self.session.add(earlier)
        await self.session.flush()

    async def history(
        self, *, student_id: int | None = None, assessment_id: int | None = None
    ) -> Sequence[AssessmentHistory]:
        """Earlier scores of a student's weeks, or of one assessment, oldest first."""
        query = select(AssessmentHistory).order_by(AssessmentHistory.id)
        if student_id is not None:
            query = query.where(AssessmentHistory.student_id == student_id)
        if assessment_id is not None:
            query = query.where(AssessmentHistory.assessment_id == assessment_id)
        return (await self.session.scalars(query)).all()
