"""Training pace: each student's programme built from their placements, the course sessions
they attend and their enterprise training; the gaps in it, warned to coordinators ahead of
time (once per gap) and listed in the check-in's agenda; and /plan's view of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.courses import CoursePhase
from bot.domain.pace import Activity, Gap, Phase, Timeline, current_or_next, timeline, to_warn
from bot.domain.time import local_today, parse_duration
from bot.services.context import ServiceContext
from bot.services.courses import Roster, person_zone, rules
from db.models import Course, CourseSession, PaceWarning, Person
from db.repositories import Repos

AGENDA_AHEAD = dt.timedelta(weeks=6)  # the gaps a check-in looks at: under way or this close


async def _sessions_by_student(
    repos: Repos, roster: Roster
) -> dict[int, list[tuple[CourseSession, Course]]]:
    courses = {c.id: c for c in await repos.courses.all()}
    found: dict[int, list[tuple[CourseSession, Course]]] = {}
    for session in await repos.courses.sessions():
        for person in await roster.of(repos, session):
            found.setdefault(person.id, []).append((session, courses[session.course_id]))
    return found


async def _activities(
    repos: Repos,
    student: Person,
    zone: str,
    sessions: list[tuple[CourseSession, Course]],
) -> list[Activity]:
    local = ZoneInfo(zone)
    found = [
        Activity(Phase.OVERSEAS, p.start_date, p.end_date)
        for p in await repos.placements.of_student(student.id)
    ]
    found += [
        Activity(Phase.ENTERPRISE, r.day, r.day)
        for r in await repos.training.of_student(student.id)
    ]
    for session, course in sessions:
        day = session.starts_at.astimezone(local).date()
        phase = Phase.PRE_DEPARTURE if course.phase is CoursePhase.PRE_DEPARTURE else Phase.COURSES
        found.append(Activity(phase, day, day))
    return found


@dataclass
class Plan:
    student: Person
    zone: str
    timeline: Timeline | None
    today: dt.date


async def plan(ctx: ServiceContext, student: Person) -> Plan:
    """A student's programme, phase by phase, with its gaps."""
    roster = await Roster.load(ctx.repos)
    sessions = (await _sessions_by_student(ctx.repos, roster)).get(student.id, [])
    zone = await person_zone(ctx, student)
    spec = await rules(ctx.repos)
    acts = await _activities(ctx.repos, student, zone, sessions)
    return Plan(student, zone, timeline(acts, spec.return_weeks), local_today(ctx.now, zone))


async def all_gaps(ctx: ServiceContext) -> list[tuple[Person, str, list[Gap]]]:
    roster = await Roster.load(ctx.repos)
    sessions = await _sessions_by_student(ctx.repos, roster)
    spec = await rules(ctx.repos)
    found = []
    for student in sorted(roster.students.values(), key=lambda p: p.telegram_id):
        zone = await person_zone(ctx, student)
        acts = await _activities(ctx.repos, student, zone, sessions.get(student.id, []))
        line = timeline(acts, spec.return_weeks)
        if line is not None and line.gaps:
            found.append((student, zone, line.gaps))
    return found


@dataclass(frozen=True)
class GapWarning:
    student: Person
    gap: Gap


async def sweep(ctx: ServiceContext) -> list[GapWarning]:
    """The gaps coordinators must be warned of now, each recorded (with its outbox rows, in
    this transaction) so that it is warned once."""
    ahead = parse_duration((await rules(ctx.repos)).warn_ahead)
    due = []
    for student, zone, gaps in await all_gaps(ctx):
        warned = [w.gap_start for w in await ctx.repos.courses.warned_gaps(student.id)]
        for gap in to_warn(gaps, local_today(ctx.now, zone), ahead, warned):
            await ctx.repos.courses.add_warning(
                PaceWarning(
                    student_id=student.id, gap_start=gap.start, gap_end=gap.end, warned_at=ctx.now
                )
            )
            due.append(GapWarning(student, gap))
    return due


async def gap_rows(ctx: ServiceContext) -> list[dict[str, object]]:
    """/export's sheet: every gap in every student's programme, and when it was warned."""
    warned = {(w.student_id, w.gap_start): w for w in await ctx.repos.courses.warned_gaps()}
    rows = []
    for student, _, gaps in await all_gaps(ctx):
        for gap in gaps:
            warning = warned.get((student.id, gap.start))
            rows.append(
                {
                    "student": student.telegram_id,
                    "name": student.name or "",
                    "gap_start": gap.start.isoformat(),
                    "gap_end": gap.end.isoformat(),
                    "weeks": gap.weeks,
                    "warned_at": warning.warned_at.isoformat() if warning else "",
                }
            )
    return rows


async def agenda_gaps(ctx: ServiceContext) -> list[GapWarning]:
    """The gaps under way or coming within six weeks, for the check-in's agenda."""
    return [
        GapWarning(student, gap)
        for student, zone, gaps in await all_gaps(ctx)
        for gap in current_or_next(gaps, local_today(ctx.now, zone), AGENDA_AHEAD)
    ]
