"""Migrations: upgrade to head, down to base and up again, on each backend; the models and
the migrations describe the same schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from db.engine import Database
from db.migrate import HEAD, current_revision, downgrade, head_revision, upgrade
from db.models import Base


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
