"""What the repositories share: the session's dialect, the INSERT of each dialect (for
their ON CONFLICT clauses), a Core INSERT of one new row, reading rows straight from the
driver, the one query of mentors' scores waiting (weekly and topic reports alike), and the
statements two features' repositories both run (a chat by its Telegram id, the linked
groups, a student's placements, the count of scores pending), so that each feature's
repository holds its queries without a twin.

The statements of the update path are built once, at import, with named parameters (for
each dialect's ON CONFLICT where they need one), beside the repository that runs them:
building a statement and its cache key on every call cost more than running it, `excluded`
alone (a copy of the table's columns) about 0.8 ms. Those that read by primary key do as
`Session.get` does but built once: `get` builds its statement (and its cache key) on every
call, 0.46 ms of CPU against 0.36 ms for a prebuilt one on PostgreSQL. Unlike `get`, they
always ask the database, so only for rows an update reads once (a person or a party is
often in the session already, and `get` then asks nothing). A new outbox row or request is
written once with a Core INSERT (`core_insert`), not through the unit of work: a flush of
one new object cost about 1.2 ms more than the same INSERT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Chat, Placement

# Placements with their mentors, by student and start (`PLACEMENTS_OF`: one student's): the
# placements' repository and the reports' (the weeks a student owes a report).
PLACEMENTS = (
    select(Placement)
    .options(selectinload(Placement.mentors))
    .order_by(Placement.student_id, Placement.start_date)
)
PLACEMENTS_OF = PLACEMENTS.where(Placement.student_id == bindparam("student_id"))

# A chat by its Telegram id: the chats' repository and the liaison's (where a question is asked).
CHAT = select(Chat).where(Chat.telegram_id == bindparam("telegram_id"))
# The linked groups the bot is still in: the chats' repository and the check-in's.
LINKED_GROUPS = select(Chat).where(Chat.linked.is_(True), Chat.active.is_(True)).order_by(Chat.id)


def dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None, "the sessions are bound to the engine"
    return bind.dialect.name


DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def core_insert(model: Any) -> tuple[Any, frozenset[str]]:
    """An INSERT of one row of `model`'s table returning its id, and the table's columns."""
    table = model.__table__
    return insert(table).returning(table.c.id), frozenset(table.c.keys())


def given_values(row: Any, columns: frozenset[str]) -> dict[str, Any]:
    """The columns an ORM object was given (the others take their defaults)."""
    return {key: value for key, value in inspect(row).dict.items() if key in columns}


def driver_rows(connection: Connection, query: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of a query straight from the driver's cursor, skipping SQLAlchemy's result
    rows and type processing: for millions of rows (a cohort's scores) that processing costs
    more than reading them. Only for queries whose parameters need no conversion."""
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def scores_waiting(model: Any, before: Any) -> Select[tuple[Any]]:
    """The assessments of `model` (a weekly report's or a topic report's) requested from a
    mentor before `before`, not completed and not yet reminded: one query for both kinds."""
    return (
        select(model)
        .where(
            model.completed_at.is_(None),
            model.reminded_at.is_(None),
            model.requested_at <= before,
            model.mentor_id.is_not(None),
        )
        .order_by(model.id)
    )


def scores_pending(model: Any) -> Select[int]:
    """How many scores of `model` (`Assessment`) were asked of mentors for a weekly report
    and are not given yet: the reports' own count and the check-in agenda's."""
    return (
        select(func.count())
        .select_from(model)
        .where(model.completed_at.is_(None), model.report_id.is_not(None))
    )
