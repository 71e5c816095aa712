"""Research topics, their needs, applications, teams, mentors, cycle reports, scores
and reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ApplicationState,
    Person,
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicMentor,
    TopicNeed,
    TopicReminder,
    TopicReport,
    TopicState,
)
from db.repositories.statements import scores_waiting


class TopicRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, topic: Topic) -> Topic:
        self.session.add(topic)
        await self.session.flush()
        return topic

    async def delete(self, topic: Topic) -> None:
        await self.session.delete(topic)
        await self.session.flush()

    async def get(self, topic_id: int, *, for_update: bool = False) -> Topic | None:
        query = select(Topic).where(Topic.id == topic_id).execution_options(populate_existing=True)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def listed(self) -> Sequence[Topic]:
        """Open and running topics, the newest first."""
        rows = await self.session.scalars(
            select(Topic)
            .where(Topic.state.in_([TopicState.OPEN, TopicState.RUNNING]))
            .order_by(Topic.id.desc())
        )
        return rows.all()

    async def running(self) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.state == TopicState.RUNNING).order_by(Topic.id)
        )
        return rows.all()

    async def of_party(self, party_id: int) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.party_id == party_id).order_by(Topic.id)
        )
        return rows.all()

    async def drafts_of(self, person_id: int) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.author_id == person_id, Topic.state == TopicState.DRAFT)
        )
        return rows.all()

    async def add_need(self, need: TopicNeed) -> TopicNeed:
        self.session.add(need)
        await self.session.flush()
        return need

    async def needs(self, topic_id: int) -> Sequence[TopicNeed]:
        rows = await self.session.scalars(
            select(TopicNeed).where(TopicNeed.topic_id == topic_id).order_by(TopicNeed.id)
        )
        return rows.all()

    async def application(self, application_id: int) -> TopicApplication | None:
        return await self.session.scalar(
            select(TopicApplication)
            .where(TopicApplication.id == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def application_of(self, topic_id: int, student_id: int) -> TopicApplication | None:
        return await self.session.scalar(
            select(TopicApplication).where(
                TopicApplication.topic_id == topic_id, TopicApplication.student_id == student_id
            )
        )

    async def add_application(self, application: TopicApplication) -> TopicApplication:
        self.session.add(application)
        await self.session.flush()
        return application

    async def applications(self, topic_id: int) -> Sequence[TopicApplication]:
        rows = await self.session.scalars(
            select(TopicApplication)
            .where(TopicApplication.topic_id == topic_id)
            .order_by(TopicApplication.id)
        )
        return rows.all()

    async def applications_to_party(
        self, party_id: int, since: dt.datetime, until: dt.datetime
    ) -> Sequence[TopicApplication]:
        rows = await self.session.scalars(
            select(TopicApplication)
            .join(Topic, Topic.id == TopicApplication.topic_id)
            .where(
                Topic.party_id == party_id,
                TopicApplication.applied_at >= since,
                TopicApplication.applied_at < until,
            )
        )
        return rows.all()

    async def team(self, topic_id: int) -> list[int]:
        """Person ids of the accepted students."""
        rows = await self.session.scalars(
            select(TopicApplication.student_id)
            .where(
                TopicApplication.topic_id == topic_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(TopicApplication.id)
        )
        return list(rows.all())

    async def member_ids(self) -> set[int]:
        """Every student in the team of some topic."""
        rows = await self.session.scalars(
            select(TopicApplication.student_id)
            .where(TopicApplication.state == ApplicationState.ACCEPTED)
            .distinct()
        )
        return set(rows.all())

    async def team_people(self, topic_id: int) -> Sequence[Person]:
        """The accepted students, in the order they applied."""
        rows = await self.session.scalars(
            select(Person)
            .join(TopicApplication, TopicApplication.student_id == Person.id)
            .where(
                TopicApplication.topic_id == topic_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(TopicApplication.id)
        )
        return rows.all()

    async def topics_of_student(self, student_id: int) -> Sequence[Topic]:
        """Topics whose team the student is in."""
        rows = await self.session.scalars(
            select(Topic)
            .join(TopicApplication, TopicApplication.topic_id == Topic.id)
            .where(
                TopicApplication.student_id == student_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(Topic.id)
        )
        return rows.all()

    async def mentors(self, topic_id: int) -> Sequence[TopicMentor]:
        rows = await self.session.scalars(
            select(TopicMentor)
            .where(TopicMentor.topic_id == topic_id)
            .order_by(TopicMentor.party_kind)
        )
        return rows.all()

    async def set_mentor(self, mentor: TopicMentor) -> None:
        await self.session.merge(mentor)
        await self.session.flush()

    async def report(self, report_id: int, *, for_update: bool = False) -> TopicReport | None:
        query = (
            select(TopicReport)
            .where(TopicReport.id == report_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def report_of(self, topic_id: int, cycle: int) -> TopicReport | None:
        return await self.session.scalar(
            select(TopicReport).where(TopicReport.topic_id == topic_id, TopicReport.cycle == cycle)
        )

    async def reports(self, topic_id: int) -> Sequence[TopicReport]:
        rows = await self.session.scalars(
            select(TopicReport).where(TopicReport.topic_id == topic_id).order_by(TopicReport.cycle)
        )
        return rows.all()

    async def add_report(self, report: TopicReport) -> TopicReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def assessment(
        self, assessment_id: int, *, for_update: bool = False
    ) -> TopicAssessment | None:
        query = (
            select(TopicAssessment)
            .where(TopicAssessment.id == assessment_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def assessments(self, report_id: int) -> Sequence[TopicAssessment]:
        rows = await self.session.scalars(
            select(TopicAssessment)
            .where(TopicAssessment.report_id == report_id)
            .order_by(TopicAssessment.party_kind)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def add_assessment(self, assessment: TopicAssessment) -> TopicAssessment:
        self.session.add(assessment)
        await self.session.flush()
        return assessment

    async def assessments_waiting(self, before: dt.datetime) -> Sequence[TopicAssessment]:
        """Requested before `before`, not completed, not yet reminded."""
        return (await self.session.scalars(scores_waiting(TopicAssessment, before))).all()

    async def assessments_requested(
        self, since: dt.datetime, until: dt.datetime
    ) -> Sequence[TopicAssessment]:
        rows = await self.session.scalars(
            select(TopicAssessment).where(
                TopicAssessment.requested_at >= since, TopicAssessment.requested_at < until
            )
        )
        return rows.all()

    async def reminded(self, topic_id: int, cycle: int) -> set[str]:
        rows = await self.session.scalars(
            select(TopicReminder.stage).where(
                TopicReminder.topic_id == topic_id, TopicReminder.cycle == cycle
            )
        )
        return set(rows.all())

    async def add_reminder(self, reminder: TopicReminder) -> None:
        self.session.add(reminder)
        await self.session.flush()
