"""The lease (`bot.leadership`) on PostgreSQL: one leader at a time, the epoch raised by each
new leader, a leader that cannot renew stops before its lease runs out, a late send is not
recorded over the new leader's; the rate limiter seeded with the old leader's sends; SQLite's
file lock; migrations under a lock, and a schema newer than the code refused."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Services
from bot.i18n import Translations
from bot.leadership import InUse, Leadership, SingleProcessLock
from bot.outbox.sender import _record, _Snapshot
from bot.telegram.ratelimit import TelegramRateLimiter
from db.engine import Database, create_engine
from db.migrate import HEAD, SchemaTooNew, current_revision, upgrade
from db.models import Outbox, OutboxState
from tests.conftest import POSTGRES_URL

postgres = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")


class Monotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pg(postgres_ready: bool) -> Database:
    if not postgres_ready:
        pytest.skip("TEST_DATABASE_URL is not set")
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM leader_lease"))
        await connection.execute(text("DELETE FROM outbox"))
    await engine.dispose()
    return Database.from_url(POSTGRES_URL)


def _replica(database: Database, mono: Monotonic, lease: float = 3.0) -> Leadership:
    return Leadership(database, lease_seconds=lease, renew_seconds=lease / 3, monotonic=mono)


async def test_one_leader_then_a_clean_handover(pg: Database) -> None:
    mono = Monotonic()
    first, second = _replica(pg, mono), _replica(pg, mono)
    await first.start()
    await second.start()
    assert (first.role, first.epoch) == ("leader", 1)
    assert (second.role, second.epoch) == ("standby", None)
    await first._round()  # renewed: still the leader at the same epoch
    await second._round()  # still held: nothing taken
    assert (first.epoch, second.epoch) == (1, None)

    first.resign()
    assert not first.may_send() and first.role == "standby"
    await first.release()
    await second._round()  # released: taken on the next try, without waiting for expiry
    assert (second.role, second.epoch, second.failovers) == ("leader", 2, 0)
    await pg.dispose()


async def test_a_leader_that_cannot_renew_stops_before_a_standby_takes_over(
    pg: Database,
) -> None:
    mono = Monotonic()
    old, new = _replica(pg, mono, lease=1.5), _replica(pg, mono, lease=1.5)
    await old.start()
    assert old.may_send(1)
    # The old leader is paused (no renewal). Its own deadline comes a renewal interval
    # before the database's expiry: it stops sending first.
    mono.now += 1.0 + 0.01
    assert not old.may_send(1) and old.role == "standby"
    await new._round()
    assert new.epoch is None  # the database's expiry has not come yet
    await asyncio.sleep(1.6)  # the database's clock: the lease runs out
    await new._round()
    assert (new.epoch, new.failovers) == (2, 1)
    assert new.may_send(2) and not new.may_send(1)

    # The old leader wakes up: its renewal fails, it steps down for good.
    await old._round()
    assert old.epoch is None and not old.may_send()
    await pg.dispose()


async def test_a_send_made_under_a_lost_lease_is_not_recorded(
    pg: Database, translations: Translations
) -> None:
    mono = Monotonic()
    old, new = _replica(pg, mono), _replica(pg, mono)
    await old.start()
    now = dt.datetime.now(dt.UTC)
    async with pg.transaction() as repos:
        ids = [
            await repos.outbox.add(
                Outbox(
                    chat_id=-100 - i,
                    text=f"m{i}",
                    purpose="test",
                    created_at=now,
                    state=OutboxState.PENDING,
                    not_before=now,
                )
            )
            for i in range(2)
        ]
        rows = [await repos.outbox.get(i) for i in ids]
    settings = Settings(_env_file=None, database_url=POSTGRES_URL)  # type: ignore[call-arg]
    from bot.app import build_sender

    services = Services(
        settings, pg, translations, ManualClock(now), build_sender(), leadership=old
    )
    late = _Snapshot(rows[0], epoch=1)  # type: ignore[arg-type]
    # The new leader takes the lease (released: as after an expiry, the epoch grows).
    old.resign()
    await old.release()
    await new._round()
    fresh = _Snapshot(rows[1], epoch=2)  # type: ignore[arg-type]
    services.leadership = new
    async with pg.transaction() as repos:
        await _record(services, repos, [(fresh, 77)])
    services.leadership = old  # the old leader's late answer comes
    async with pg.transaction() as repos:
        await _record(services, repos, [(late, 66)])
    async with pg.transaction() as repos:
        stored = [await repos.outbox.get(i) for i in ids]
    assert [(r.state, r.message_id) for r in stored if r] == [
        (OutboxState.PENDING, None),  # sent late: the new leader sends it (a duplicate)
        (OutboxState.SENT, 77),
    ]
    await pg.dispose()


async def test_the_new_leader_counts_the_old_leaders_last_minute(
    pg: Database,
) -> None:
    now = dt.datetime.now(dt.UTC)
    async with pg.transaction() as repos:
        for i, ago in enumerate((0.2, 0.5, 30.0, 90.0)):
            await repos.outbox.add(
                Outbox(
                    chat_id=-1001,
                    text=f"m{i}",
                    purpose="test",
                    created_at=now,
                    state=OutboxState.SENT,
                    not_before=now,
                    sent_at=now - dt.timedelta(seconds=ago),
                    message_id=i + 1,
                )
            )
    mono = Monotonic()
    limiter = TelegramRateLimiter(clock=mono, group=3)
    leader = Leadership(pg, lease_seconds=3, renew_seconds=1, monotonic=mono)
    leader.count_sends_with(limiter)
    await leader.start()
    assert leader.is_leader
    # Three sends to the group in the last minute (the one 90 s ago no longer counts): the
    # group's limit of three is reached until the oldest of them is a minute old.
    wait = limiter._wait(-1001, mono.now)
    assert 29 < wait < 31, wait
    assert limiter._wait(-1002, mono.now) <= 0  # another group: free
    await pg.dispose()


def test_limiter_seed_ignores_what_no_window_holds() -> None:
    limiter = TelegramRateLimiter(clock=lambda: 100.0, overall=2)
    assert limiter.seed([(1, 0.1), (2, 0.2), (3, 61.0), (4, -1.0)]) == 2
    assert limiter._wait(5, 100.0) > 0.8  # two sends in the last second: the window is full
    assert limiter._wait(None, 101.5) <= 0


def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    first, second = SingleProcessLock(url), SingleProcessLock(url)
    first.acquire()
    with pytest.raises(InUse, match=r"bot\.sqlite3 is in use by another bot process \(pid"):
        second.acquire()
    first.release()
    second.acquire()  # released: the next one may run
    second.release()
    SingleProcessLock("sqlite+aiosqlite://").acquire()  # in memory: nothing to lock
    SingleProcessLock(POSTGRES_URL or "postgresql+asyncpg://u@h/db").acquire()


async def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}")
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaTooNew, match="revision 0999, newer than this version"):
        await upgrade(engine)
    await engine.dispose()


@postgres
async def test_two_replicas_migrating_together_migrate_once(postgres_ready: bool) -> None:
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    engines = [create_engine(POSTGRES_URL) for _ in range(2)]
    # Without the lock the second CREATE TABLE fails (or both insert a version row).
    await asyncio.gather(*(upgrade(e) for e in engines))
    assert await current_revision(engine) == HEAD
    async with engine.connect() as connection:
        versions = (await connection.execute(text("SELECT count(*) FROM alembic_version"))).one()
    assert versions[0] == 1
    for each in (*engines, engine):
        await each.dispose()
