"""Weekly reports: the draft, submission and correction, the mentors' assessments asked
for, and the reminders the scheduler finds due; the scoring itself is
`bot.services.scoring`'s. No Telegram here: the handlers turn outcomes into messages,
`bot.outbox.reports` writes the ones that must arrive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.capability import ModelRules
from bot.domain.reports import (
    COMPLIANCE,
    DEFAULT_CALENDAR,
    DIMENSIONS,
    DraftState,
    ReportCalendar,
    Stage,
    calendar_of,
    check_attachment,
    check_text,
    expected_weeks,
    is_late,
    next_step,
    open_weeks,
    parse_hours,
    stage_moment,
    stages_due,
    week_of,
)
from bot.domain.time import first_zone, local_today
from bot.services.context import ServiceContext
from db.models import (
    Assessment,
    Person,
    Placement,
    ReportAttachment,
    ReportReminder,
    ReportStatus,
    WeeklyReport,
)
from db.repositories import Repos

REPORT = "report"


@dataclass(frozen=True)
class Rules:
    calendar: ReportCalendar
    model: ModelRules
    review_after: dt.timedelta
    credits_per_month: Decimal


async def rules(repos: Repos) -> Rules:
    policy = await repos.reports.policy()
    if policy is None:
        return Rules(
            DEFAULT_CALENDAR, ModelRules(current_weeks=4), dt.timedelta(days=3), Decimal(2)
        )
    return Rules(
        calendar_of(policy),
        ModelRules(
            weights=dict(policy.weights or {}),
            baseline_weeks=policy.baseline_weeks,
            current_weeks=policy.current_weeks,
            disagreement=policy.disagreement,
        ),
        dt.timedelta(seconds=policy.review_after),
        Decimal(policy.credits_per_month),
    )


@dataclass
class StudentInfo:
    person: Person
    placements: list[Placement]
    zone: str


async def students(
    repos: Repos, default_zone: str, only: int | None = None
) -> dict[int, StudentInfo]:
    """Every student with a placement (or only the one whose person id is `only`), with the
    zone their weeks are counted in: their own, else their first site's, else the
    consortium's."""
    fallback = first_zone(await repos.consortium.get(), default=default_zone)
    parties = {p.id: p for p in await repos.parties.all()}
    found: dict[int, StudentInfo] = {}
    placements = await repos.reports.placements(only)
    people = await repos.people.by_ids({placement.student_id for placement in placements})
    for placement in placements:
        info = found.get(placement.student_id)
        if info is None:
            person = people.get(placement.student_id)
            if person is None:
                continue
            site = parties.get(placement.site_id)
            zone = first_zone(person, site, default=fallback)
            info = found[placement.student_id] = StudentInfo(person, [], zone)
        info.placements.append(placement)
    return found


async def student_zone(ctx: ServiceContext, student: Person) -> str:
    """The zone a student's weeks are counted in (the same one the reminders use)."""
    info = (await students(ctx.repos, ctx.default_tz, only=student.id)).get(student.id)
    if info is not None:
        return info.zone
    return first_zone(student, await ctx.repos.consortium.get(), default=ctx.default_tz)


async def _placement_for(ctx: ServiceContext, student: Person, week: dt.date) -> Placement | None:
    for placement in await ctx.repos.reports.placements(student.id):
        if week in expected_weeks(placement.start_date, placement.end_date, week):
            return placement
    return None


def draft_state(report: WeeklyReport) -> DraftState:
    return DraftState(
        week_chosen=report.week_chosen,
        activities=report.activities,
        hours=report.hours,
        episode=report.episode,
        rules_done=report.compliance is not None,
        problems=report.problems,
        self_scores=self_scores(report),
        attachments_done=report.attachments_done,
    )


def self_scores(report: WeeklyReport) -> list[int | None]:
    return [getattr(report, f"self_{d.value}") for d in DIMENSIONS]


# --- the draft ---------------------------------------------------------------------------


@dataclass
class Begin:
    """What /report finds: a draft to continue (at `step`), or why there is none."""

    reason: str  # "draft", "no_placement", "done" (nothing open), "correctable"
    report: WeeklyReport | None = None
    step: str = "week"
    weeks: list[dt.date] = field(default_factory=list)
    zone: str = "UTC"


@dataclass
class Weeks:
    """A student's weeks as /report sees them today."""

    zone: str
    placed: bool  # a placement covers this week or last week
    reports: dict[dt.date, WeeklyReport]
    open: list[dt.date]  # weeks that may still be reported on, the late one first


async def weeks_of(ctx: ServiceContext, student: Person) -> Weeks:
    """Which weeks the student may report on now; reads only."""
    zone = await student_zone(ctx, student)
    today = local_today(ctx.now, zone)
    this_week = week_of(today)
    expected: list[dt.date] = []
    for placement in await ctx.repos.reports.placements(student.id):
        expected += expected_weeks(placement.start_date, placement.end_date, today)
    placed = bool({this_week, this_week - dt.timedelta(days=7)} & set(expected))
    reports = {r.week: r for r in await ctx.repos.reports.of_student(student.id)}
    submitted = [w for w, r in reports.items() if r.status is not ReportStatus.DRAFT]
    return Weeks(zone, placed, reports, open_weeks(today, expected, submitted))


async def begin(ctx: ServiceContext, student: Person) -> Begin:
    """Continue the open draft, or start one for the open week (the late one first)."""
    found = await weeks_of(ctx, student)
    zone, reports, weeks = found.zone, found.reports, found.open
    if not found.placed:
        return Begin("no_placement", zone=zone)
    for week in weeks:
        draft = reports.get(week)
        if draft is not None and draft.status is ReportStatus.DRAFT:
            report = await ctx.repos.reports.get(draft.id)
            assert report is not None
            conversation = await ctx.repos.conversations.get(student.id)
            step = (
                conversation.step
                if conversation and conversation.kind == REPORT and conversation.ref_id == report.id
                else next_step(draft_state(report))
            )
            await ctx.repos.conversations.set(student.id, REPORT, report.id, step, ctx.now)
            return Begin("draft", report, step, weeks, zone)
    if not weeks:
        latest = max(
            (r for r in reports.values() if r.status is ReportStatus.SUBMITTED),
            key=lambda r: r.week,
            default=None,
        )
        if latest is not None and not await has_scores(ctx.repos, latest.id):
            return Begin("correctable", latest, zone=zone)
        return Begin("done", latest, zone=zone)
    first = await _placement_for(ctx, student, weeks[0])
    report = await ctx.repos.reports.add(
        WeeklyReport(
            student_id=student.id,
            placement_id=first.id if first else None,
            week=weeks[0],
            status=ReportStatus.DRAFT,
            week_chosen=len(weeks) == 1,
            attachments_done=False,
        )
    )
    step = next_step(draft_state(report))
    await ctx.repos.conversations.set(student.id, REPORT, report.id, step, ctx.now)
    return Begin("draft", report, step, weeks, zone)


async def open_draft(ctx: ServiceContext, student: Person, report_id: int) -> WeeklyReport | None:
    """The student's own draft, locked for this transaction; None if it is not theirs or no
    longer a draft."""
    report = await ctx.repos.reports.get(report_id, for_update=True)
    if report is None or report.student_id != student.id:
        return None
    return report if report.status is ReportStatus.DRAFT else None


async def advance(ctx: ServiceContext, student: Person, report: WeeklyReport) -> str:
    """After an answer: the next step the draft needs, remembered for the next message."""
    step = next_step(draft_state(report))
    await ctx.repos.conversations.set(student.id, REPORT, report.id, step, ctx.now)
    return step


async def choose_week(
    ctx: ServiceContext, student: Person, report: WeeklyReport, week: dt.date
) -> bool:
    """Move the draft to another open week; False if that week is not open or taken."""
    zone = await student_zone(ctx, student)
    today = local_today(ctx.now, zone)
    if week not in (week_of(today), week_of(today) - dt.timedelta(days=7)):
        return False
    other = await ctx.repos.reports.of_week(student.id, week)
    if other is not None and other.id != report.id:
        return False
    placement = await _placement_for(ctx, student, week)
    if placement is None:
        return False
    report.week, report.placement_id, report.week_chosen = week, placement.id, True
    await ctx.repos.flush()
    return True


def answer_text(report: WeeklyReport, step: str, text: str) -> None:
    """Fill a text step (raises InputProblem on bad input; the draft is unchanged then)."""
    if step == "hours":
        report.hours = parse_hours(text)
    elif step == "rules":
        report.compliance_note = check_text("rules_note", text)
        report.compliance = list(report.compliance or [])
    else:
        setattr(report, step, check_text(step, text))


def toggle_rule(report: WeeklyReport, key: str) -> None:
    if key not in COMPLIANCE:
        raise ValueError(key)
    chosen = list(report.compliance or [])
    report.compliance = [k for k in chosen if k != key] if key in chosen else [*chosen, key]


def set_self_score(report: WeeklyReport, dimension: str, value: int) -> None:
    if dimension not in {d.value for d in DIMENSIONS} or not 1 <= value <= 5:
        raise ValueError(dimension)
    setattr(report, f"self_{dimension}", value)


async def add_attachment(
    ctx: ServiceContext,
    report: WeeklyReport,
    kind: str,
    file_id: str,
    unique_id: str,
    name: str | None,
    size: int | None,
) -> int:
    """Keep a photo or document with the draft (InputProblem if refused); the new count."""
    if any(a.file_unique_id == unique_id for a in report.attachments):
        return len(report.attachments)
    check_attachment(name if kind == "document" else None, size, len(report.attachments))
    attachment = ReportAttachment(
        report_id=report.id,
        kind=kind,
        file_id=file_id,
        file_unique_id=unique_id,
        name=name,
        size=size,
        added_at=ctx.now,
    )
    await ctx.repos.reports.add_attachment(attachment)
    report.attachments.append(attachment)
    return len(report.attachments)


async def clear_attachments(ctx: ServiceContext, report: WeeklyReport) -> None:
    report.attachments.clear()
    await ctx.repos.flush()


def edit(report: WeeklyReport, step: str) -> str:
    """Go back to one part of a finished draft; the step to ask."""
    if step == "self":
        for dim in DIMENSIONS:
            setattr(report, f"self_{dim.value}", None)
    if step == "week":
        report.week_chosen = False
    return step


async def has_scores(repos: Repos, report_id: int) -> bool:
    """Whether any mentor has scored any dimension of the report (then it is final)."""
    return any(
        any(getattr(a, d.value) is not None for d in DIMENSIONS)
        for a in await repos.assessments.of_report(report_id)
    )


@dataclass
class Submission:
    report: WeeklyReport
    student: Person
    corrected: bool
    late: bool
    requests: list[tuple[Assessment, Person]]  # (assessment, mentor) to ask for scores
    attachments: list[ReportAttachment]


async def submit(ctx: ServiceContext, student: Person, report: WeeklyReport) -> Submission:
    """Submit a complete draft: its assessments are requested from the placement's mentors."""
    assert next_step(draft_state(report)) == "review"
    corrected = report.submitted_at is not None
    zone = await student_zone(ctx, student)
    policy = await rules(ctx.repos)
    if corrected:
        report.corrected_at = ctx.now
    else:
        report.submitted_at = ctx.now
        report.late = is_late(ctx.now, report.week, policy.calendar, zone)
    report.status = ReportStatus.SUBMITTED
    await ctx.repos.conversations.finish(student.id, REPORT, report.id)
    placement = await ctx.repos.reports.placements(student.id)
    mentors = next((p.mentors for p in placement if p.id == report.placement_id), [])
    existing = {
        a.party_kind: a for a in await ctx.repos.assessments.of_week(student.id, report.week)
    }
    requests = []
    for mentor_link in mentors:
        mentor = await ctx.repos.people.by_id(mentor_link.person_id)
        if mentor is None:
            continue
        assessment = existing.get(mentor_link.party_kind)
        if assessment is None:
            assessment = await ctx.repos.assessments.add(
                Assessment(
                    student_id=student.id,
                    week=report.week,
                    party_kind=mentor_link.party_kind,
                    report_id=report.id,
                    mentor_id=mentor.id,
                    source="bot",
                    requested_at=ctx.now,
                )
            )
        elif assessment.completed_at is not None:
            continue
        requests.append((assessment, mentor))
    await ctx.repos.flush()
    return Submission(report, student, corrected, report.late, requests, list(report.attachments))


async def start_correction(ctx: ServiceContext, student: Person, report_id: int) -> str:
    """Reopen a submitted report for correction: "ok", "scored" or "gone"."""
    report = await ctx.repos.reports.get(report_id, for_update=True)
    if report is None or report.student_id != student.id:
        return "gone"
    if report.status is not ReportStatus.SUBMITTED:
        return "gone" if report.status is ReportStatus.MISSING else "ok"
    if await has_scores(ctx.repos, report.id):
        return "scored"
    report.status = ReportStatus.DRAFT
    await ctx.repos.conversations.set(student.id, REPORT, report.id, "review", ctx.now)
    return "ok"


async def discard(ctx: ServiceContext, student: Person, report: WeeklyReport) -> None:
    """Delete a draft that was never submitted."""
    assert report.submitted_at is None
    await ctx.repos.conversations.finish(student.id, REPORT, report.id)
    await ctx.repos.reports.delete(report)


# --- what the scheduler finds due --------------------------------------------------------


@dataclass
class StudentReminder:
    student: Person
    week: dt.date
    stage: Stage
    zone: str
    deadline: dt.datetime


@dataclass
class Due:
    reminders: list[StudentReminder] = field(default_factory=list)
    reviews: list[tuple[Assessment, Person, Person]] = field(default_factory=list)


async def sweep(ctx: ServiceContext) -> Due:
    """Every reminder stage reached and not yet recorded, and mentors to remind.

    A stage is recorded in `report_reminder` in the same transaction as its message, so each
    is sent once; MISSING marks the week's report missing. Only the last stage reached is
    sent: a student whose bot was down over Friday and Monday gets one message, not three.
    """
    due = Due()
    policy = await rules(ctx.repos)
    weeks_by_student: dict[int, tuple[Person, str, list[dt.date]]] = {}
    for info in (await students(ctx.repos, ctx.default_tz)).values():
        student, zone = info.person, info.zone
        if student.consented_at is None:
            continue
        today = local_today(ctx.now, zone)
        recent = [
            w
            for placement in info.placements
            for w in expected_weeks(placement.start_date, placement.end_date, today)
            if w >= week_of(today) - dt.timedelta(days=14)
        ]
        if recent:
            weeks_by_student[student.id] = (student, zone, recent)
    if weeks_by_student:
        all_weeks = {w for _, _, weeks in weeks_by_student.values() for w in weeks}
        statuses = await ctx.repos.reports.statuses(weeks_by_student, all_weeks)
        recorded = await ctx.repos.reports.reminders(weeks_by_student, all_weeks)
        for student_id, (student, zone, weeks) in sorted(weeks_by_student.items()):
            for week in sorted(set(weeks)):
                if statuses.get((student_id, week)) in (
                    ReportStatus.SUBMITTED,
                    ReportStatus.MISSING,
                ):
                    continue
                deadline = policy.calendar.deadline.on(week, zone)
                assert student.consented_at is not None
                if deadline < student.consented_at:
                    continue  # due before the student joined: not expected of them
                reached = stages_due(week, policy.calendar, zone, ctx.now)
                fresh = [s for s in reached if (student_id, week, s.value) not in recorded]
                if not fresh:
                    continue
                for stage in fresh:
                    await ctx.repos.reports.add_reminder(
                        ReportReminder(
                            student_id=student_id, week=week, stage=stage.value, at=ctx.now
                        )
                    )
                if Stage.MISSING in fresh:
                    await _mark_missing(ctx, student, week)
                # Stages reached before the student joined are recorded without a message.
                if stage_moment(fresh[-1], week, policy.calendar, zone) >= student.consented_at:
                    due.reminders.append(StudentReminder(student, week, fresh[-1], zone, deadline))
    for assessment in await ctx.repos.assessments.waiting_since(ctx.now - policy.review_after):
        assessment.reminded_at = ctx.now
        mentor = await ctx.repos.people.by_id(assessment.mentor_id or 0)
        scored = await ctx.repos.people.by_id(assessment.student_id)
        report = await ctx.repos.reports.get(assessment.report_id or 0)
        if mentor and scored and report and report.status is ReportStatus.SUBMITTED:
            due.reviews.append((assessment, mentor, scored))
    await ctx.repos.flush()
    return due


async def _mark_missing(ctx: ServiceContext, student: Person, week: dt.date) -> None:
    report = await ctx.repos.reports.of_week(student.id, week)
    if report is None:
        placement = await _placement_for(ctx, student, week)
        await ctx.repos.reports.add(
            WeeklyReport(
                student_id=student.id,
                placement_id=placement.id if placement else None,
                week=week,
                status=ReportStatus.MISSING,
                week_chosen=True,
                attachments_done=False,
            )
        )
    elif report.status is ReportStatus.DRAFT and report.submitted_at is None:
        report.status = ReportStatus.MISSING  # the unfinished draft is kept, marked missing
        await ctx.repos.conversations.finish(student.id, REPORT, report.id)
