"""The scheduler's course and pace sweeps with a large cohort: 2,000 students placed at 10
sites, 20 modules of 10 sessions each (half for the cohort, half for one site), on SQLite.

Ours: `bot.services.pace.sweep` (every student's programme: placements, training records and
the sessions they attend, its gaps, the warnings due) and `bot.services.courses.reminders`
(the reminders due in the next 24 hours), each in one transaction, as the tick runs them.
Baseline: the same cohort's `bot.services.analytics.cohort` of the /cohort command, which
also reads every student. Targets: the pace sweep within 10 seconds (it runs once an hour);
the reminder sweep within 2 seconds in the minute a cohort-wide session's reminder falls due
(2,000 reminder rows written) and within 0.5 seconds in any other minute (it runs once a
minute).

    python -m benchmarks.pace
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bot.services import analytics, courses, pace
from bot.services.context import ServiceContext
from db.engine import Database
from db.migrate import upgrade
from db.models import (
    Consortium,
    Course,
    CourseSession,
    Membership,
    Party,
    PartyKind,
    Person,
    Placement,
    Role,
    SessionSite,
)

STUDENTS, SITES, MODULES, SESSIONS = 2_000, 10, 20, 10
NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
TARGETS = {
    "pace sweep": 10.0,
    "reminder sweep, 2,000 due": 2.0,
    "reminder sweep, none due": 0.5,
}


async def _fill(database: Database) -> None:
    async with database.transaction() as repos:
        session = repos.session  # a benchmark's bulk load, as benchmarks/startup.py does
        session.add(Consortium(name="Bench", timezone="Asia/Shanghai", language="en"))
        uni = Party(key="uni", name="University", kind=PartyKind.UNIVERSITY)
        sites = [
            Party(key=f"site{i}", name=f"Site {i}", kind=PartyKind.OVERSEAS_SITE)
            for i in range(SITES)
        ]
        session.add_all([uni, *sites])
        await session.flush()
        await session.execute(
            insert(Person),
            [{"telegram_id": 10_000 + i, "name": f"Student {i}"} for i in range(STUDENTS)],
        )
        ids = list(
            (await session.scalars(Person.__table__.select().with_only_columns(Person.id))).all()
        )
        await session.execute(
            insert(Membership),
            [{"person_id": pid, "party_id": uni.id, "role": Role.STUDENT} for pid in ids],
        )
        await session.execute(
            insert(Placement),
            [
                {
                    "student_id": pid,
                    "site_id": sites[i % SITES].id,
                    # half leave in January: November and December hold their gaps
                    "start_date": dt.date(2026, 9, 1) if i % 2 else dt.date(2027, 1, 4),
                    "end_date": dt.date(2027, 3, 31),
                }
                for i, pid in enumerate(ids)
            ],
        )
        for m in range(MODULES):
            course = Course(key=f"m{m}", title_en=f"M{m}", title_zh=f"M{m}", lead_id=uni.id)
            session.add(course)
            await session.flush()
            for s in range(SESSIONS):
                item = CourseSession(
                    course_id=course.id,
                    seq=s,
                    starts_at=NOW + dt.timedelta(hours=12, days=7 * s + m),
                    minutes=90,
                    cohort=m % 2 == 0,
                )
                session.add(item)
                await session.flush()
                if m % 2:
                    await session.execute(
                        insert(SessionSite),
                        [{"session_id": item.id, "party_id": sites[m % SITES].id}],
                    )


async def _timed(database: Database, name: str, work) -> tuple[str, float, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    async with database.transaction() as repos:
        count = await work(ServiceContext(repos, NOW, "UTC"))
    return name, time.perf_counter() - start, count


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        database = Database.from_url(url)
        await upgrade(database.engine)
        await _fill(database)
        runs = [
            await _timed(database, "pace sweep", lambda ctx: _len(pace.sweep(ctx))),
            await _timed(
                database, "reminder sweep, 2,000 due", lambda ctx: _len(courses.reminders(ctx))
            ),
            await _timed(
                database, "reminder sweep, none due", lambda ctx: _len(courses.reminders(ctx))
            ),
            await _timed(
                database,
                "baseline: /cohort's analytics",
                lambda ctx: _len_dict(analytics.cohort(ctx.repos, NOW, "UTC")),
            ),
        ]
        await database.dispose()
    print("| case | students | sessions | seconds | found | target |")
    print("|---|---|---|---|---|---|")
    for name, seconds, found in runs:
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else ("held" if seconds <= target else "MISSED") + f" (≤ {target:g} s)"
        )
        print(
            f"| {name} | {STUDENTS} | {MODULES * SESSIONS} | {seconds:.2f} | {found} | {verdict} |"
        )


async def _len(work) -> int:  # type: ignore[no-untyped-def]
    return len(await work)


async def _len_dict(work) -> int:  # type: ignore[no-untyped-def]
    return len((await work).students)


if __name__ == "__main__":
    asyncio.run(main())
