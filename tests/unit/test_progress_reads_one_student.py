"""/progress counts the course sessions a student was to attend from that student's own rows:
the statements it runs do not grow with the sessions held, nor the rows it reads with the
cohort. Issue 25: it read every student and every placement of the cohort, and each ended
session's audience in two statements of its own, to keep one student's figures (4x slower
on the 10,000-student benchmark)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState

from bot.services import analytics
from bot.services.courses import sessions_held
from db.engine import Database
from db.models import Course, CourseSession, Party, PartyKind, Person, Placement, Role
from db.repositories import Repos
from tests.factories import add_membership, add_party, add_person

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
D = dt.date


@dataclass
class _Reads:
    """The statements the session runs and the rows they return, counted as they pass."""

    statements: int = 0
    rows: int = 0

    def count(self, state: ORMExecuteState) -> object:
        frozen = state.invoke_statement().freeze()
        self.statements += 1
        self.rows += len(frozen().all())
        return frozen()


async def _reads(database: Database, student: Person) -> _Reads:
    """What /progress reads for the student, in a transaction of its own as in an update."""
    reads = _Reads()
    async with database.transaction() as repos:
        event.listen(repos.session.sync_session, "do_orm_execute", reads.count)
        assert await analytics.progress(repos, student.id, NOW, "UTC") is not None
    return reads


@dataclass
class _Cohort:
    university: Party
    sites: tuple[Party, Party]
    course: Course
    students: list[Person]


async def _cohort(repos: Repos) -> _Cohort:
    university = await add_party(repos, "nbu")
    sites = (
        await add_party(repos, "bkk", PartyKind.OVERSEAS_SITE),
        await add_party(repos, "kl", PartyKind.OVERSEAS_SITE),
    )
    course = await repos.courses.add(
        Course(key="culture", title_en="Culture", title_zh="文化", lead_id=university.id)
    )
    return _Cohort(university, sites, course, [])


async def _students(repos: Repos, cohort: _Cohort, count: int) -> None:
    """Students placed in turn at the two sites for the year."""
    for _ in range(count):
        n = len(cohort.students)
        person = await add_person(repos, 3000 + n, f"Student {n}")
        await add_membership(repos, person, cohort.university, Role.STUDENT)
        site = cohort.sites[n % 2]
        await repos.placements.add(
            Placement(
                student_id=person.id,
                site_id=site.id,
                start_date=D(2026, 9, 7),
                end_date=D(2027, 6, 27),
            )
        )
        cohort.students.append(person)


async def _sessions(repos: Repos, cohort: _Cohort, count: int) -> None:
    """Sessions that ended before NOW, in turn for the cohort, for the first site's students
    and for the second student by name; the first student attends the even ones they were
    to attend."""
    first, second = cohort.students[0], cohort.students[1]
    seq = await repos.courses.next_seq(cohort.course.id)
    for n in range(seq, seq + count):
        session = await repos.courses.add_session(
            CourseSession(
                course_id=cohort.course.id,
                seq=n,
                starts_at=NOW - dt.timedelta(days=n + 1),
                minutes=90,
                cohort=n % 3 == 0,
            )
        )
        sites = {cohort.sites[0].id} if n % 3 == 1 else set()
        named = {second.id} if n % 3 == 2 else set()
        await repos.courses.set_audience(session.id, sites, named)
        if n % 3 != 2 and n % 2 == 0:
            await repos.courses.mark(session.id, first.id, True, first.id, NOW)


async def test_progress_counts_the_students_own_sessions(repos: Repos) -> None:
    cohort = await _cohort(repos)
    await _students(repos, cohort, 4)
    await _sessions(repos, cohort, 6)
    later = await repos.courses.add_session(  # still to come: not counted
        CourseSession(
            course_id=cohort.course.id, seq=99, starts_at=NOW + dt.timedelta(hours=1), minutes=60
        )
    )
    await repos.courses.set_audience(later.id, {cohort.sites[0].id}, set())

    everyone = await sessions_held(repos, NOW)
    # Sessions 0 and 3 for the cohort, 1 and 4 for the first site, 2 and 5 naming the second.
    assert everyone == {
        cohort.students[0].id: (4, 2),  # attended 0 and 4
        cohort.students[1].id: (4, 0),
        cohort.students[2].id: (4, 0),
        cohort.students[3].id: (2, 0),
    }
    for student in cohort.students:
        assert await sessions_held(repos, NOW, only=[student.id]) == {
            student.id: everyone[student.id]
        }
        found = await analytics.progress(repos, student.id, NOW, "UTC")
        assert found is not None
        taking_part = found.participation
        assert (taking_part.sessions, taking_part.attended) == everyone[student.id]


async def test_progress_reads_do_not_grow_with_the_cohort_or_its_sessions(
    database: Database,
) -> None:
    async with database.transaction() as repos:
        cohort = await _cohort(repos)
        await _students(repos, cohort, 4)
        await _sessions(repos, cohort, 6)
    first = await _reads(database, cohort.students[0])

    async with database.transaction() as repos:
        await _students(repos, cohort, 20)
    more_students = await _reads(database, cohort.students[0])
    assert (more_students.statements, more_students.rows) == (first.statements, first.rows)

    async with database.transaction() as repos:
        await _sessions(repos, cohort, 12)
    more_sessions = await _reads(database, cohort.students[0])
    assert more_sessions.statements == first.statements
