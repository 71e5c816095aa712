"""The mentors' scoring, one flow for a weekly report and a topic's cycle report: open the
assessment for its mentor, record a dimension's score or the comment, remember the step,
save; and for a topic's report the scores asked for, reminded of, joint and accepted. It
exists so that the two kinds cannot drift apart: what differs between them is data of a
`Kind` (`WEEKLY`, `TOPIC`), not a second copy of the flow. No Telegram here:
`handlers.scoring` turns the outcomes into replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot import lazy
from bot.domain.capability import joint_scores
from bot.domain.manual import DEFAULT_MANUAL, Manual
from bot.domain.reports import DIMENSIONS, Scorable
from bot.domain.topics import Cycle, cycle
from bot.services import manual as manuals
from bot.services.context import ServiceContext
from bot.services.reports import rules
from db.models import (
    Assessment,
    Person,
    ReportStatus,
    Topic,
    TopicAssessment,
    TopicReport,
    WeeklyReport,
)
from db.repositories import Repos

if TYPE_CHECKING:
    import pandas as pd

    from bot.services.topics import TopicView
else:
    pd = lazy.load("pandas")

# The conversations of a mentor scoring a weekly report, a topic's cycle report.
SCORE, TOPIC_SCORE = "score", "topic_score"
SCORE_STEPS = (*(d.value for d in DIMENSIONS), "comment", "confirm")


# Assessment or TopicAssessment, WeeklyReport or TopicReport, Person or Topic (typed as
# Any: the models' mapped columns do not match a Protocol's plain attributes).
A = TypeVar("A", bound=Any)
R = TypeVar("R", bound=Any)
S = TypeVar("S", bound=Any)


def next_score_step(assessment: Scorable) -> str:
    for dim in DIMENSIONS:
        if getattr(assessment, dim.value) is None:
            return dim.value
    return "comment" if assessment.comment is None else "confirm"


def set_score(assessment: Scorable, dimension: str, value: int) -> None:
    if dimension not in {d.value for d in DIMENSIONS} or not 0 <= value <= 100:
        raise ValueError(dimension)
    setattr(assessment, dimension, value)


def restart(assessment: Scorable) -> None:
    for dim in DIMENSIONS:
        setattr(assessment, dim.value, None)
    assessment.comment = None


@dataclass
class Scoring(Generic[A, R, S]):
    """An assessment a mentor works on, with its report and whose work it is."""

    reason: str  # "ok", "not_yours", "gone", "correcting" (weekly only), "done"
    assessment: A | None = None
    report: R | None = None
    subject: S | None = None  # the student (weekly report) or the topic (cycle report)
    manual: Manual = DEFAULT_MANUAL  # in force: shown while scoring, kept with the scores


class Kind(Generic[A, R, S]):
    """What scoring one kind of report needs: where its rows are, and how it differs.

    The two kinds differ ON PURPOSE, and these flags keep the differences as data (issue
    25 merged the two flows without changing what either does):
    - `has_correcting`: a weekly report can be back with its student for a correction (its
      status a draft again): the mentor is told so. A topic's report has no such state.
    - `early_save_reshows`: Save pressed before the scores are finished re-shows the current
      step on a weekly report; on a topic's report it is a button "no longer valid".
    - `flush_always`: a topic's scoring flushes before every step it records (the service
      did it); a weekly one only after a change (its handler did it).
    - `locks_report`: a weekly report is locked with its assessment for the transaction (a
      correction and a score race for it); a topic's report is not.
    """

    conversation: str
    has_correcting: bool
    early_save_reshows: bool
    flush_always: bool
    locks_report: bool

    async def _assessment(self, repos: Repos, assessment_id: int) -> A | None:
        raise NotImplementedError

    async def _report(self, repos: Repos, assessment: A) -> R | None:
        raise NotImplementedError

    async def _subject(self, repos: Repos, assessment: A, report: R | None) -> S | None:
        raise NotImplementedError

    async def of_report(self, repos: Repos, report: R) -> Sequence[A]:
        raise NotImplementedError

    async def open_assessment(
        self, ctx: ServiceContext, mentor: Person, assessment_id: int
    ) -> Scoring[A, R, S]:
        """The mentor's assessment (locked for this transaction) and its report."""
        assessment = await self._assessment(ctx.repos, assessment_id)
        if assessment is None:
            return Scoring("gone")
        if assessment.mentor_id != mentor.id:
            return Scoring("not_yours")
        report = await self._report(ctx.repos, assessment)
        subject = await self._subject(ctx.repos, assessment, report)
        if report is None or subject is None:
            return Scoring("gone")
        if self.has_correcting and report.status is ReportStatus.DRAFT:
            return Scoring("correcting", assessment, report, subject)
        manual = await manuals.in_force(ctx.repos)
        if assessment.completed_at is not None:
            return Scoring("done", assessment, report, subject, manual)
        return Scoring("ok", assessment, report, subject, manual)

    async def rescore(self, ctx: ServiceContext, scoring: Scoring[A, R, S]) -> bool:
        """Score a week again under a newer manual than its scores were given under (the
        earlier scores kept); False when the kind keeps no history or nothing is newer."""
        return False

    async def remember_scoring(
        self, ctx: ServiceContext, mentor: Person, assessment: A, changed: bool
    ) -> str:
        """Record the step the mentor is at (their next message answers it)."""
        if changed or self.flush_always:
            await ctx.repos.flush()
        step = next_score_step(assessment)
        await ctx.repos.conversations.set(
            mentor.id, self.conversation, assessment.id, step, ctx.now
        )
        return step

    async def complete(
        self, ctx: ServiceContext, mentor: Person, scoring: Scoring[A, R, S]
    ) -> list[A]:
        """Save the finished assessment; the report's other completed ones (to compare)."""
        assert scoring.assessment is not None and scoring.report is not None
        scoring.assessment.completed_at = ctx.now
        scoring.assessment.manual_version = scoring.manual.version
        await ctx.repos.conversations.finish(mentor.id, self.conversation, scoring.assessment.id)
        others = await self.of_report(ctx.repos, scoring.report)
        return [a for a in others if a.completed_at is not None and a.id != scoring.assessment.id]


class _Weekly(Kind[Assessment, WeeklyReport, Person]):
    conversation = SCORE
    has_correcting = True
    early_save_reshows = True
    flush_always = False
    locks_report = True

    async def _assessment(self, repos: Repos, assessment_id: int) -> Assessment | None:
        assessment = await repos.assessments.get(assessment_id, for_update=True)
        return None if assessment is None or assessment.report_id is None else assessment

    async def _report(self, repos: Repos, assessment: Assessment) -> WeeklyReport | None:
        assert assessment.report_id is not None
        return await repos.reports.get(assessment.report_id, for_update=self.locks_report)

    async def _subject(
        self, repos: Repos, assessment: Assessment, report: WeeklyReport | None
    ) -> Person | None:
        return await repos.people.by_id(assessment.student_id)

    async def of_report(self, repos: Repos, report: WeeklyReport) -> Sequence[Assessment]:
        return await repos.assessments.of_report(report.id)

    async def rescore(self, ctx: ServiceContext, scoring: WeeklyScoring) -> bool:
        assert scoring.assessment is not None
        if not await manuals.rescore(ctx.repos, scoring.assessment, ctx.now):
            return False
        scoring.reason = "ok"
        return True


class _Topic(Kind[TopicAssessment, TopicReport, Topic]):
    conversation = TOPIC_SCORE
    has_correcting = False
    early_save_reshows = False
    flush_always = True
    locks_report = False

    async def _assessment(self, repos: Repos, assessment_id: int) -> TopicAssessment | None:
        return await repos.topics.assessment(assessment_id, for_update=True)

    async def _report(self, repos: Repos, assessment: TopicAssessment) -> TopicReport | None:
        return await repos.topics.report(assessment.report_id)

    async def _subject(
        self, repos: Repos, assessment: TopicAssessment, report: TopicReport | None
    ) -> Topic | None:
        return await repos.topics.get(report.topic_id) if report else None

    async def of_report(self, repos: Repos, report: TopicReport) -> Sequence[TopicAssessment]:
        return await repos.topics.assessments(report.id)


WEEKLY = _Weekly()
TOPIC = _Topic()
WeeklyScoring = Scoring[Assessment, WeeklyReport, Person]
TopicScoring = Scoring[TopicAssessment, TopicReport, Topic]


async def joint_scores_of(repos: Repos, report: TopicReport) -> tuple[dict[str, float], int, int]:
    """A team report's joint score per dimension, combined as a weekly report's are (the
    parties' weighted mean, `reports.weights`), over the mentors who scored it so far."""
    asked = list(await repos.topics.assessments(report.id))
    done = [a for a in asked if a.completed_at is not None]
    if not done:
        return {}, 0, len(asked)
    frame = pd.DataFrame(
        [
            {"student": report.topic_id, "week": report.cycle, "party_kind": a.party_kind.value}
            | {d.value: getattr(a, d.value) for d in DIMENSIONS}
            for a in done
        ]
    )
    model = (await rules(repos)).model
    joint = joint_scores(frame, model).iloc[0]
    return {d.value: float(joint[d.value]) for d in DIMENSIONS}, len(done), len(asked)


# --- a topic's scores: requested, reminded, joint, accepted, told ----------------------


async def request_topic_scores(
    ctx: ServiceContext, report: TopicReport, topic: Topic
) -> list[tuple[TopicAssessment, Person]]:
    """Ask each of the topic's mentors to score its submitted report."""
    requests = []
    for mentor in await ctx.repos.topics.mentors(topic.id):
        person = await ctx.repos.people.by_id(mentor.person_id)
        if person is None:
            continue
        assessment = await ctx.repos.topics.add_assessment(
            TopicAssessment(
                report_id=report.id,
                party_kind=mentor.party_kind,
                mentor_id=person.id,
                requested_at=ctx.now,
            )
        )
        requests.append((assessment, person))
    return requests


async def topic_reviews_due(
    ctx: ServiceContext, before: dt.datetime
) -> list[tuple[TopicAssessment, Person, Topic, TopicReport]]:
    """The mentors whose scores of a topic's report have waited since before `before`,
    each marked reminded so that it is sent once."""
    reviews = []
    for assessment in await ctx.repos.topics.assessments_waiting(before):
        assert assessment.mentor_id is not None
        mentor = await ctx.repos.people.by_id(assessment.mentor_id)
        report = await ctx.repos.topics.report(assessment.report_id)
        scored = await ctx.repos.topics.get(report.topic_id) if report else None
        assessment.reminded_at = ctx.now
        if mentor is not None and report is not None and scored is not None:
            reviews.append((assessment, mentor, scored, report))
    return reviews


async def with_scores(repos: Repos, view: TopicView) -> TopicView:
    """The view with each submitted report's joint score (for the topic's card only: the
    list, the announcement and the messages to the team show none)."""
    view.scores = {
        r.id: await joint_scores_of(repos, r) for r in view.reports if r.submitted_at is not None
    }
    return view


def is_accepted(assessments: list[TopicAssessment]) -> bool:
    """A cycle's report is accepted when every mentor asked has scored it."""
    return bool(assessments) and all(a.completed_at is not None for a in assessments)


@dataclass(frozen=True)
class ResearchCycle:
    topic: Topic
    cycle: Cycle
    report: TopicReport


async def accepted_cycles(ctx: ServiceContext, student: Person) -> list[ResearchCycle]:
    """The cycles of the student's topics whose report was accepted and in which the
    student took part."""
    zone = await ctx.zone()
    found = []
    for topic in await ctx.repos.topics.topics_of_student(student.id):
        if topic.started_on is None:
            continue
        for report in await ctx.repos.topics.reports(topic.id):
            if report.status is not ReportStatus.SUBMITTED:
                continue
            if student.id not in (report.contributors or []):
                continue
            if is_accepted(list(await ctx.repos.topics.assessments(report.id))):
                found.append(
                    ResearchCycle(
                        topic, cycle(topic.started_on, topic.cycle_days, report.cycle, zone), report
                    )
                )
    return found


@dataclass
class Scored:
    """A topic's cycle report scored by one mentor, and the team to tell."""

    assessment: TopicAssessment
    others: list[TopicAssessment]
    team: list[Person]
    mentor: Person
    manual: Manual = DEFAULT_MANUAL  # the version the scores were given under


async def topic_scored(ctx: ServiceContext, mentor: Person, scoring: TopicScoring) -> Scored:
    """Save a mentor's finished scores of a topic's report; whom to tell."""
    assert scoring.assessment is not None and scoring.subject is not None
    others = await TOPIC.complete(ctx, mentor, scoring)
    team = list(await ctx.repos.topics.team_people(scoring.subject.id))
    return Scored(scoring.assessment, others, team, mentor, scoring.manual)
