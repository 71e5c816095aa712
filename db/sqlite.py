"""SQLite through aiosqlite, with each short statement run at once on the event loop's thread.

aiosqlite hands every call (make a cursor, execute, fetch, close) to its connection's own
thread and brings the result back through the event loop: four trips through the loop's
queue per statement. This process's transactions take turns (SQLite has one writer, see
`db.engine.Database`), so each trip lengthened the turn that every other update waited
for: with 16 updates in flight the turn was held 94% of the time, mostly waiting for the
loop to come round. In WAL mode with `synchronous=NORMAL` a commit does not sync, and the
bot's statements take microseconds, so here they run inline. What may take long runs in
the connection's thread as before:

- a statement that meets a lock held by another process (the admin CLI, a backup): the
  connection's busy timeout is 0, so SQLite says so at once instead of blocking the loop,
  and the statement is retried in the thread with the full timeout (when retrying it is
  safe: outside a transaction, or the COMMIT; SQLite's rule for SQLITE_BUSY);
- reads of whole tables (the analytics' scores): inside `in_worker_thread()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite

_in_thread: ContextVar[bool] = ContextVar("sqlite_in_worker_thread", default=False)


@contextmanager
def in_worker_thread() -> Iterator[None]:
    """Statements in this block run in the connection's thread: the event loop goes on
    meanwhile. For reads that take more than a few milliseconds."""
    token = _in_thread.set(True)
    try:
        yield
    finally:
        _in_thread.reset(token)


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs its calls inline unless told otherwise."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], patience: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._patience_ms = int(patience * 1000)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _in_thread.get():
            return await super()._execute(self._patiently, fn, *args, **kwargs)
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        retry_safe = not self._connection.in_transaction or fn == self._connection.commit
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not (_busy(exc) and retry_safe):
                raise
        return await super()._execute(self._patiently, fn, *args, **kwargs)

    def _patiently(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn` in the worker thread, waiting up to the busy timeout for another process."""
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout = {self._patience_ms}")
        try:
            return fn(*args, **kwargs)
        finally:
            connection.execute("PRAGMA busy_timeout = 0")


def connect(database: str, *, timeout: float = 30.0, **kwargs: Any) -> InlineConnection:
    """For SQLAlchemy's `async_creator_fn`: the connection is made in its thread, with no
    busy wait of its own, and used from the loop's thread too (one caller at a time)."""

    kwargs.pop("check_same_thread", None)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, timeout=0, check_same_thread=False, **kwargs)

    connection = InlineConnection(connector, timeout)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection


def database_file(url: str) -> str | None:
    """The file a SQLite URL names (None: PostgreSQL, or SQLite in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database if parsed.get_backend_name() == "sqlite" else None
    return name if name and name != ":memory:" else None
