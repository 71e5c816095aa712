"""Research topics' messages that must arrive, written to the outbox in the caller's
transaction: announcements, applications and answers, the team's start, reports to
score, scores to the team and reminders."""

from __future__ import annotations

from functools import partial

from bot.domain.topics import Cycle
from bot.outbox.writer import OutboxWriter
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
from bot.services.scoring import Scored
from bot.services.topics import TopicsDue, TopicSubmission, TopicView
from db.models import Party, Person, Topic, TopicApplication, TopicReport


def _team_and_mentors(view: TopicView) -> list[Person]:
    return list({p.id: p for p in [*view.team, *(p for _, p in view.mentors)]}.values())


class TopicOutbox(OutboxWriter):
    async def published(self, topic: Topic, party: Party, coordinators: list[Person]) -> None:
        render = partial(render_new_topic_for_coordinator, topic, party)
        await self._each(coordinators, "topic.published", render)

    async def announcement(self, view: TopicView, chat_ids: list[int]) -> None:
        for chat_id in chat_ids:
            chat = await self.repos.chats.by_telegram_id(chat_id)
            if chat is None:
                continue
            rendered = render_announcement(view, await self._for_chat(chat))
            await self._add(
                chat_id,
                "topic.announce",
                text=rendered.text,
                keyboard=rendered.keyboard,
                thread=chat.thread_id,
            )

    async def need(self, topic: Topic, party: Party, text: str, contacts: list[Person]) -> None:
        await self._each(contacts, "topic.need", partial(render_need_added, topic, party, text))

    async def application(
        self, topic: Topic, student: Person, application: TopicApplication, contacts: list[Person]
    ) -> None:
        render = partial(render_application, topic, student, application.id)
        await self._each(contacts, "topic.application", render)

    async def decision(self, accepted: bool, topic: Topic, student: Person) -> None:
        render = partial(render_decision_for_student, accepted, topic)
        await self._each([student], "topic.decision", render)

    async def started(self, view: TopicView, first: Cycle) -> None:
        zone, _ = await self._zone_and_language()
        render = partial(render_started, view, first, zone)
        await self._each(_team_and_mentors(view), "topic.started", render)

    async def closed(self, view: TopicView, by: Person) -> None:
        """The team and the mentors hear that the topic is closed."""
        render = partial(render_closed, view.topic)
        await self._each(_team_and_mentors(view), "topic.closed", render, skip=by)

    async def submission(self, submission: TopicSubmission) -> None:
        for assessment, mentor in submission.requests:
            render = partial(render_review_request, submission, assessment)
            await self._each([mentor], "topic.review", render)
        render_team = partial(render_report_for_team, submission)
        await self._each(submission.team, "topic.submitted", render_team, skip=submission.author)

    async def feedback(self, scored: Scored, topic: Topic, report: TopicReport) -> None:
        render = partial(
            render_topic_feedback, scored.assessment, topic, report, scored.mentor, scored.manual
        )
        await self._each(scored.team, "topic.feedback", render)

    async def due(self, due: TopicsDue) -> None:
        zone, _ = await self._zone_and_language()
        for reminder in due.reminders:
            render = partial(
                render_team_reminder, reminder.stage, reminder.topic, reminder.cycle, zone
            )
            await self._each(reminder.team, f"topic.{reminder.stage}", render)
        for assessment, mentor, topic, report in due.reviews:
            render_review = partial(render_topic_review_reminder, assessment, topic, report)
            await self._each([mentor], "topic.review_reminder", render_review)
