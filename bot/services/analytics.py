"""Loading scores, reports and placements into frames, and the figures built from them:
a student's progress, the cohort's summary, participation and credits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from bot import lazy
from bot.domain.capability import (
    DIMS,
    ModelRules,
    capability,
    collaboration_models,
    count_disagreements,
    disagreements,
    group_summary,
    joint_scores,
    participation_rate,
    scoring_reliability,
)
from bot.domain.credits import Credits, overseas_credits
from bot.domain.reports import ReportCalendar, weeks_reported
from bot.domain.time import local_today
from bot.services.courses import sessions_held
from bot.services.participation import Below, below_share
from bot.services.reports import Rules, StudentInfo, rules, students
from db.models import (
    Person,
    Role,
    WeeklyReport,
)
from db.repositories import Repos

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")


async def visible_students(
    repos: Repos, person: Person, roles: Iterable[Role]
) -> list[Person] | None:
    """The students whose figures this person may see (None: every student). Not a permission
    check (the command registry made that one) but whose data each role reads: coordinators
    everyone's, a student their own, a mentor the students they score."""
    held = set(roles)
    if Role.COORDINATOR in held:
        return None
    visible = [person] if Role.STUDENT in held else []
    if Role.MENTOR in held:
        for student_id in await repos.assessments.mentored_by(person.id):
            student = await repos.people.by_id(student_id)
            if student is not None and student not in visible:
                visible.append(student)
    return visible


async def load_scores(repos: Repos, student_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Completed assessments, one row per (student, week, party kind), dimensions as floats.

    The driver's rows go to pandas as they are and are converted once, column-wise: with
    millions of rows this is several times faster than SQLAlchemy's rows or ORM objects."""
    names = ["student", "week", "party_kind", *DIMS]
    rows = await repos.assessments.completed_rows(student_ids)
    frame = pd.DataFrame.from_records(rows, columns=names)
    # The week: a date (PostgreSQL) or its ISO text (SQLite); a few dozen distinct values,
    # each converted once.
    weeks, distinct = pd.factorize(frame["week"])
    frame["week"] = pd.to_datetime(pd.Index(distinct).astype(str)).take(weeks)
    return frame.astype(
        {"student": "int64", "party_kind": "object", **dict.fromkeys(DIMS, "float64")}
    )


@dataclass(frozen=True)
class Participation:
    """Weekly reports due and submitted, and course sessions held and attended: both count."""

    expected: int
    submitted: int
    late: int
    sessions: int = 0  # course sessions the student was to attend that have ended
    attended: int = 0

    @property
    def rate(self) -> float | None:
        return participation_rate(self.submitted + self.attended, self.expected + self.sessions)

    @property
    def report_rate(self) -> float | None:
        return participation_rate(self.submitted, self.expected)


async def with_sessions(
    repos: Repos,
    taking_part: dict[int, Participation],
    now: dt.datetime,
    only: Iterable[int] | None = None,
) -> dict[int, Participation]:
    """The participation of each student with the course sessions they attended counted;
    `only`: read just these students' rows (/progress), not the whole cohort's."""
    held = await sessions_held(repos, now, only)
    return {
        sid: replace(p, sessions=held.get(sid, (0, 0))[0], attended=held.get(sid, (0, 0))[1])
        for sid, p in taking_part.items()
    }


def participation(
    info: StudentInfo,
    reports: Iterable[WeeklyReport],
    calendar: ReportCalendar,
    now: dt.datetime,
    since: dt.datetime | None = None,
) -> Participation:
    """Weeks whose deadline has passed since the student joined (and since `since`), and
    the reports submitted for them."""
    counted = weeks_reported(
        info.placements, info.person.consented_at, info.zone, reports, calendar, now, since
    )
    return Participation(counted.expected, counted.submitted, counted.late)


def credits_of(info: StudentInfo, today: dt.date, per_month: Decimal) -> Credits:
    """Credits over all of a student's placements."""
    parts = [overseas_credits(p.start_date, p.end_date, today, per_month) for p in info.placements]
    return Credits(
        sum(c.months for c in parts),
        sum((c.earned for c in parts), Decimal(0)),
        sum(c.planned_months for c in parts),
        sum((c.planned for c in parts), Decimal(0)),
    )


@dataclass
class Progress:
    student: Person
    capability: pd.DataFrame
    joint: pd.DataFrame
    participation: Participation
    credits: Credits
    flagged: int  # scores on which the parties disagreed
    pending: int  # submitted reports not fully scored yet


async def progress(
    repos: Repos, student_id: int, now: dt.datetime, default_zone: str
) -> Progress | None:
    info = (await students(repos, default_zone, only=student_id)).get(student_id)
    if info is None:
        return None
    policy = await rules(repos)
    scores = await load_scores(repos, [student_id])
    joint = joint_scores(scores, policy.model)
    reports = await repos.reports.of_student(student_id)
    pending = await repos.assessments.reports_waiting(student_id)
    taking_part = participation(info, reports, policy.calendar, now)
    counted = await with_sessions(repos, {student_id: taking_part}, now, only=[student_id])
    taking_part = counted[student_id]
    return Progress(
        info.person,
        capability(joint, policy.model),
        joint,
        taking_part,
        credits_of(info, local_today(now, info.zone), policy.credits_per_month),
        count_disagreements(scores, policy.model),
        pending,
    )


@dataclass
class Cohort:
    """Everything /cohort and /export show about the whole cohort."""

    rules: Rules
    students: dict[int, StudentInfo]
    scores: pd.DataFrame
    joint: pd.DataFrame
    capability: pd.DataFrame
    by_party: pd.DataFrame
    by_site: pd.DataFrame
    by_model: pd.DataFrame
    reliability: dict[str, float | None]
    flagged: pd.DataFrame
    participation: dict[int, Participation] = field(default_factory=dict)
    mentors_below: list[Below] = field(default_factory=list)  # mandatory participation


async def _mentor_parties(repos: Repos) -> pd.DataFrame:
    """(student, party name) for every party whose mentor is on one of the student's
    placements: the mentor's own party of that kind."""
    rows = await repos.placements.mentor_parties()
    return pd.DataFrame(rows, columns=["student", "party"])


async def cohort(repos: Repos, now: dt.datetime, default_zone: str) -> Cohort:
    policy = await rules(repos)
    infos = await students(repos, default_zone)
    scores = await load_scores(repos)
    return await _cohort_from(repos, policy, infos, scores, now)


async def _cohort_from(
    repos: Repos,
    policy: Rules,
    infos: dict[int, StudentInfo],
    scores: pd.DataFrame,
    now: dt.datetime,
) -> Cohort:
    model: ModelRules = policy.model
    joint = joint_scores(scores, model)
    cap = capability(joint, model)
    sites = {p.id: p.name for p in await repos.parties.all()}
    site_rows = [
        (student, sites.get(placement.site_id, "?"))
        for student, info in infos.items()
        for placement in info.placements
    ]
    by_site = group_summary(cap, pd.DataFrame(site_rows, columns=["student", "site"]), "site")
    by_party = group_summary(cap, await _mentor_parties(repos), "party")
    models = collaboration_models(scores).reset_index()
    by_model = group_summary(cap, models, "model")
    reports: dict[int, list[WeeklyReport]] = {}
    for report in await repos.reports.submitted():
        reports.setdefault(report.student_id, []).append(report)
    taking_part = {
        student: participation(info, reports.get(student, []), policy.calendar, now)
        for student, info in infos.items()
    }
    taking_part = await with_sessions(repos, taking_part, now)
    return Cohort(
        policy,
        infos,
        scores,
        joint,
        cap,
        by_party,
        by_site,
        by_model,
        scoring_reliability(scores),
        disagreements(scores, model),
        taking_part,
        await below_share(repos, now),
    )
