"""The weekly reports' messages that must arrive: review requests to mentors (with the
report's files), scores to the student, and reminders, written to the outbox in the
caller's transaction."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.manual import Manual
from bot.outbox.writer import OutboxWriter
from bot.renderers.credits import render_training_for_student
from bot.renderers.dashboard import with_open
from bot.renderers.reports import (
    render_feedback,
    render_review_reminder,
    render_review_request,
    render_student_reminder,
)
from bot.services.credits import TrainingAdded
from bot.services.reports import Due, Submission
from db.models import Assessment, Person, WeeklyReport


class ReportOutbox(OutboxWriter):
    async def training(self, added: TrainingAdded, hours: Decimal) -> None:
        """The student hears of training hours recorded for them."""
        assert added.student is not None
        t = await self._for_person(added.student)
        await self._add(
            added.student.telegram_id,
            "training.recorded",
            text=render_training_for_student(added, hours, t),
            person=added.student,
        )

    async def submission(self, submission: Submission) -> None:
        for assessment, mentor in submission.requests:
            t = await self._for_person(mentor)
            rendered = render_review_request(
                submission.report, submission.student, assessment, submission.corrected, t
            )
            keyboard = with_open(
                rendered.keyboard,
                self.services.settings.webapp_url,
                t,
                view="queue",
                assessment=assessment.id,
            )
            await self._add(
                mentor.telegram_id,
                "report.review",
                text=rendered.text,
                keyboard=keyboard,
                person=mentor,
            )
            for attachment in submission.attachments:
                await self._add(
                    mentor.telegram_id,
                    "report.file",
                    person=mentor,
                    file=(attachment.kind, attachment.file_id),
                )

    async def feedback(
        self,
        assessment: Assessment,
        report: WeeklyReport,
        student: Person,
        mentor: Person,
        manual: Manual,
    ) -> None:
        party = None
        for membership in await self.repos.memberships.of_person(mentor.id):
            candidate = await self.repos.parties.by_id(membership.party_id)
            if candidate is not None and candidate.kind == assessment.party_kind:
                party = candidate
        t = await self._for_person(student)
        await self._add(
            student.telegram_id,
            "report.feedback",
            text=render_feedback(assessment, report, mentor, party, t, manual),
            person=student,
        )

    async def due(self, due: Due) -> None:
        for reminder in due.reminders:
            t = await self._for_person(reminder.student)
            await self._add(
                reminder.student.telegram_id,
                f"report.{reminder.stage.value}",
                text=render_student_reminder(
                    reminder.stage, reminder.week, reminder.deadline, reminder.zone, t
                ),
                person=reminder.student,
            )
        for assessment, mentor, student in due.reviews:
            t = await self._for_person(mentor)
            rendered = render_review_reminder(assessment, student, t)
            await self._add(
                mentor.telegram_id,
                "report.review_reminder",
                text=rendered.text,
                keyboard=rendered.keyboard,
                person=mentor,
            )
