"""Weekly reports, their files and reminders, and the scores mentors give them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from db.models import (
    Assessment,
    Placement,
    PlacementMentor,
    ReportAttachment,
    ReportPolicy,
    ReportReminder,
    ReportStatus,
    WeeklyReport,
)
from db.repositories.statements import (
    PLACEMENTS,
    PLACEMENTS_OF,
    driver_rows,
    scores_pending,
    scores_waiting,
)
from db.sqlite import in_worker_thread

_REPORT = (
    select(WeeklyReport)
    .where(WeeklyReport.id == bindparam("report_id"))
    .options(joinedload(WeeklyReport.attachments))  # with the report, one query
    .execution_options(populate_existing=True)
)


_REPORT_FOR_UPDATE = _REPORT.with_for_update(of=WeeklyReport)  # not the attachments' join


class ReportRepo:
    """Weekly reports, their attachments and reminders, and the rules they follow."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def placements(self, student_id: int | None = None) -> Sequence[Placement]:
        """The placements (of one student, or everyone's) that set the weeks a report is owed,
        with their mentors, by student and start."""
        if student_id is None:
            return (await self.session.scalars(PLACEMENTS)).all()
        return (await self.session.scalars(PLACEMENTS_OF, {"student_id": student_id})).all()

    async def policy(self) -> ReportPolicy | None:
        return await self.session.scalar(select(ReportPolicy).order_by(ReportPolicy.id).limit(1))

    async def add_policy(self, policy: ReportPolicy) -> ReportPolicy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def get(self, report_id: int, *, for_update: bool = False) -> WeeklyReport | None:
        query = _REPORT_FOR_UPDATE if for_update else _REPORT
        result = await self.session.execute(query, {"report_id": report_id})
        return result.unique().scalar_one_or_none()

    async def of_week(self, student_id: int, week: dt.date) -> WeeklyReport | None:
        return await self.session.scalar(
            select(WeeklyReport)
            .where(WeeklyReport.student_id == student_id, WeeklyReport.week == week)
            .options(selectinload(WeeklyReport.attachments))
        )

    async def of_student(self, student_id: int) -> Sequence[WeeklyReport]:
        rows = await self.session.scalars(
            select(WeeklyReport)
            .where(WeeklyReport.student_id == student_id)
            .order_by(WeeklyReport.week)
        )
        return rows.all()

    async def statuses(
        self, student_ids: Iterable[int], weeks: Iterable[dt.date]
    ) -> dict[tuple[int, dt.date], ReportStatus]:
        """Per (student, week): the report's status; a report being corrected counts as
        submitted."""
        rows = await self.session.execute(
            select(
                WeeklyReport.student_id,
                WeeklyReport.week,
                WeeklyReport.status,
                WeeklyReport.submitted_at,
            ).where(
                WeeklyReport.student_id.in_(list(student_ids)),
                WeeklyReport.week.in_(list(weeks)),
            )
        )
        return {
            (student, week): ReportStatus.SUBMITTED if submitted_at else status
            for student, week, status, submitted_at in rows.all()
        }

    async def add(self, report: WeeklyReport) -> WeeklyReport:
        self.session.add(report)
        await self.session.flush()
        await self.session.refresh(report, ["attachments"])
        return report

    async def delete(self, report: WeeklyReport) -> None:
        await self.session.delete(report)
        await self.session.flush()

    async def add_attachment(self, attachment: ReportAttachment) -> None:
        self.session.add(attachment)
        await self.session.flush()

    async def reminders(
        self, student_ids: Iterable[int], weeks: Iterable[dt.date]
    ) -> set[tuple[int, dt.date, str]]:
        rows = await self.session.execute(
            select(ReportReminder.student_id, ReportReminder.week, ReportReminder.stage).where(
                ReportReminder.student_id.in_(list(student_ids)),
                ReportReminder.week.in_(list(weeks)),
            )
        )
        return {(student, week, stage) for student, week, stage in rows.all()}

    async def add_reminder(self, reminder: ReportReminder) -> None:
        self.session.add(reminder)
        await self.session.flush()

    async def overdue_count(self) -> int:
        """Weekly reports past their deadline (an "overdue" reminder reached) and not
        submitted."""
        submitted = exists().where(
            and_(
                WeeklyReport.student_id == ReportReminder.student_id,
                WeeklyReport.week == ReportReminder.week,
                WeeklyReport.status == ReportStatus.SUBMITTED,
            )
        )
        count = await self.session.scalar(
            select(func.count())
            .select_from(ReportReminder)
            .where(ReportReminder.stage == "overdue", ~submitted)
        )
        return count or 0

    async def submitted_counts(self) -> dict[int, int]:
        """Per student, how many reports were submitted (late ones included)."""
        rows = await self.session.execute(
            select(WeeklyReport.student_id, func.count())
            .where(WeeklyReport.status == ReportStatus.SUBMITTED)
            .group_by(WeeklyReport.student_id)
        )
        return {student: count for student, count in rows.all()}

    async def submitted(self, student_ids: Iterable[int] | None = None) -> Sequence[WeeklyReport]:
        query = select(WeeklyReport).where(WeeklyReport.status != ReportStatus.DRAFT)
        if student_ids is not None:
            query = query.where(WeeklyReport.student_id.in_(list(student_ids)))
        rows = await self.session.scalars(
            query.order_by(WeeklyReport.student_id, WeeklyReport.week)
        )
        return rows.all()

    async def erase_texts(self, which: ColumnElement[bool]) -> int:
        """Blank the free text of the reports `which` selects and drop their files; the
        weeks, hours and self-assessments stay. The number of reports blanked."""
        ids = list(
            (
                await self.session.scalars(
                    select(WeeklyReport.id).where(
                        which,
                        (WeeklyReport.activities.is_not(None))
                        | (WeeklyReport.episode.is_not(None))
                        | (WeeklyReport.problems.is_not(None))
                        | (WeeklyReport.compliance_note.is_not(None))
                        | WeeklyReport.id.in_(select(ReportAttachment.report_id)),
                    )
                )
            ).all()
        )
        if not ids:
            return 0
        await self.session.execute(
            update(WeeklyReport)
            .where(WeeklyReport.id.in_(ids))
            .values(activities=None, episode=None, problems=None, compliance_note=None)
        )
        await self.session.execute(
            delete(ReportAttachment).where(ReportAttachment.report_id.in_(ids))
        )
        return len(ids)

    async def erase_texts_of(self, student_id: int) -> int:
        """`erase_texts` of one student's reports."""
        return await self.erase_texts(WeeklyReport.student_id == student_id)


class AssessmentRepo:
    """Scores per party and week: requested from mentors, or imported."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, assessment_id: int, *, for_update: bool = False) -> Assessment | None:
        query = (
            select(Assessment)
            .where(Assessment.id == assessment_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def reports_waiting(self, student_id: int) -> int:
        """How many of this student's submitted reports still wait for a mentor's scores."""
        count = await self.session.scalar(
            select(func.count(func.distinct(Assessment.report_id)))
            .join(WeeklyReport, WeeklyReport.id == Assessment.report_id)
            .where(
                WeeklyReport.student_id == student_id,
                WeeklyReport.status == ReportStatus.SUBMITTED,
                Assessment.completed_at.is_(None),
            )
        )
        return int(count or 0)

    async def of_report(self, report_id: int) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment)
            .where(Assessment.report_id == report_id)
            .order_by(Assessment.party_kind)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def completed_rows(
        self, student_ids: Iterable[int] | None = None
    ) -> list[tuple[Any, ...]]:
        """(student id, week, party kind, tech_rd, cross_cultural, rule_adaptation) of every
        completed assessment, or of these students', as the driver returns them: the week a
        date or its ISO text, the kind its text, a missing score None."""
        query = select(
            Assessment.student_id,
            Assessment.week,
            Assessment.party_kind,
            # As floats from the driver itself (PostgreSQL's NUMERIC would come as Decimal).
            Assessment.tech_rd.cast(Float),
            Assessment.cross_cultural.cast(Float),
            Assessment.rule_adaptation.cast(Float),
        ).where(Assessment.completed_at.is_not(None))
        if student_ids is not None:
            query = query.where(Assessment.student_id.in_(list(student_ids)))
        connection = await self.session.connection()
        with in_worker_thread():  # millions of rows: SQLite reads them off the event loop
            return await connection.run_sync(driver_rows, query)

    async def of_week(self, student_id: int, week: dt.date) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment).where(Assessment.student_id == student_id, Assessment.week == week)
        )
        return rows.all()

    async def add(self, assessment: Assessment) -> Assessment:
        self.session.add(assessment)
        await self.session.flush()
        return assessment

    async def waiting_since(self, before: dt.datetime) -> Sequence[Assessment]:
        """Requested before `before`, not completed, not yet reminded."""
        return (await self.session.scalars(scores_waiting(Assessment, before))).all()

    async def pending_count(self) -> int:
        """Scores requested from mentors and not given yet."""
        return int(await self.session.scalar(scores_pending(Assessment)) or 0)

    async def requested_between(
        self, since: dt.datetime, until: dt.datetime
    ) -> Sequence[Assessment]:
        """Scores asked of mentors in a period (imported ones are never asked)."""
        rows = await self.session.scalars(
            select(Assessment).where(
                Assessment.requested_at >= since,
                Assessment.requested_at < until,
                Assessment.mentor_id.is_not(None),
            )
        )
        return rows.all()

    async def mentored_by(self, mentor_id: int) -> list[int]:
        """The students (person ids) a mentor scores, from placements."""
        rows = await self.session.scalars(
            select(Placement.student_id)
            .join(PlacementMentor, PlacementMentor.placement_id == Placement.id)
            .where(PlacementMentor.person_id == mentor_id)
            .distinct()
        )
        return sorted(rows.all())
