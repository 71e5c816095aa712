"""Research topics: writing and publishing one, needs, announcements, applications and the
publisher's decisions, starting a team with its three mentors, the team's report every
cycle, and what the scheduler finds due; the mentors' scores of that report are
`bot.services.scoring`'s. No Telegram here: outcomes go to `bot.outbox.topics` and the
handlers' renderers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from bot.domain.reports import InputProblem
from bot.domain.time import local_today
from bot.domain.topics import (
    MENTOR_KINDS,
    NEED_KINDS,
    TOPIC_REPORT_STEPS,
    TOPIC_STEPS,
    Cycle,
    TopicDraft,
    check_need,
    check_report_text,
    check_topic_text,
    cycle,
    cycles_due,
    is_open_for_applications,
    next_topic_step,
    parse_deadline,
    parse_team_size,
    participation,
    reportable_cycles,
)
from bot.services import rules, scoring
from bot.services.context import ServiceContext
from bot.services.people import contacts_of, parties_where, speaks_for
from db.models import (
    ApplicationState,
    Party,
    PartyKind,
    Person,
    ReportStatus,
    Role,
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicMentor,
    TopicNeed,
    TopicReminder,
    TopicReport,
    TopicState,
)
from db.repositories import Repos

TOPIC, TOPIC_REPORT = "topic", "topic_report"


# --- writing and publishing ----------------------------------------------------------------


def draft_of(topic: Topic) -> TopicDraft:
    return TopicDraft(topic.title, topic.summary, topic.skills, topic.team_size, topic.deadline)


@dataclass
class Begin:
    reason: str  # "draft", "not_research_contact"
    topic: Topic | None = None
    step: str = "title"


async def begin_topic(ctx: ServiceContext, person: Person) -> Begin:
    """Continue the person's draft topic, or start one for their research institution."""
    drafts = await ctx.repos.topics.drafts_of(person.id)
    if drafts:
        topic = drafts[0]
    else:
        research = [
            p
            for p in await parties_where(ctx.repos, person, Role.CONTACT)
            if p.kind is PartyKind.RESEARCH
        ]
        if not research:
            return Begin("not_research_contact")
        spec = await rules.topics(ctx.repos)
        topic = await ctx.repos.topics.add(
            Topic(
                party_id=research[0].id,
                author_id=person.id,
                state=TopicState.DRAFT,
                cycle_days=spec.cycle_days,
            )
        )
    step = next_topic_step(draft_of(topic))
    await ctx.repos.conversations.set(person.id, TOPIC, topic.id, step, ctx.now)
    return Begin("draft", topic, step)


async def answer_topic(ctx: ServiceContext, person: Person, topic: Topic, text: str) -> str:
    """Take the answer to the draft's next step; the step after. Raises InputProblem."""
    step = next_topic_step(draft_of(topic))
    if step in ("title", "summary", "skills"):
        setattr(topic, step, check_topic_text(step, text))
    elif step == "team_size":
        topic.team_size = parse_team_size(text)
    elif step == "deadline":
        topic.deadline = parse_deadline(text, await ctx.today())
    else:
        raise InputProblem("use_buttons")
    await ctx.repos.flush()
    step = next_topic_step(draft_of(topic))
    await ctx.repos.conversations.set(person.id, TOPIC, topic.id, step, ctx.now)
    return step


async def edit_topic(ctx: ServiceContext, person: Person, topic: Topic, step: str) -> str:
    """Ask a part of the draft again; the step now."""
    if step not in TOPIC_STEPS[:-1]:
        raise InputProblem("use_buttons")
    setattr(topic, step, None)
    await ctx.repos.flush()
    step = next_topic_step(draft_of(topic))
    await ctx.repos.conversations.set(person.id, TOPIC, topic.id, step, ctx.now)
    return step


async def own_draft(ctx: ServiceContext, person: Person, topic_id: int) -> Topic | None:
    topic = await ctx.repos.topics.get(topic_id, for_update=True)
    if topic is None or topic.author_id != person.id or topic.state is not TopicState.DRAFT:
        return None
    return topic


async def publish(ctx: ServiceContext, person: Person, topic: Topic) -> list[Person]:
    """Publish a complete draft; the coordinators, who may announce it."""
    topic.state, topic.published_at = TopicState.OPEN, ctx.now
    await ctx.repos.conversations.finish(person.id, TOPIC, topic.id)
    await ctx.repos.flush()
    return list(await ctx.repos.memberships.people_with_role(Role.COORDINATOR))


async def discard(ctx: ServiceContext, person: Person, topic: Topic) -> None:
    await ctx.repos.conversations.finish(person.id, TOPIC, topic.id)
    await ctx.repos.topics.delete(topic)


# --- what a topic is now -------------------------------------------------------------------


@dataclass
class TopicView:
    topic: Topic
    party: Party
    needs: list[tuple[TopicNeed, Party]]
    applications: list[TopicApplication]
    team: list[Person]
    mentors: list[tuple[TopicMentor, Person]]
    reports: list[TopicReport]
    # Per submitted report (filled by with_scores): the joint score per dimension, mentors
    # who scored, mentors asked.
    scores: dict[int, tuple[dict[str, float], int, int]] = field(default_factory=dict)


async def view(repos: Repos, topic: Topic) -> TopicView:
    party = await repos.parties.by_id(topic.party_id)
    assert party is not None
    needs = []
    for need in await repos.topics.needs(topic.id):
        need_party = await repos.parties.by_id(need.party_id)
        if need_party is not None:
            needs.append((need, need_party))
    team = list(await repos.topics.team_people(topic.id))
    mentors = [
        (m, person)
        for m in await repos.topics.mentors(topic.id)
        if (person := await repos.people.by_id(m.person_id))
    ]
    reports = list(await repos.topics.reports(topic.id))
    return TopicView(
        topic,
        party,
        needs,
        list(await repos.topics.applications(topic.id)),
        team,
        mentors,
        reports,
    )


async def listed(repos: Repos) -> list[TopicView]:
    return [await view(repos, topic) for topic in await repos.topics.listed()]


async def visible(repos: Repos, topic_id: int) -> Topic | None:
    """A topic anyone in the consortium may see: published (not a draft)."""
    topic = await repos.topics.get(topic_id)
    return None if topic is None or topic.state is TopicState.DRAFT else topic


# --- needs and announcements ---------------------------------------------------------------


@dataclass
class NeedAdded:
    reason: str  # "added", "not_allowed", "closed"
    need: TopicNeed | None = None
    party: Party | None = None
    notify: list[Person] = field(default_factory=list)


async def add_need(ctx: ServiceContext, person: Person, topic: Topic, text: str) -> NeedAdded:
    """An enterprise's or an overseas site's contact attaches what it needs to a topic."""
    if topic.state not in (TopicState.OPEN, TopicState.RUNNING):
        return NeedAdded("closed")
    parties = [
        p for p in await parties_where(ctx.repos, person, Role.CONTACT) if p.kind in NEED_KINDS
    ]
    if not parties:
        return NeedAdded("not_allowed")
    need = await ctx.repos.topics.add_need(
        TopicNeed(
            topic_id=topic.id,
            party_id=parties[0].id,
            person_id=person.id,
            text=check_need(text),
            at=ctx.now,
        )
    )
    return NeedAdded("added", need, parties[0], await contacts_of(ctx.repos, topic.party_id))


@dataclass
class Announcement:
    reason: str  # "announced", "not_open", "again", "no_groups"
    chats: list[int] = field(default_factory=list)


async def announce(ctx: ServiceContext, topic: Topic) -> Announcement:
    if topic.state is not TopicState.OPEN:
        return Announcement("not_open")
    if topic.announced_at is not None:
        return Announcement("again")
    chats = [c.telegram_id for c in await ctx.repos.chats.linked_active()]
    if not chats:
        return Announcement("no_groups")
    topic.announced_at = ctx.now
    await ctx.repos.flush()
    return Announcement("announced", chats)


# --- applications --------------------------------------------------------------------------


@dataclass
class Applied:
    reason: str  # "applied", "not_student", "not_open", "past_deadline", "already", "declined"
    application: TopicApplication | None = None
    notify: list[Person] = field(default_factory=list)


async def apply(ctx: ServiceContext, student: Person, topic: Topic) -> Applied:
    if not await parties_where(ctx.repos, student, Role.STUDENT):
        return Applied("not_student")
    if topic.state is not TopicState.OPEN:
        return Applied("not_open")
    if not is_open_for_applications(topic.deadline, await ctx.today()):
        return Applied("past_deadline")
    existing = await ctx.repos.topics.application_of(topic.id, student.id)
    if existing is not None:
        return Applied("declined" if existing.state is ApplicationState.DECLINED else "already")
    application = await ctx.repos.topics.add_application(
        TopicApplication(
            topic_id=topic.id,
            student_id=student.id,
            state=ApplicationState.PENDING,
            applied_at=ctx.now,
        )
    )
    return Applied("applied", application, await contacts_of(ctx.repos, topic.party_id))


@dataclass
class Decision:
    reason: str  # "accepted", "declined", "not_yours", "decided", "full", "gone"
    application: TopicApplication | None = None
    topic: Topic | None = None
    student: Person | None = None


async def decide(
    ctx: ServiceContext, person: Person, application_id: int, accept: bool
) -> Decision:
    application = await ctx.repos.topics.application(application_id)
    topic = await ctx.repos.topics.get(application.topic_id) if application else None
    if application is None or topic is None:
        return Decision("gone")
    if not await speaks_for(ctx.repos, person, topic.party_id):
        return Decision("not_yours")
    student = await ctx.repos.people.by_id(application.student_id)
    if application.state is not ApplicationState.PENDING or student is None:
        return Decision("decided", application, topic, student)
    team = await ctx.repos.topics.team(topic.id)
    if accept and topic.team_size is not None and len(team) >= topic.team_size:
        return Decision("full", application, topic, student)
    application.state = ApplicationState.ACCEPTED if accept else ApplicationState.DECLINED
    application.decided_at, application.decided_by_id = ctx.now, person.id
    await ctx.repos.flush()
    return Decision("accepted" if accept else "declined", application, topic, student)


# --- starting and closing ------------------------------------------------------------------


@dataclass
class Started:
    reason: str  # "started", "not_yours", "not_open", "no_team", "bad_mentor"
    view: TopicView | None = None
    first: Cycle | None = None
    problem: str = ""  # the kind whose mentor is wrong, with the id given


async def start(
    ctx: ServiceContext, person: Person, topic: Topic, mentor_ids: dict[PartyKind, int]
) -> Started:
    """Start a team's work: the accepted students, one mentor of each kind (a Telegram id
    of a mentor of a party of that kind), the first cycle from today."""
    if not await speaks_for(ctx.repos, person, topic.party_id):
        return Started("not_yours")
    if topic.state is not TopicState.OPEN:
        return Started("not_open")
    if not await ctx.repos.topics.team(topic.id):
        return Started("no_team")
    chosen: list[TopicMentor] = []
    for kind in MENTOR_KINDS:
        telegram_id = mentor_ids.get(kind)
        mentor = await ctx.repos.people.by_telegram_id(telegram_id) if telegram_id else None
        parties = await parties_where(ctx.repos, mentor, Role.MENTOR) if mentor else []
        of_kind = [p for p in parties if p.kind is kind]
        if mentor is None or not of_kind:
            return Started("bad_mentor", problem=f"{kind.value} {telegram_id or '?'}")
        chosen.append(
            TopicMentor(
                topic_id=topic.id, party_kind=kind, person_id=mentor.id, party_id=of_kind[0].id
            )
        )
    for choice in chosen:
        await ctx.repos.topics.set_mentor(choice)
    topic.state, topic.started_on = TopicState.RUNNING, await ctx.today()
    # Pending applications are answered: the team is complete.
    for application in await ctx.repos.topics.applications(topic.id):
        if application.state is ApplicationState.PENDING:
            application.state = ApplicationState.DECLINED
            application.decided_at, application.decided_by_id = ctx.now, person.id
    await ctx.repos.flush()
    first = cycle(topic.started_on, topic.cycle_days, 0, await ctx.zone())
    return Started("started", await view(ctx.repos, topic), first)


async def close(ctx: ServiceContext, person: Person, topic: Topic) -> str:
    if not await speaks_for(ctx.repos, person, topic.party_id):
        return "not_yours"
    if topic.state is TopicState.CLOSED:
        return "closed_before"
    topic.state, topic.closed_at = TopicState.CLOSED, ctx.now
    await ctx.repos.flush()
    return "closed"


# --- the team's report ---------------------------------------------------------------------


def next_report_step(report: TopicReport) -> str:
    if report.progress is None:
        return "progress"
    if report.plans is None:
        return "plans"
    if not report.contributors_done:
        return "contributors"
    return "review"


@dataclass
class ReportBegin:
    reason: str  # "draft", "no_topic", "choose", "done", "taken"
    report: TopicReport | None = None
    topic: Topic | None = None
    cycle: Cycle | None = None
    topics: list[Topic] = field(default_factory=list)
    author: Person | None = None
    step: str = "progress"


async def begin_report(ctx: ServiceContext, student: Person, topic_id: int | None) -> ReportBegin:
    """The team's report for the earliest cycle still open, in the student's topic."""
    running = [
        t
        for t in await ctx.repos.topics.topics_of_student(student.id)
        if t.state is TopicState.RUNNING
    ]
    if topic_id is not None:
        running = [t for t in running if t.id == topic_id]
    if not running:
        return ReportBegin("no_topic")
    if len(running) > 1:
        return ReportBegin("choose", topics=running)
    topic = running[0]
    assert topic.started_on is not None
    zone = await ctx.zone()
    for open_cycle in reportable_cycles(topic.started_on, topic.cycle_days, ctx.now, zone):
        report = await ctx.repos.topics.report_of(topic.id, open_cycle.number)
        if report is not None and report.status is ReportStatus.SUBMITTED:
            continue
        if report is None:
            report = await ctx.repos.topics.add_report(
                TopicReport(
                    topic_id=topic.id,
                    cycle=open_cycle.number,
                    author_id=student.id,
                    status=ReportStatus.DRAFT,
                )
            )
        elif report.author_id != student.id:
            author = await ctx.repos.people.by_id(report.author_id) if report.author_id else None
            if author is not None:
                return ReportBegin("taken", report, topic, open_cycle, author=author)
            report.author_id = student.id
        step = next_report_step(report)
        await ctx.repos.conversations.set(student.id, TOPIC_REPORT, report.id, step, ctx.now)
        return ReportBegin("draft", report, topic, open_cycle, step=step)
    return ReportBegin("done", topic=topic)


@dataclass
class ReportDraft:
    report: TopicReport
    topic: Topic
    cycle: Cycle
    team: list[Person]


async def open_report(ctx: ServiceContext, student: Person, report_id: int) -> ReportDraft | None:
    """The student's own draft, locked for this transaction."""
    report = await ctx.repos.topics.report(report_id, for_update=True)
    if report is None or report.author_id != student.id or report.status is not ReportStatus.DRAFT:
        return None
    topic = await ctx.repos.topics.get(report.topic_id)
    if topic is None or topic.started_on is None or topic.state is not TopicState.RUNNING:
        return None  # a closed topic takes no more reports
    team = list(await ctx.repos.topics.team_people(topic.id))
    this = cycle(topic.started_on, topic.cycle_days, report.cycle, await ctx.zone())
    return ReportDraft(report, topic, this, team)


async def answer_report(ctx: ServiceContext, student: Person, draft: ReportDraft, text: str) -> str:
    step = next_report_step(draft.report)
    if step not in ("progress", "plans"):
        raise InputProblem("use_buttons")
    setattr(draft.report, step, check_report_text(step, text))
    return await remember_report(ctx, student, draft.report)


async def remember_report(ctx: ServiceContext, student: Person, report: TopicReport) -> str:
    await ctx.repos.flush()
    step = next_report_step(report)
    await ctx.repos.conversations.set(student.id, TOPIC_REPORT, report.id, step, ctx.now)
    return step


def toggle_contributor(draft: ReportDraft, index: int) -> None:
    """Who took part: everyone at first; a press leaves one out or brings them back."""
    if not 0 <= index < len(draft.team):
        raise InputProblem("use_buttons")
    chosen = set(draft.report.contributors or [])
    if draft.report.contributors is None:
        chosen = {p.id for p in draft.team}
    person = draft.team[index].id
    chosen ^= {person}
    draft.report.contributors = [p.id for p in draft.team if p.id in chosen]


def contributors_done(draft: ReportDraft) -> None:
    """The step is done; at least one member took part."""
    chosen = draft.report.contributors
    if chosen is None:
        chosen = [p.id for p in draft.team]
    if not chosen:
        raise InputProblem("nobody")
    draft.report.contributors, draft.report.contributors_done = list(chosen), True


def edit_report(report: TopicReport, step: str) -> None:
    if step not in TOPIC_REPORT_STEPS[:-1]:
        raise InputProblem("use_buttons")
    if step == "contributors":
        report.contributors_done = False
    else:
        setattr(report, step, None)


@dataclass
class TopicSubmission:
    report: TopicReport
    topic: Topic
    cycle: Cycle
    author: Person
    requests: list[tuple[TopicAssessment, Person]]
    team: list[Person]


async def submit_report(
    ctx: ServiceContext, student: Person, draft: ReportDraft
) -> TopicSubmission:
    report = draft.report
    report.status, report.submitted_at = ReportStatus.SUBMITTED, ctx.now
    report.late = ctx.now > draft.cycle.due
    if report.contributors is None:
        report.contributors = [p.id for p in draft.team]
    await ctx.repos.conversations.finish(student.id, TOPIC_REPORT, report.id)
    requests = await scoring.request_topic_scores(ctx, report, draft.topic)
    return TopicSubmission(report, draft.topic, draft.cycle, student, requests, draft.team)


# --- participation -------------------------------------------------------------


async def team_participation(ctx: ServiceContext, topic: Topic) -> tuple[Fraction, int]:
    """The team's participation rate in the topic so far, and the cycles it counts."""
    if topic.started_on is None:
        return Fraction(0), 0
    due = len(cycles_due(topic.started_on, topic.cycle_days, ctx.now, await ctx.zone()))
    contributions = {
        r.cycle: list(r.contributors or [])
        for r in await ctx.repos.topics.reports(topic.id)
        if r.status is ReportStatus.SUBMITTED
    }
    # A report submitted early for the current cycle counts as well.
    counted = max(due, max((n + 1 for n in contributions), default=0))
    members = await ctx.repos.topics.team(topic.id)
    return participation(members, contributions, counted), counted


# --- what the scheduler finds due ----------------------------------------------------------


@dataclass
class TeamReminder:
    topic: Topic
    cycle: Cycle
    stage: str  # "remind" or "missing"
    team: list[Person]


@dataclass
class TopicsDue:
    reminders: list[TeamReminder] = field(default_factory=list)
    reviews: list[tuple[TopicAssessment, Person, Topic, TopicReport]] = field(default_factory=list)


async def sweep(ctx: ServiceContext, review_after: dt.timedelta) -> TopicsDue:
    """Reminders to teams whose cycle report is due soon, reports gone missing, and mentors
    whose scores have been waiting; each recorded so that it is sent once."""
    due = TopicsDue()
    zone = await ctx.zone()
    for topic in await ctx.repos.topics.running():
        if topic.started_on is None:
            continue
        team = list(await ctx.repos.topics.team_people(topic.id))
        today = local_today(ctx.now, zone)
        last = (today - topic.started_on).days // topic.cycle_days
        for number in (last - 1, last):
            if number < 0:
                continue
            this = cycle(topic.started_on, topic.cycle_days, number, zone)
            report = await ctx.repos.topics.report_of(topic.id, number)
            if report is not None and report.status is not ReportStatus.DRAFT:
                continue
            sent = await ctx.repos.topics.reminded(topic.id, number)
            for stage, moment in (("remind", this.remind), ("missing", this.due)):
                if stage in sent or ctx.now < moment:
                    continue
                if stage == "remind" and ctx.now >= this.due:
                    continue  # too late to remind: it is missing
                await ctx.repos.topics.add_reminder(
                    TopicReminder(topic_id=topic.id, cycle=number, stage=stage, at=ctx.now)
                )
                due.reminders.append(TeamReminder(topic, this, stage, team))
    due.reviews = await scoring.topic_reviews_due(ctx, ctx.now - review_after)
    await ctx.repos.flush()
    return due
