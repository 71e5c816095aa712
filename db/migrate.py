"""Run Alembic migrations from inside a running event loop.

Alembic (and the migration scripts it reads) is imported only when there is something to
migrate: a bot starting on an up-to-date database reads the revision with one query and
goes on, about a quarter of a second sooner. `HEAD` is the newest migration's revision;
tests/unit/test_migrations.py checks it against the scripts, so a new migration that forgets
it fails there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0018"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


# The advisory lock two replicas starting together take before migrating: one migrates, the
# other waits, then finds the schema at head and does nothing (any 64-bit number of our own).
MIGRATION_LOCK = 0x53594E45524759  # "SYNERGY"


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the bot than this one."""


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade to `revision`, once however many replicas start together: on PostgreSQL the
    upgrade runs under an advisory lock held to its commit (Alembic reads the revision again
    under it). A database at a revision this code does not know raises `SchemaTooNew`."""
    found = await current_revision(engine)
    if revision == "head" and found == HEAD:
        return  # nothing to do, and no need to load Alembic to find that out
    if found is not None and not _known(found):
        raise SchemaTooNew(
            f"the database is at revision {found}, newer than this version of the bot "
            f"knows (its newest is {HEAD}): run the newer version, or restore a backup"
        )
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_run, "upgrade", revision)


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision (Alembic's version table), or None before the first."""
    async with engine.connect() as connection:
        try:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        except DBAPIError:  # no version table: nothing was migrated yet
            return None
    return rows[0][0] if len(rows) == 1 else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
