"""Research topics' messages that must arrive, written to the outbox in the caller's
transaction: announcements, applications and answers, the team's start, reports to
score, scores to the team and reminders."""

from __future__ import annotations

from bot.domain.topics import Cycle
from bot.outbox_writer import OutboxWriter
from bot.renderers.topics import (
    render_announcement,
    render_application,
    render_closed,
    render_decision_for_student,
    render_need_added,
    render_new_topic_for_coordinator,
    render_report_for_team,
    render_review_request,
    render_started,
    render_team_reminder,
    render_topic_feedback,
    render_topic_review_reminder,
)
from bot.services.topics import Scored, TopicsDue, TopicSubmission, TopicView
from db.models import Party, Person, Topic, TopicApplication, TopicReport


class TopicOutbox(OutboxWriter):
    async def published(self, topic: Topic, party: Party, coordinators: list[Person]) -> None:
        for person in coordinators:
            rendered = render_new_topic_for_coordinator(
                topic, party, await self._for_person(person)
            )
            await self._add(
                person.telegram_id,
                "topic.published",
                text=rendered.text,
                keyboard=rendered.keyboard,
                person=person,
            )

    async def announcement(self, view: TopicView, chat_ids: list[int]) -> None:
        for chat_id in chat_ids:
            chat = await self.repos.chats.by_telegram_id(chat_id)
            if chat is None:
                continue
            rendered = render_announcement(view, await self._for_chat(chat))
            await self._add(
                chat_id, "topic.announce", text=rendered.text, keyboard=rendered.keyboard
            )

    async def need(self, topic: Topic, party: Party, text: str, contacts: list[Person]) -> None:
        for person in contacts:
            t = await self._for_person(person)
            await self._add(
                person.telegram_id,
                "topic.need",
                text=render_need_added(topic, party, text, t),
                person=person,
            )

    async def application(
        self, topic: Topic, student: Person, application: TopicApplication, contacts: list[Person]
    ) -> None:
        for person in contacts:
            rendered = render_application(
                topic, student, application.id, await self._for_person(person)
            )
            await self._add(
                person.telegram_id,
                "topic.application",
                text=rendered.text,
                keyboard=rendered.keyboard,
                person=person,
            )

    async def decision(self, accepted: bool, topic: Topic, student: Person) -> None:
        t = await self._for_person(student)
        await self._add(
            student.telegram_id,
            "topic.decision",
            text=render_decision_for_student(accepted, topic, t),
            person=student,
        )

    async def started(self, view: TopicView, first: Cycle) -> None:
        zone, _ = await self._zone_and_language()
        people = {p.id: p for p in [*view.team, *(p for _, p in view.mentors)]}
        for person in people.values():
            t = await self._for_person(person)
            await self._add(
                person.telegram_id,
                "topic.started",
                text=render_started(view, first, zone, t),
                person=person,
            )

    async def closed(self, view: TopicView, by: Person) -> None:
        """The team and the mentors hear that the topic is closed (not who closed it)."""
        people = {p.id: p for p in [*view.team, *(p for _, p in view.mentors)]}
        for person in people.values():
            if person.id == by.id:
                continue
            t = await self._for_person(person)
            await self._add(
                person.telegram_id,
                "topic.closed",
                text=render_closed(view.topic, t),
                person=person,
            )

    async def submission(self, submission: TopicSubmission) -> None:
        for assessment, mentor in submission.requests:
            rendered = render_review_request(submission, assessment, await self._for_person(mentor))
            await self._add(
                mentor.telegram_id,
                "topic.review",
                text=rendered.text,
                keyboard=rendered.keyboard,
                person=mentor,
            )
        for member in submission.team:
            if member.id == submission.author.id:
                continue
            t = await self._for_person(member)
            await self._add(
                member.telegram_id,
                "topic.submitted",
                text=render_report_for_team(submission, t),
                person=member,
            )

    async def feedback(self, scored: Scored, topic: Topic, report: TopicReport) -> None:
        for member in scored.team:
            t = await self._for_person(member)
            await self._add(
                member.telegram_id,
                "topic.feedback",
                text=render_topic_feedback(scored.assessment, topic, report, scored.mentor, t),
                person=member,
            )

    async def due(self, due: TopicsDue) -> None:
        zone, _ = await self._zone_and_language()
        for reminder in due.reminders:
            for member in reminder.team:
                t = await self._for_person(member)
                await self._add(
                    member.telegram_id,
                    f"topic.{reminder.stage}",
                    text=render_team_reminder(
                        reminder.stage, reminder.topic, reminder.cycle, zone, t
                    ),
                    person=member,
                )
        for assessment, mentor, topic, report in due.reviews:
            rendered = render_topic_review_reminder(
                assessment, topic, report, await self._for_person(mentor)
            )
            await self._add(
                mentor.telegram_id,
                "topic.review_reminder",
                text=rendered.text,
                keyboard=rendered.keyboard,
                person=mentor,
            )
