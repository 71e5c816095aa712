"""What the Mini App's dashboard reads besides the features' own repositories: the version
of the data its cached figures are computed from (`db/data_version.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.data_version import ANALYTICS
from db.models import (
    Assessment,
    DataVersion,
    Person,
    ReportAttachment,
    ReportStatus,
    WeeklyReport,
)


class DashboardRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def analytics_version(self) -> int:
        """Raised by every commit that changed scores, reports, placements, people's names,
        parties or the rules (0 before any)."""
        found = await self.session.scalar(
            select(DataVersion.value).where(DataVersion.name == ANALYTICS)
        )
        return int(found or 0)

    async def scores_of(self, student_id: int) -> Sequence[Assessment]:
        """A student's completed assessments, by week and party kind (scores and comments)."""
        rows = await self.session.scalars(
            select(Assessment)
            .where(Assessment.student_id == student_id, Assessment.completed_at.is_not(None))
            .order_by(Assessment.week, Assessment.party_kind)
        )
        return rows.all()

    async def queue_of(self, mentor_id: int) -> Sequence[tuple[Assessment, WeeklyReport, Person]]:
        """The reports waiting for this mentor's scores, the longest-waiting first."""
        rows = await self.session.execute(
            select(Assessment, WeeklyReport, Person)
            .join(WeeklyReport, WeeklyReport.id == Assessment.report_id)
            .join(Person, Person.id == Assessment.student_id)
            .where(
                Assessment.mentor_id == mentor_id,
                Assessment.completed_at.is_(None),
                WeeklyReport.status == ReportStatus.SUBMITTED,
            )
            .order_by(Assessment.requested_at, Assessment.id)
        )
        return [(a, r, p) for a, r, p in rows.all()]

    async def attachments(self, report_id: int) -> Sequence[ReportAttachment]:
        rows = await self.session.scalars(
            select(ReportAttachment)
            .where(ReportAttachment.report_id == report_id)
            .order_by(ReportAttachment.added_at, ReportAttachment.id)
        )
        return rows.all()
