"""Training pace: each student's programme built from their placements, the course sessions
they attend and their enterprise training; the gaps in it, warned to coordinators ahead of
time (once per gap; a warning withdrawn when its gap is filled, so that the check-in's agenda
can list the warned gaps as they are); and /plan's view of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.courses import CoursePhase
from bot.domain.pace import Activity, Gap, Phase, Timeline, timeline, to_warn
from bot.domain.time import local_today, parse_duration
from bot.services.context import ServiceContext
from bot.services.courses import Roster, Zones, rules
from db.models import PaceWarning, Person
from db.repositories import Repos

# A session as a programme sees it: when it starts and the phase it belongs to.
_Held = tuple[dt.datetime, Phase]


async def _sessions_by_student(repos: Repos, roster: Roster) -> dict[int, list[_Held]]:
    phases = {
        c.id: Phase.PRE_DEPARTURE if c.phase is CoursePhase.PRE_DEPARTURE else Phase.COURSES
        for c in await repos.courses.all()
    }
    found: dict[int, list[_Held]] = {}
    for session in await repos.courses.sessions():
        held = (session.starts_at, phases[session.course_id])
        for person_id in await roster.ids(repos, session):
            found.setdefault(person_id, []).append(held)
    return found


def _activities(
    placements: list[tuple[int, dt.date, dt.date]],
    training_days: list[dt.date],
    sessions: list[_Held],
    zone: str,
) -> list[Activity]:
    local = ZoneInfo(zone)
    found = [Activity(Phase.OVERSEAS, start, end) for _, start, end in placements]
    found += [Activity(Phase.ENTERPRISE, day, day) for day in training_days]
    for starts_at, phase in sessions:
        day = starts_at.astimezone(local).date()
        found.append(Activity(phase, day, day))
    return found


@dataclass
class _Programmes:
    """What every student's programme is built from, read once for all of them."""

    roster: Roster
    sessions: dict[int, list[_Held]]
    training: dict[int, list[dt.date]]
    zones: Zones
    return_weeks: int

    @classmethod
    async def load(cls, ctx: ServiceContext) -> _Programmes:
        roster = await Roster.load(ctx.repos, every_audience=True)
        training: dict[int, list[dt.date]] = {}
        for student, day in await ctx.repos.training.days():
            training.setdefault(student, []).append(day)
        return cls(
            roster,
            await _sessions_by_student(ctx.repos, roster),
            training,
            await Zones.load(ctx),
            (await rules(ctx.repos)).return_weeks,
        )

    def of(self, student: Person) -> tuple[str, Timeline | None]:
        zone = self.zones.of(student)
        acts = _activities(
            self.roster.placements.get(student.id, []),
            self.training.get(student.id, []),
            self.sessions.get(student.id, []),
            zone,
        )
        return zone, timeline(acts, self.return_weeks)


@dataclass
class Plan:
    student: Person
    zone: str
    timeline: Timeline | None
    today: dt.date


async def plan(ctx: ServiceContext, student: Person) -> Plan:
    """A student's programme, phase by phase, with its gaps."""
    zone, line = (await _Programmes.load(ctx)).of(student)
    return Plan(student, zone, line, local_today(ctx.now, zone))


async def all_gaps(ctx: ServiceContext) -> list[tuple[Person, str, list[Gap]]]:
    programmes = await _Programmes.load(ctx)
    found = []
    for student in sorted(programmes.roster.students.values(), key=lambda p: p.telegram_id):
        zone, line = programmes.of(student)
        if line is not None and line.gaps:
            found.append((student, zone, line.gaps))
    return found


@dataclass(frozen=True)
class GapWarning:
    student: Person
    gap: Gap


async def sweep(ctx: ServiceContext) -> list[GapWarning]:
    """The gaps coordinators must be warned of now, each recorded (with its outbox rows, in
    this transaction) so that it is warned once. A warning whose gap no longer exists (a
    session or training was added since) is withdrawn, and one whose gap shrank gets its new
    end, so that what the check-in's agenda reads of them stays true."""
    ahead = parse_duration((await rules(ctx.repos)).warn_ahead)
    found = await all_gaps(ctx)
    current = {(s.id, gap.start): gap for s, _, gaps in found for gap in gaps}
    warned: dict[int, set[dt.date]] = {}
    gone = []
    for warning in await ctx.repos.courses.warned_gaps():
        gap = current.get((warning.student_id, warning.gap_start))
        if gap is None:
            gone.append(warning)
            continue
        warning.gap_end = gap.end
        warned.setdefault(warning.student_id, set()).add(warning.gap_start)
    await ctx.repos.courses.withdraw_warnings(gone)
    due = []
    for student, zone, gaps in found:
        for gap in to_warn(gaps, local_today(ctx.now, zone), ahead, warned.get(student.id, ())):
            due.append(GapWarning(student, gap))
    await ctx.repos.courses.add_warnings(
        PaceWarning(
            student_id=w.student.id, gap_start=w.gap.start, gap_end=w.gap.end, warned_at=ctx.now
        )
        for w in due
    )
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
                    "gap_weeks": gap.weeks,
                    "warned_at": warning.warned_at.isoformat() if warning else "",
                }
            )
    return rows
