"""Raising `data_version` when a commit changes what a cached figure is computed from.

The Mini App caches the cohort's summary (a second of pandas for 10,000 students) under the
version it was computed at, and reads the version (one primary-key row) before every use:
any replica sees a change the moment it is committed, and no process keeps a stale copy.
The counter is raised inside the committing transaction, as its last statement (so the row
lock is held only until that commit, and a transaction holding it waits for nothing else:
no deadlock), by every session that wrote a watched table: ORM objects added, changed or
deleted, and Core INSERT/UPDATE/DELETE statements executed through the session. A reader
that reads the version before the data may cache newer data under an older version (it is
recomputed on the next read), never older data under a newer one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, Update, event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from db.models import (
    Assessment,
    Attendance,
    Consortium,
    ConsortiumRules,
    CourseSession,
    DataVersion,
    Membership,
    Party,
    Person,
    Placement,
    PlacementMentor,
    ReportPolicy,
    SessionSite,
    SessionStudent,
    WeeklyReport,
)

ANALYTICS = "analytics"
# What /cohort's figures read. A person's other columns (language, time zone, consent to
# messages) change often and show in no figure: only their name and joining do.
WATCHED = (
    Assessment,
    Attendance,  # course sessions attended count in participation (docs/courses.md)
    Consortium,
    ConsortiumRules,  # the least share of weeks a mentor scores flags /cohort
    CourseSession,
    SessionSite,
    SessionStudent,
    Membership,
    Party,
    Placement,
    PlacementMentor,
    ReportPolicy,
    WeeklyReport,
)
WATCHED_TABLES = frozenset(str(model.__tablename__) for model in (*WATCHED, Person))
PERSON_COLUMNS = ("name", "consented_at")
_FLAG = "data_version_changed"


class TrackedSession(Session):
    """The sessions `db.engine.Database` hands out: they raise the version on commit."""


def _changes_figures(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, (*WATCHED, Person)):
            return True
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj):
            return True
        if isinstance(obj, Person):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in PERSON_COLUMNS):
                return True
    return False


@event.listens_for(TrackedSession, "before_flush")
def _note_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if not session.info.get(_FLAG) and _changes_figures(session):
        session.info[_FLAG] = True


@event.listens_for(TrackedSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, (Insert, Update, Delete)):
        table = getattr(statement.table, "name", None)
        if table in WATCHED_TABLES:
            state.session.info[_FLAG] = True


@event.listens_for(TrackedSession, "before_commit")
def _raise_version(session: Session) -> None:
    session.flush()  # what is still pending may set the flag
    if session.info.pop(_FLAG, False):
        session.execute(_raise_statement(session))


def _raise_statement(session: Session) -> Any:
    """value + 1, or a first row of 1 if the row is gone (a table emptied by hand or by
    the tests): an upsert, so that two first commits cannot collide."""
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(DataVersion).values(name=ANALYTICS, value=1)
    return statement.on_conflict_do_update(
        index_elements=[DataVersion.name], set_={"value": DataVersion.value + 1}
    )


@event.listens_for(TrackedSession, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_FLAG, None)
