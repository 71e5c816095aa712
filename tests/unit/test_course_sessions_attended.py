"""A student's course sessions attended count only among the sessions held for them: ended,
and for the cohort, their site or naming them. A "present" mark on a session still running,
another site's or one naming other students counts for nothing, in /progress (one student's
rows) as in /cohort, /export and the Mini App (the whole cohort's). It used to count every
mark, capped by the sessions held: 3 held, 1 attended, 2 marks elsewhere showed 3 of 3."""

from __future__ import annotations

import datetime as dt

from bot.services import analytics
from bot.services.courses import sessions_held
from db.models import Course, CourseSession, Party, PartyKind, Person, Placement, Role
from db.repositories import Repos
from tests.factories import add_membership, add_party, add_person

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


async def _student(repos: Repos, telegram_id: int, university: Party, site: Party) -> Person:
    person = await add_person(repos, telegram_id, f"Student {telegram_id}")
    await add_membership(repos, person, university, Role.STUDENT)
    await repos.placements.add(
        Placement(
            student_id=person.id,
            site_id=site.id,
            start_date=dt.date(2026, 9, 7),
            end_date=dt.date(2027, 6, 27),
        )
    )
    return person


async def _session(
    repos: Repos,
    course: Course,
    starts_at: dt.datetime,
    cohort: bool = False,
    sites: frozenset[int] = frozenset(),
    named: frozenset[int] = frozenset(),
) -> CourseSession:
    session = await repos.courses.add_session(
        CourseSession(
            course_id=course.id,
            seq=await repos.courses.next_seq(course.id),
            starts_at=starts_at,
            minutes=90,
            cohort=cohort,
        )
    )
    await repos.courses.set_audience(session.id, set(sites), set(named))
    return session


async def test_marks_on_sessions_not_held_for_the_student_do_not_count(repos: Repos) -> None:
    university = await add_party(repos, "nbu")
    bkk = await add_party(repos, "bkk", PartyKind.OVERSEAS_SITE)
    kl = await add_party(repos, "kl", PartyKind.OVERSEAS_SITE)
    course = await repos.courses.add(
        Course(key="culture", title_en="Culture", title_zh="文化", lead_id=university.id)
    )
    chen = await _student(repos, 2001, university, bkk)
    zhao = await _student(repos, 2002, university, kl)
    day = dt.timedelta(days=1)

    # Held for Chen: one for the cohort, one for Bangkok's students, one naming him.
    everyone = await _session(repos, course, NOW - 5 * day, cohort=True)
    bangkok = await _session(repos, course, NOW - 4 * day, sites=frozenset({bkk.id}))
    chens = await _session(repos, course, NOW - 3 * day, named=frozenset({chen.id}))
    # Not held for Chen: Kuala Lumpur's, one naming Zhao, and one for all still running.
    kuala_lumpur = await _session(repos, course, NOW - 2 * day, sites=frozenset({kl.id}))
    zhaos = await _session(repos, course, NOW - day, named=frozenset({zhao.id}))
    running = await _session(repos, course, NOW - dt.timedelta(minutes=30), cohort=True)

    for session, person, present in [
        (bangkok, chen, True),
        (everyone, chen, False),
        (kuala_lumpur, chen, True),
        (zhaos, chen, True),
        (running, chen, True),
        (kuala_lumpur, zhao, True),
        (zhaos, zhao, True),
        (bangkok, zhao, True),
        (chens, zhao, True),
        (running, zhao, True),
    ]:
        await repos.courses.mark(session.id, person.id, present, person.id, NOW)

    expected = {chen.id: (3, 1), zhao.id: (3, 2)}  # Zhao: the cohort's, KL's and her own
    assert await sessions_held(repos, NOW) == expected
    for student in (chen, zhao):
        assert await sessions_held(repos, NOW, only=[student.id]) == {
            student.id: expected[student.id]
        }
        # /progress: the one student's path.
        found = await analytics.progress(repos, student.id, NOW, "UTC")
        assert found is not None
        held = found.participation
        assert (held.sessions, held.attended) == expected[student.id]
    # /cohort, /export and the Mini App: the whole cohort's path.
    taking_part = (await analytics.cohort(repos, NOW, "UTC")).participation
    assert {sid: (p.sessions, p.attended) for sid, p in taking_part.items()} == expected
