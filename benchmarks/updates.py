"""The update path: the bot's real handlers beside bare python-telegram-bot, in the same run.

Both get the same updates, put straight into the Application's update queue (so polling is
not what is measured), 16 at a time, and talk HTTP to the fake Telegram in a process of its
own with a 50 ms round trip and no flood limits (the rate limiter is the fan-out case's
subject; here both send as fast as the round trip allows).

The updates, a third each, from 1,000 students in their private chats:
- `/ask pN question`: opens a liaison request (the update's id claimed, the request, its
  event and an outbox row written in one transaction), answers the asker, and the outbox
  delivers the question to party N's contact on call, with its buttons;
- a poll answer: a vote in the open check-in (claimed, the vote written), no message;
- a report step: the student's draft takes their answer and the conversation its next step,
  and the bot asks the next question.

Bare PTB: a text handler that replies once, and a poll-answer handler that does nothing,
over PTB's own HTTP client (httpx); the same over the bot's (`bot.telegram.request.AiohttpRequest`,
aiohttp) for reference, which shows how much of the difference the client makes.
Ours is timed until every update is handled and every outbox message is delivered; bare
PTB until every update is handled. Both handle 16 updates at once, each in its own way:
PTB's processor holds an update's place until its handler returns, reply sent; ours
(`bot.telegram.updates.PerChatUpdateProcessor`) keeps one chat's updates in order and gives a place
back once its update has committed, while the reply is on its way. Target: at least 40% of
bare PTB's updates per second, on SQLite (WAL) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import SERVICES_KEY, Services
from bot.runner import settle_heap
from bot.telegram.request import AiohttpRequest
from db.engine import Database
from db.migrate import upgrade
from db.models import (
    Chat,
    Checkin,
    CheckinPoll,
    CheckinState,
    Consortium,
    Conversation,
    Membership,
    Party,
    PartyKind,
    Person,
    ReportStatus,
    Role,
    WeeklyReport,
)

NOW = dt.datetime(2026, 11, 4, 3, 0, tzinfo=dt.UTC)  # a Wednesday, 11:00 in Shanghai
WEEK = dt.date(2026, 11, 2)
STUDENTS, PARTIES = 1_000, 20
UPDATES = 1_500
CONCURRENT = 16
TARGET_RATIO = 0.40
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/synergy_bench"
POLL_ID = "bench-poll"
OPEN_FOR = dt.timedelta(days=3)
GROUP = -1003999999999
# What a student sends at each step of the draft `fill` leaves waiting for what they did:
# the activities, the hours, an episode, and the rules' note (the step the draft stays on).
REPORT_STEPS = (
    "Built a weather station, part {n}.",
    "38",
    "Explained the test plan to the site's engineers ({n}).",
    "Read the site's safety rules again ({n}).",
)


class NoLimits(BaseRateLimiter[Any]):
    """Sends everything at once: the fake enforces no limits in this case."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Any:
        return await callback(*args, **kwargs)


# Everyone here pressed Start, as far as the fake Telegram knows.
USERS = (f"400000-{400000 + PARTIES - 1}", f"500000-{500000 + STUDENTS - 1}")


def student_id(i: int) -> int:
    return 500_000 + i


def contact_id(i: int) -> int:
    return 400_000 + i


async def fill(database: Database) -> None:
    """Twenty parties with a contact each, 1,000 students (a draft each, waiting for what
    they did this week), a linked group with the open check-in's poll."""
    async with database.transaction() as repos:
        session = repos.session
        await session.execute(
            insert(Consortium), [{"name": "Bench", "timezone": "Asia/Shanghai", "language": "en"}]
        )
        kinds = list(PartyKind)[:4]
        await session.execute(
            insert(Party),
            [
                {"id": p + 1, "key": f"p{p}", "name": f"Party {p}", "kind": kinds[p % 4]}
                for p in range(PARTIES)
            ],
        )
        people = [
            {"id": p + 1, "telegram_id": contact_id(p), "name": f"Contact {p}"}
            for p in range(PARTIES)
        ] + [
            {"id": PARTIES + i + 1, "telegram_id": student_id(i), "name": f"Student {i}"}
            for i in range(STUDENTS)
        ]
        await session.execute(
            insert(Person),
            [{**p, "can_message": True, "consented_at": NOW, "language": "en"} for p in people],
        )
        await session.execute(
            insert(Membership),
            [{"person_id": p + 1, "party_id": p + 1, "role": Role.CONTACT} for p in range(PARTIES)]
            + [
                {"person_id": PARTIES + i + 1, "party_id": i % PARTIES + 1, "role": Role.STUDENT}
                for i in range(STUDENTS)
            ],
        )
        await session.execute(
            insert(WeeklyReport),
            [
                {
                    "id": i + 1,
                    "student_id": PARTIES + i + 1,
                    "week": WEEK,
                    "status": ReportStatus.DRAFT,
                    "week_chosen": True,
                    "attachments_done": False,
                }
                for i in range(STUDENTS)
            ],
        )
        await session.execute(
            insert(Conversation),
            [
                {
                    "person_id": PARTIES + i + 1,
                    "kind": "report",
                    "ref_id": i + 1,
                    "step": "activities",
                    "updated_at": NOW,
                }
                for i in range(STUDENTS)
            ],
        )
        await session.execute(
            insert(Chat),
            [{"telegram_id": GROUP, "title": "Bench group", "type": "supergroup", "linked": True}],
        )
        await session.execute(
            insert(Checkin),
            [{"id": 1, "state": CheckinState.OPEN, "opened_at": NOW, "closes_at": NOW + OPEN_FOR}],
        )
        await session.execute(
            insert(CheckinPoll),
            [{"checkin_id": 1, "chat_id": GROUP, "message_id": 1, "poll_id": POLL_ID}],
        )


def updates(count: int, first_id: int = 1) -> Iterator[dict[str, Any]]:
    """`count` updates as Telegram sends them: /ask, a vote and a report step in turn, each
    from the next student. A student's report steps answer what their draft asks next: what
    they did, the hours, an episode, then (from the fourth on) the note on the site's rules,
    a step a draft takes again and again, so that every step is one the draft takes, however
    many rounds of the 1,000 students there are."""
    for n in range(count):
        i = (n // 3) % STUDENTS
        round_ = n // (3 * STUDENTS)
        user = {"id": student_id(i), "is_bot": False, "first_name": f"Student {i}"}
        chat = {"id": student_id(i), "type": "private", "first_name": f"Student {i}"}
        update_id = first_id + n
        kind = n % 3
        if kind == 1:
            yield {
                "update_id": update_id,
                "poll_answer": {
                    "poll_id": POLL_ID,
                    "user": user,
                    "option_ids": [n % 4],
                    "option_persistent_ids": [str(n % 4)],
                },
            }
            continue
        if kind == 0:
            body = f"/ask p{i % PARTIES} Is the lab open on Saturday? ({n})"
            entities = [{"type": "bot_command", "offset": 0, "length": 4}]
        else:
            body, entities = REPORT_STEPS[min(round_, len(REPORT_STEPS) - 1)].format(n=n), []
        message = {
            "message_id": n + 1,
            "date": int(NOW.timestamp()),
            "chat": chat,
            "from": user,
            "text": body,
            **({"entities": entities} if entities else {}),
        }
        yield {"update_id": update_id, "message": message}


@dataclass
class Run:
    name: str
    updates: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


class Counter:
    """Counts handled updates (a handler in the last group) and wakes a waiter at a number."""

    def __init__(self) -> None:
        self.handled = 0
        self._target = 0
        self._reached = asyncio.Event()

    async def __call__(self, update: object, context: object) -> None:
        self.handled += 1
        if self.handled >= self._target:
            self._reached.set()

    async def until(self, target: int, timeout: float) -> None:
        self._target = target
        if self.handled < target:
            self._reached.clear()
            await asyncio.wait_for(self._reached.wait(), timeout)


async def feed(application: Application[Any, Any, Any, Any, Any, Any], raw: list[Any]) -> None:
    for data in raw:
        await application.update_queue.put(Update.de_json(data, application.bot))


async def bare(
    base_url: str, token: str, raw: list[dict[str, Any]], *, our_request: bool = False
) -> Run:
    """Bare PTB: reply once to a text, nothing for a vote; with `our_request`, over the
    bot's own HTTP client (`bot.telegram.request.AiohttpRequest`) instead of PTB's
    `HTTPXRequest`."""

    async def reply(update: Update, context: object) -> None:
        assert update.message is not None
        await update.message.reply_text("ok")

    async def vote(update: Update, context: object) -> None:
        """Nothing to do."""

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .concurrent_updates(CONCURRENT)
        .updater(None)
    )
    if our_request:
        builder = builder.request(AiohttpRequest(connection_pool_size=256))
    application = builder.build()
    counter = Counter()
    application.add_handler(MessageHandler(filters.TEXT, reply))
    application.add_handler(PollAnswerHandler(vote))
    application.add_handler(TypeHandler(Update, counter), group=99)
    async with application:
        await application.start()
        started = time.perf_counter()
        await feed(application, raw)
        await counter.until(len(raw), timeout=600)
        seconds = time.perf_counter() - started
        await application.stop()
    name = "bare PTB (reply once), over our AiohttpRequest, for reference"
    return Run(name if our_request else "bare PTB (reply once)", len(raw), seconds)


async def ours_app(
    base_url: str, token: str, database_url: str
) -> tuple[Application[Any, Any, Any, Any, Any, Any], Services, Counter]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=token,
        telegram_api_base_url=base_url,
        database_url=database_url,
        concurrent_updates=CONCURRENT,
        scheduler_tick_seconds=300,  # the handlers drain the outbox themselves
    )
    application = build_application(settings, clock=ManualClock(NOW), rate_limiter=NoLimits())
    services: Services = application.bot_data[SERVICES_KEY]
    await upgrade(services.database.engine)
    await fill(services.database)
    counter = Counter()
    application.add_handler(TypeHandler(Update, counter), group=99)
    return application, services, counter


@contextlib.asynccontextmanager
async def leading(services: Services) -> AsyncIterator[None]:
    """The lease held as `bot.runner` holds it: on PostgreSQL only the leader sends
    (`bot.leadership`), so without it the outbox would never empty; with SQLite the process
    leads alone and this changes nothing."""
    leadership = services.leadership
    stop = asyncio.Event()
    await leadership.start()
    assert leadership.is_leader, "another process holds the benchmark database's lease"
    lease = asyncio.create_task(leadership.run(stop), name="lease")
    try:
        yield
    finally:
        stop.set()
        await lease
        leadership.resign()
        await leadership.release()


async def _outbox_empty(services: Services, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        async with services.database.transaction() as repos:
            if await repos.outbox.pending_count() == 0:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError("the outbox did not empty")


async def ours(
    name: str, base_url: str, token: str, database_url: str, raw: list[Any], timeout: float = 600
) -> Run:
    application, services, counter = await ours_app(base_url, token, database_url)
    try:
        async with application, leading(services):
            await application.start()
            started = time.perf_counter()
            await feed(application, raw)
            await counter.until(len(raw), timeout=timeout)
            await _outbox_empty(services, timeout=timeout)
            seconds = time.perf_counter() - started
            await application.stop()
        async with services.database.transaction() as repos:
            asked = await repos.session.scalar(text("SELECT count(*) FROM liaison_request"))
            votes = await repos.session.scalar(text("SELECT count(*) FROM checkin_vote"))
        # every /ask opened a request; each student's latest vote counts
        assert asked == len(raw) // 3, asked
        assert votes == min(STUDENTS, len(raw) // 3), votes
    finally:
        await services.database.dispose()
    return Run(name, len(raw), seconds)


async def _postgres_ready(url: str) -> str | None:
    """A fresh `synergy_bench` database on the machine's PostgreSQL, or None if none answers."""
    parsed = make_url(url)
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no server, no rights: the case is left out, and said so
        return None
    finally:
        await admin.dispose()
    return url


async def report(postgres_url: str = POSTGRES) -> str:
    from benchmarks.run import _start_fake  # run.py imports this module

    settle_heap()  # as `python -m bot` does, for both: the collector set as in production
    raw = list(updates(UPDATES))
    process, base_url, _stats, token = await _start_fake(0, limits=False, users=USERS)
    lines = [
        "| update-path case | updates | seconds | updates/s | share of bare PTB |",
        "|---|---|---|---|---|",
    ]
    verdicts = []
    try:
        baseline = await bare(base_url, token, raw)
        runs = [await bare(base_url, token, raw, our_request=True)]
        with tempfile.TemporaryDirectory() as folder:
            sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'updates.sqlite3'}"
            runs.append(await ours("ours, SQLite (WAL)", base_url, token, sqlite, raw))
            pg = await _postgres_ready(postgres_url)
            if pg is not None:
                runs.append(await ours("ours, PostgreSQL", base_url, token, pg, raw))
            else:
                verdicts.append(f"PostgreSQL case left out: no server at {postgres_url}")
            lines.append(
                f"| {baseline.name} | {baseline.updates} | {baseline.seconds:.2f} | "
                f"{baseline.rate:.0f} | 100% |"
            )
            for run in runs:
                share = run.rate / baseline.rate
                lines.append(
                    f"| {run.name} | {run.updates} | {run.seconds:.2f} | {run.rate:.0f} | "
                    f"{share:.0%} |"
                )
                if run.name.startswith("bare"):
                    continue  # how much of the difference is the HTTP client: no target
                verdicts.append(
                    f"target ({run.name}: at least {TARGET_RATIO:.0%} of bare PTB's "
                    f"updates/s): {'HOLDS' if share >= TARGET_RATIO else 'MISSED'} ({share:.0%})"
                )
    finally:
        process.terminate()
        await process.wait()
    lines += ["", *verdicts]
    return "\n".join(lines)


if __name__ == "__main__":
    print(asyncio.run(report()))
