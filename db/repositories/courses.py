"""Course modules, their sessions and audiences, attendance, session reminders and the
programme gaps coordinators were warned of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Course,
    CourseParty,
    CourseSession,
    PaceWarning,
    SessionReminder,
    SessionSite,
    SessionStudent,
)


class CourseRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Course]:
        return (await self.session.scalars(select(Course).order_by(Course.key))).all()

    async def by_key(self, key: str) -> Course | None:
        return await self.session.scalar(select(Course).where(Course.key == key))

    async def by_ids(self, ids: Iterable[int]) -> dict[int, Course]:
        rows = await self.session.scalars(select(Course).where(Course.id.in_(set(ids))))
        return {course.id: course for course in rows}

    async def add(self, course: Course) -> Course:
        self.session.add(course)
        await self.session.flush()
        return course

    async def builders(self, course_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(CourseParty.party_id).where(CourseParty.course_id == course_id)
        )
        return set(rows.all())

    async def built_by(self) -> dict[int, set[int]]:
        """Every course's building parties."""
        found: dict[int, set[int]] = {}
        for course_id, party_id in await self.session.execute(
            select(CourseParty.course_id, CourseParty.party_id)
        ):
            found.setdefault(course_id, set()).add(party_id)
        return found

    async def set_builders(self, course_id: int, party_ids: set[int]) -> bool:
        current = await self.builders(course_id)
        if current == party_ids:
            return False
        await self.session.execute(
            delete(CourseParty).where(
                CourseParty.course_id == course_id, CourseParty.party_id.not_in(party_ids)
            )
        )
        self.session.add_all(
            CourseParty(course_id=course_id, party_id=p) for p in sorted(party_ids - current)
        )
        await self.session.flush()
        return True

    # Sessions

    async def sessions(self, course_id: int | None = None) -> Sequence[CourseSession]:
        query = select(CourseSession).order_by(CourseSession.starts_at, CourseSession.id)
        if course_id is not None:
            query = query.where(CourseSession.course_id == course_id)
        return (await self.session.scalars(query)).all()

    async def session_by_id(self, session_id: int) -> CourseSession | None:
        return await self.session.get(CourseSession, session_id)

    async def session_at(self, course_id: int, seq: int) -> CourseSession | None:
        return await self.session.scalar(
            select(CourseSession).where(
                CourseSession.course_id == course_id, CourseSession.seq == seq
            )
        )

    async def next_seq(self, course_id: int) -> int:
        top = await self.session.scalar(
            select(func.max(CourseSession.seq)).where(CourseSession.course_id == course_id)
        )
        return 0 if top is None else top + 1

    async def add_session(self, session: CourseSession) -> CourseSession:
        self.session.add(session)
        await self.session.flush()
        return session

    async def starting_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> Sequence[CourseSession]:
        rows = await self.session.scalars(
            select(CourseSession)
            .where(CourseSession.starts_at > start, CourseSession.starts_at <= end)
            .order_by(CourseSession.starts_at, CourseSession.id)
        )
        return rows.all()

    async def audience(self, session_id: int) -> tuple[set[int], set[int]]:
        """The session's sites (party ids) and named students (person ids)."""
        sites = await self.session.scalars(
            select(SessionSite.party_id).where(SessionSite.session_id == session_id)
        )
        students = await self.session.scalars(
            select(SessionStudent.person_id).where(SessionStudent.session_id == session_id)
        )
        return set(sites.all()), set(students.all())

    async def audiences(
        self, named: Iterable[int] | None = None
    ) -> dict[int, tuple[set[int], set[int]]]:
        """Every session's sites and named students (sessions for the cohort have none);
        with `named`, only those of these person ids among the named."""
        found: dict[int, tuple[set[int], set[int]]] = {}
        for session_id, party_id in await self.session.execute(
            select(SessionSite.session_id, SessionSite.party_id)
        ):
            found.setdefault(session_id, (set(), set()))[0].add(party_id)
        students = select(SessionStudent.session_id, SessionStudent.person_id)
        if named is not None:
            students = students.where(SessionStudent.person_id.in_(list(named)))
        for session_id, person_id in await self.session.execute(students):
            found.setdefault(session_id, (set(), set()))[1].add(person_id)
        return found

    async def set_audience(self, session_id: int, sites: set[int], students: set[int]) -> bool:
        old_sites, old_students = await self.audience(session_id)
        if (old_sites, old_students) == (sites, students):
            return False
        await self.session.execute(delete(SessionSite).where(SessionSite.session_id == session_id))
        await self.session.execute(
            delete(SessionStudent).where(SessionStudent.session_id == session_id)
        )
        self.session.add_all(SessionSite(session_id=session_id, party_id=p) for p in sorted(sites))
        self.session.add_all(
            SessionStudent(session_id=session_id, person_id=p) for p in sorted(students)
        )
        await self.session.flush()
        return True

    # Reminders

    async def reminders_sent(self, session_id: int) -> dict[int, set[int]]:
        """Per attendee (person id), the reminders (minutes before) already sent."""
        rows = await self.session.execute(
            select(SessionReminder.person_id, SessionReminder.before_minutes).where(
                SessionReminder.session_id == session_id
            )
        )
        sent: dict[int, set[int]] = {}
        for person_id, minutes in rows:
            sent.setdefault(person_id, set()).add(minutes)
        return sent

    async def add_reminders(self, reminders: Iterable[SessionReminder]) -> None:
        self.session.add_all(reminders)
        await self.session.flush()

    # Attendance

    async def attendance(self, session_id: int) -> dict[int, Attendance]:
        rows = await self.session.scalars(
            select(Attendance).where(Attendance.session_id == session_id)
        )
        return {row.person_id: row for row in rows}

    async def mark(
        self, session_id: int, person_id: int, present: bool, by: int, at: dt.datetime
    ) -> Attendance:
        row = await self.session.get(Attendance, (session_id, person_id))
        if row is None:
            row = Attendance(session_id=session_id, person_id=person_id)
            self.session.add(row)
        row.present, row.marked_by_id, row.marked_at = present, by, at
        await self.session.flush()
        return row

    async def attended(
        self, person_ids: Iterable[int] | None = None
    ) -> list[tuple[int, CourseSession]]:
        """(person id, session) for every session marked attended."""
        query = (
            select(Attendance.person_id, CourseSession)
            .join(CourseSession, CourseSession.id == Attendance.session_id)
            .where(Attendance.present.is_(True))
            .order_by(CourseSession.starts_at)
        )
        if person_ids is not None:
            query = query.where(Attendance.person_id.in_(set(person_ids)))
        return [(person_id, session) for person_id, session in await self.session.execute(query)]

    async def attendance_of(self, person_id: int) -> Sequence[Attendance]:
        rows = await self.session.scalars(
            select(Attendance).where(Attendance.person_id == person_id)
        )
        return rows.all()

    async def named_in(self, person_id: int) -> set[int]:
        """The sessions that name this student as an attendee."""
        rows = await self.session.scalars(
            select(SessionStudent.session_id).where(SessionStudent.person_id == person_id)
        )
        return set(rows.all())

    async def reminders_of(self, person_id: int) -> Sequence[SessionReminder]:
        rows = await self.session.scalars(
            select(SessionReminder).where(SessionReminder.person_id == person_id)
        )
        return rows.all()

    # Programme gaps

    async def warned_gaps(self, student_id: int | None = None) -> Sequence[PaceWarning]:
        query = select(PaceWarning).order_by(PaceWarning.student_id, PaceWarning.gap_start)
        if student_id is not None:
            query = query.where(PaceWarning.student_id == student_id)
        return (await self.session.scalars(query)).all()

    async def withdraw_warnings(self, warnings: Iterable[PaceWarning]) -> None:
        """Forget the warnings of gaps that no longer exist (so a gap that comes back is
        warned again)."""
        for warning in warnings:
            await self.session.delete(warning)
        await self.session.flush()

    async def add_warnings(self, warnings: Iterable[PaceWarning]) -> None:
        self.session.add_all(warnings)
        await self.session.flush()
