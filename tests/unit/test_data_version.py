"""`data_version`: raised by every commit that changes what the cohort's figures read (ORM
changes and Core statements alike), left alone by the others, and restored when its row is
gone; on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update

from db.engine import Database
from db.models import Assessment, DataVersion, PartyKind, Person
from tests.factories import add_person


async def version(database: Database) -> int:
    async with database.transaction() as repos:
        return await repos.dashboard.analytics_version()


async def test_commits_that_change_the_figures_raise_it(database: Database) -> None:
    start = await version(database)
    async with database.transaction() as repos:
        student = await add_person(repos, 2001, "Chen Jie")
    assert await version(database) == start + 1  # a new person
    async with database.transaction() as repos:
        await repos.assessments.add(
            Assessment(
                student_id=student.id,
                week=dt.date(2026, 9, 7),
                party_kind=PartyKind.UNIVERSITY,
                tech_rd=60,
                completed_at=dt.datetime(2026, 9, 8, tzinfo=dt.UTC),
            )
        )
    assert await version(database) == start + 2
    async with database.transaction() as repos:
        person = await repos.people.by_id(student.id)
        assert person is not None
        person.language = "zh"  # shows in no figure
        person.timezone = "Asia/Bangkok"
    assert await version(database) == start + 2
    async with database.transaction() as repos:
        person = await repos.people.by_id(student.id)
        assert person is not None
        person.name = "Chen J."  # shows in the roster
    assert await version(database) == start + 3
    async with database.transaction() as repos:  # a Core statement, no ORM object
        await repos.session.execute(update(Assessment).values(tech_rd=70))
    assert await version(database) == start + 4
    async with database.transaction() as repos:  # read only
        await repos.people.by_id(student.id)
    assert await version(database) == start + 4


async def test_a_rolled_back_change_raises_nothing(database: Database) -> None:
    start = await version(database)
    try:
        async with database.transaction() as repos:
            await add_person(repos, 2002, "Somebody")
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    assert await version(database) == start
    async with database.transaction() as repos:
        await repos.people.by_telegram_id(2002)
    assert await version(database) == start


async def test_a_missing_row_starts_again(database: Database) -> None:
    async with database.transaction() as repos:
        await repos.session.execute(delete(DataVersion))
    assert await version(database) == 0
    async with database.transaction() as repos:
        await add_person(repos, 2003, "Someone")
    assert await version(database) == 1
    async with database.transaction() as repos:
        await repos.session.execute(delete(Person).where(Person.telegram_id == 2003))
    assert await version(database) == 2
