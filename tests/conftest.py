"""Shared fixtures: databases on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is
set), translations, a controllable clock and the fake Telegram server."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram, RateLimits
from bot.i18n import Translations, Translator
from db.engine import Database, create_engine
from db.migrate import upgrade
from db.models import Base
from db.repositories import Repos

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILE = ROOT / "examples" / "consortium.yaml"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Asia/Shanghai
CHAT_RATE = 4.0  # messages per second to one chat, in the tests (Telegram: about 1)
E2E_DIR = ROOT / "tests" / "e2e"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
        ],
    ),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e/ `e2e`, so that `-m "not e2e"` (`make test-fast`)
    leaves out the slow ones: the real bot, the fake Telegram over HTTP, subprocesses."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    await engine.dispose()


async def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async def migrate() -> None:
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> bool:
    if POSTGRES_URL:
        asyncio.run(_reset_postgres(POSTGRES_URL))
    return bool(POSTGRES_URL)


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_ready: bool
) -> str:
    """A database at the newest migration with no rows, on each backend."""
    if request.param == "postgres":
        asyncio.run(_truncate_postgres(POSTGRES_URL))
        return POSTGRES_URL
    path = tmp_path / "bot.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def repos(database: Database) -> AsyncIterator[Repos]:
    """Repositories in one transaction that is rolled back after the test."""
    async with database.session() as session:
        await session.begin()
        yield Repos(session)
        await session.rollback()


@pytest.fixture(scope="session")
def translations() -> Translations:
    return Translations.load()


@pytest.fixture
def en(translations: Translations) -> Translator:
    return translations.for_language("en")


@pytest.fixture
def zh(translations: Translations) -> Translator:
    return translations.for_language("zh")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    # Telegram's limits, except one chat's: four messages a second instead of one, and the
    # bot's per-chat gap below a quarter of a second to match, so that a test's quick user
    # does not wait a second for every reply. tests/e2e/test_rate_limits.py checks the spacing.
    async with FakeTelegram(rate_limits=RateLimits(chat_per_second=CHAT_RATE)) as server:
        yield server


@pytest.fixture
def settings(tg: FakeTelegram, db_url: str, request: pytest.FixtureRequest) -> Settings:
    wider = request.node.get_closest_marker("rate_margin")
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=tg.token,
        telegram_api_base_url=tg.base_url,
        database_url=db_url,
        default_timezone="UTC",
        scheduler_tick_seconds=0.05,
        # The fake shares the bot's event loop here: under load (PostgreSQL, 200 groups) it
        # notes a request up to ~0.2 s after the limiter let it go, like a jittery network,
        # so the limiter keeps a wider margin than the default 10 ms. (With the fake in its
        # own process, the benchmark's delays are a few ms, and a late one is seen in its
        # round trip.)
        rate_limit_margin=wider.args[0] if wider else 0.25,
        rate_limit_chat_gap=1 / CHAT_RATE,
    )
