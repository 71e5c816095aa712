"""Migrations: upgrade to head, down to base and up again, on each backend; the models and
the migrations describe the same schema."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select

from db.engine import Database
from db.migrate import HEAD, current_revision, downgrade, head_revision, upgrade
from db.models import Base, Party, Survey, SurveyAnswer
from db.models.kinds import PartyKind


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def test_head_names_the_newest_migration() -> None:
    # Start-up compares the database's revision with HEAD before it loads Alembic.
    assert head_revision() == HEAD


async def test_upgrade_downgrade_upgrade(database: Database) -> None:
    engine = database.engine
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(Base.metadata.tables)


async def test_models_match_migrations(database: Database) -> None:
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], "a model changed without a migration: alembic revision --autogenerate"


@pytest.mark.parametrize("revision", ["head"])
async def test_upgrade_is_idempotent(database: Database, revision: str) -> None:
    await upgrade(database.engine, revision)
    await upgrade(database.engine, revision)
    assert await current_revision(database.engine) == head_revision()


async def test_a_need_written_before_0017_counts_as_answered(database: Database) -> None:
    # No other needs answers once from 0017 on: a need written before it must be kept too.
    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    await downgrade(database.engine, "0016")
    async with database.engine.begin() as connection:
        await connection.execute(
            insert(Party.__table__).values(
                id=1, key="edtech", name="GlobalEd", kind=PartyKind.ENTERPRISE
            )
        )
        await connection.execute(insert(Survey.__table__).values(id=1, skills="law", sent_at=at))
        await connection.execute(
            insert(SurveyAnswer.__table__),
            [
                {"id": 1, "survey_id": 1, "party_id": 1, "need": "Python", "answered_at": at},
                {"id": 2, "survey_id": 1, "party_id": 1, "need": None, "answered_at": at},
            ],
        )
    await upgrade(database.engine)
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(SurveyAnswer.id, SurveyAnswer.need_answered_at).order_by(SurveyAnswer.id)
        )
        assert [tuple(r) for r in rows] == [(1, at), (2, None)]
