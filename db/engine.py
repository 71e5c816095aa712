"""Engine and session factory. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db import sqlite
from db.data_version import TrackedSession
from db.repositories import Repos

log = logging.getLogger(__name__)
T = TypeVar("T")
RECYCLE_SECONDS = 1800


def create_engine(url: str, *, pool_size: int = 5, **connect_args: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and its short
    statements run inline (`db.sqlite`). `pool_size`: the server connections kept open
    (PostgreSQL); as many again may open under load, and those are closed as soon as they
    are returned."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30, "async_creator_fn": sqlite.connect, **connect_args},
            hide_parameters=True,  # statement parameters are people's words: never logged
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The driver must not start transactions itself: its deferred BEGIN makes the
            # outermost SAVEPOINT start the transaction, so releasing it would commit.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # IMMEDIATE: take SQLite's single write lock at the start, so a transaction
            # never reads a snapshot it then cannot write over ("database is locked").
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No ping before each checkout: on asyncpg it is three round trips (BEGIN, a query,
    # ROLLBACK), about 0.8 ms of CPU per transaction. A connection the server dropped fails
    # its first statement instead; SQLAlchemy then discards the whole pool, and
    # `Database.run` does the work again on a fresh connection. Connections are renewed
    # every half hour, before a firewall's idle timeout is likely to cut them.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=RECYCLE_SECONDS,
        connect_args=connect_args,
        hide_parameters=True,  # statement parameters are people's words: never logged
    )
    client_error = getattr(engine.dialect.dbapi, "InternalClientError", None)  # asyncpg's
    if client_error is not None:

        @event.listens_for(engine.sync_engine, "handle_error")
        def _dropped_mid_message(context: Any) -> None:
            # A connection the server terminated while it sat in the pool can fail with
            # asyncpg's "cannot switch to state ...; another operation is in progress"
            # (the server's farewell arrived before its close) instead of "connection is
            # closed": the connection is unusable either way, so it counts as lost.
            if isinstance(context.original_exception, client_error):
                context.is_disconnect = True

    return engine


class Database:
    """Owns the engine; hands out one transaction (a `Repos`) per unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=TrackedSession
        )
        # One statement is a transaction of its own: on PostgreSQL it goes without BEGIN and
        # COMMIT (asyncpg's autocommit, set on the client, no round trip), two round trips
        # fewer. SQLite's statements take their turn with the rest (below) as before.
        self._single_statements = self._on_postgresql("AUTOCOMMIT")
        # A snapshot: every read sees what was committed before the transaction's first
        # statement (PostgreSQL's default, READ COMMITTED, lets each statement see what
        # others committed meanwhile). SQLite's transactions take turns (below), so each of
        # them is one already.
        self._snapshots = self._on_postgresql("REPEATABLE READ")
        # SQLite has one writer at a time, and every transaction here begins IMMEDIATE, so
        # this process's transactions take turns in line here: a waiting one starts the
        # moment the one before commits, where SQLite's own busy wait polls in sleeps of 1
        # to 100 ms (another process, such as the admin CLI, still meets that wait, in the
        # connection's thread: `db.sqlite`).
        self._turn: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    def _on_postgresql(self, isolation_level: str) -> async_sessionmaker[AsyncSession]:
        """Sessions at this isolation level on PostgreSQL; on SQLite the usual ones."""
        if self.engine.dialect.name != "postgresql":
            return self._sessions
        return async_sessionmaker(
            self.engine.execution_options(isolation_level=isolation_level),
            expire_on_commit=False,
            sync_session_class=TrackedSession,
        )

    @classmethod
    def from_url(cls, url: str, *, concurrency: int = 1) -> Database:
        """`concurrency`: how many units of work may run at once (the updates handled
        concurrently, and the scheduler's). With fewer pooled connections than that, every
        burst opens connections and closes them again (on PostgreSQL a connection costs a
        TLS attempt and several round trips, and its prepared statements are lost with it)."""
        return cls(create_engine(url, pool_size=max(5, concurrency)))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repos]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._transaction(self._sessions) as repos:
            yield repos

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Repos]:
        """One transaction, as `transaction`, whose reads all see the database at one moment:
        for work that decides from several reads, which must not mix what was there before
        another transaction committed with what that transaction wrote (the pace sweep reads
        the rules, then the students: an import committed in between would have a gap
        judged by the rules of before). A row it changes that another transaction changed
        since its snapshot makes it fail (PostgreSQL's serialization failure)."""
        async with self._transaction(self._snapshots) as repos:
            yield repos

    @asynccontextmanager
    async def _transaction(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[Repos]:
        async with self._turn, sessions() as session, session.begin():
            yield Repos(session)

    async def run(self, work: Callable[[Repos], Awaitable[T]]) -> T:
        """`work` in one transaction, done again in a new one if the first found its
        connection lost (the server restarted, or dropped an idle connection): nothing of
        the first attempt was committed, and the pool has been renewed by then. `work` must
        only touch the database, as a handler's work before its reply does."""
        return await self._run(work, self._sessions)

    async def run_single_statement(self, work: Callable[[Repos], Awaitable[T]]) -> T:
        """As `run`, for `work` that sends exactly one statement, which is then a transaction
        of its own (on PostgreSQL sent without BEGIN and COMMIT). A second statement would
        not be in the same transaction: `work` that may need one uses `run`."""
        return await self._run(work, self._single_statements)

    async def _run(
        self, work: Callable[[Repos], Awaitable[T]], sessions: async_sessionmaker[AsyncSession]
    ) -> T:
        try:
            async with self._transaction(sessions) as repos:
                return await work(repos)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("the database connection was lost (%s); trying once more", exc.orig)
        async with self._transaction(sessions) as repos:
            return await work(repos)

    async def ping(self) -> None:
        """Connect and run the simplest statement: raises whatever keeps the database from
        answering (an address, a password, a server down)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
