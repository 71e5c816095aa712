"""A bounded chaos run: a scripted month on a fast clock, with either of two webhook replicas
killed (SIGKILL) and restarted at random points, beside the same month on one replica
that never died: `python -m benchmarks.chaos --database-url postgresql+asyncpg://...` (the
calm month plays at the same time in the database named as that one with a `b`, created
if missing). `tests/e2e/test_chaos.py` runs the whole month, 24 kills, in CI.

The month: every day a student asks a party (`/ask` in the group) and the contact on call
answers by replying to the delivery; every week the coordinator opens a check-in, a
contact votes, the coordinator closes it; between the days the clock moves on, so the
leader's scheduler sends report reminders, missing-report notices and escalations. The
replicas run `serve` on a clock shared through a file (`FileClock`), the fake Telegram
posts to them through a round-robin balancer, and a killer SIGKILLs one of the two at
random points of the month (seeded) and starts it again.

Each step of the script waits until the bot is done with it, without sleeping on it: every
update answered, nothing due left, then a whole tick of the leader's scheduler (the `ticks`
of the replicas' /healthz) that sent nothing new. In the chaotic run that tick waits for a
new leader when the old one was killed, so a step never ends with the scheduler's work for
that moment of the month undone.

The verdict compares every chat's messages with the run that never died: the same texts in
the same order once the at-least-once duplicates (a message that reaches a chat again) are
taken out, which are counted; direct replies lost to a kill between an update's commit and
its reply are counted too (see docs/deployment.md, "At-least-once, in numbers").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, RateLimits, SentMessage
from bot.fake_telegram.balancer import RoundRobinBalancer
from bot.services.consortium_io import import_file
from db.engine import Database, create_engine
from db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Shanghai
SECRET = "chaos-run-webhook-secret-shared"
GROUP = -1001234567890
ONCALL = """\
  - {telegram_id: 1003, name: Wang Lei, party: nbu, roles: [contact]}
oncall:
  nbu: {rotation: [1002, 1003], handoff: "mon 09:00", period: weekly, starts_on: 2026-11-02,
        escalation: [{after: 30m, notify: next}, {after: 2h, notify: coordinators}]}
"""
# A killed leader is replaced within 4 s; every step of the month waits for a whole tick.
FAST = {"LEASE_SECONDS": "3", "LEASE_RENEW_SECONDS": "1", "SCHEDULER_TICK_SECONDS": "0.05"}
POLL = 0.025  # seconds between two looks at the bot's progress


class FileClock(ManualClock):
    """A clock the conductor moves and the replicas read, through a file: `now()` reads it
    (a replica started again reads the time where the month is)."""

    def __init__(self, path: Path, start: dt.datetime | None = None) -> None:
        self.path = path
        if start is not None:
            self.set(start)

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.path.read_text(encoding="ascii"))

    def set(self, when: dt.datetime) -> None:
        spare = self.path.with_suffix(".new")
        spare.write_text(when.isoformat(), encoding="ascii")
        spare.replace(self.path)  # atomic: a reader sees the old time or the new one

    def advance(self, delta: dt.timedelta) -> None:
        self.set(self.now() + delta)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica:
    """`python -m benchmarks.chaos replica`: `serve` in webhook mode on the shared clock."""

    def __init__(self, tg: FakeTelegram, database_url: str, hook: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram-hook"
        self.health_port = free_port()
        self.health_url = f"http://127.0.0.1:{self.health_port}/healthz"
        self.starts = 0  # which process this is: a restarted one counts its ticks from 0
        ours = ("TELEGRAM_", "DATABASE_", "WEBHOOK_", "BOT_MODE")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(ours)},
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DATABASE_URL": database_url,
            "BOT_MODE": "webhook",
            "WEBHOOK_URL": hook,
            "WEBHOOK_PORT": str(self.port),
            "WEBHOOK_SECRET": SECRET,
            "HEALTH_PORT": str(self.health_port),
            "DEFAULT_TIMEZONE": "Asia/Shanghai",
            "CHAOS_CLOCK": str(folder / "clock"),
            "LOG_LEVEL": os.environ.get("CHAOS_LOG_LEVEL", "WARNING"),
            **FAST,
        }
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None
        self.log = folder / f"replica-{self.port}.log"

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.chaos",
                "replica",
                cwd=self.folder,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        for _ in range(600):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if self.process.returncode is not None:
                    raise RuntimeError(self.log.read_text(errors="replace")[-2000:]) from None
                await asyncio.sleep(0.05)
        raise RuntimeError(f"the replica on {self.port} did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class Ticks:
    """The scheduler's ticks on the replicas, as their /healthz counts them (`ticks`: the
    ticks a process ran to the end as the leader, from 0 in each process)."""

    def __init__(self, replicas: list[Replica], session: ClientSession) -> None:
        self.replicas, self.session = replicas, session

    async def counts(self) -> dict[tuple[int, int], int]:
        """(replica, process) -> ticks, for the replicas that answer."""

        async def one(index: int, replica: Replica) -> tuple[tuple[int, int], int] | None:
            key = (index, replica.starts)
            try:
                async with self.session.get(replica.health_url) as answer:
                    if answer.status != 200:
                        return None
                    return key, int((await answer.json())["ticks"])
            except (ClientError, OSError, TimeoutError):
                return None  # killed, or not listening yet

        found = await asyncio.gather(*(one(i, r) for i, r in enumerate(self.replicas)))
        return dict(answer for answer in found if answer is not None)

    async def one_more(self, deadline: float) -> bool:
        """Wait until a tick begun after this call has ended on a leader (False at the
        deadline). A tick under way now ends first, and ticks never overlap, so a count two
        above the one read now is a whole tick since; a process not seen now counts from 0."""
        before = await self.counts()
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            await asyncio.sleep(POLL)
            for key, count in (await self.counts()).items():
                if count >= before.get(key, 0) + 2:
                    return True
        return False


@dataclass
class Run:
    """What a run left in the chats, and what happened to the replicas."""

    chats: dict[int, list[str]]
    kills: int = 0
    seconds: float = 0.0
    failed_posts: int = 0
    by_replica: Counter[int] = field(default_factory=Counter)
    logs: Path | None = None  # the replicas' logs, kept until the verdict holds


def discard_logs(*runs: Run) -> None:
    """Once the verdict holds: the replicas' logs are of no more use (a run that failed, or
    whose verdict did not hold, keeps them in /tmp/chaos-logs-*, as printed)."""
    for run in runs:
        if run.logs is not None:
            shutil.rmtree(run.logs, ignore_errors=True)


def content(message: SentMessage) -> str:
    if message.poll is not None:
        return "poll: " + str(message.poll["question"])
    return message.text


class Month:
    """The script: the same actions, at the same times on the clock, in either run."""

    def __init__(
        self,
        tg: FakeTelegram,
        clock: FileClock,
        database: Database,
        ticks: Ticks,
        days: int,
        killer: Killer | None = None,
    ) -> None:
        self.tg, self.clock, self.database, self.ticks = tg, clock, database, ticks
        self.days, self.killer = days, killer
        self.steps = 0
        self.li = tg.user(1001, "Li Wei", language_code="en")
        self.contacts = {1002: tg.user(1002, "Zhang Min"), 1003: tg.user(1003, "Wang Lei")}
        self.chen = tg.user(2001, "Chen Jie")
        self.group: FakeGroup = tg.group(GROUP, "Alliance main group")

    @staticmethod
    def length(days: int) -> int:
        """The steps `play` takes: five to begin with; each day the question, its answer and
        three moves of the clock, and every week a check-in's three."""
        return 5 + sum(5 + 3 * (day % 7 == 1) for day in range(days))

    async def step(self) -> None:
        """One step of the script done: the bot quiet again; in the chaotic run, the kills
        due before this step are made before the next one begins."""
        await self.quiet()
        self.steps += 1
        if self.killer is not None:
            await self.killer.stepped(self.steps)

    async def quiet(self, timeout: float = 60) -> None:
        """Every update answered and nothing due left undone (a leader may be coming back),
        then a whole tick of the leader's scheduler, begun after that, with nothing new sent:
        what the last action and the clock's time called for is done, in either run."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        settled = -1  # the messages sent when all was last found done, before a tick
        while loop.time() < deadline:
            if self.tg.pending_updates or await self.due():
                settled = -1
                await asyncio.sleep(POLL)
                continue
            if len(self.tg.sent) == settled:
                return  # a whole tick since, and nothing new
            settled = len(self.tg.sent)
            await self.ticks.one_more(deadline)
        async with self.database.transaction() as repos:
            pending = await repos.outbox.pending_count()
        raise RuntimeError(
            f"the bot did not settle within {timeout:.0f} s: {self.tg.pending_updates} "
            f"updates not answered, {pending} outbox messages pending"
        )

    async def due(self) -> bool:
        """An outbox message due, or an escalation step due and not run yet (no leader at
        the moment: on a fast clock the next step would be due before a new leader runs it,
        and the step's notice skipped)."""
        async with self.database.transaction() as repos:
            now = self.clock.now()
            return await repos.outbox.oldest_due(now) is not None or bool(
                await repos.requests.due(now)
            )

    async def first(self, user: FakeUser, words: str) -> SentMessage:
        """The first message to this person containing `words` (an outbox message: it
        arrives, perhaps twice)."""

        def found() -> SentMessage | None:
            return next((m for m in self.tg.messages(user.id) if words in m.text), None)

        message: SentMessage = await self.tg.wait_for(found, 60)
        return message

    async def play(self) -> None:
        for person in (self.li, *self.contacts.values(), self.chen):
            person.send("/start")
            await self.step()
        self.group.add_bot(by=self.li)
        await self.step()
        for day in range(self.days):
            self.clock.set(START + dt.timedelta(days=day))
            question = f"Question of day {day + 1}: is the lab open?"
            self.chen.send(f"/ask nbu {question}", chat=self.group)
            await self.step()
            on_call = 1002 if (day // 7) % 2 == 0 else 1003
            delivery = await self.first(self.contacts[on_call], question)
            late = day % 3 == 2  # every third question waits, escalates, then is answered
            if not late:
                self.contacts[on_call].send(f"Answer {day + 1}: yes.", reply_to=delivery)
                await self.step()
            if day % 7 == 1:
                self.li.send("/checkin")
                await self.step()
                polls = [m for m in self.tg.messages(GROUP) if m.poll is not None]
                self.contacts[1002].vote(polls[-1], [day % 4])
                await self.step()
                self.li.send("/checkin close")
                await self.step()
            for hours in (1, 3, 8):  # the day's scheduled work: escalations, reminders
                self.clock.set(START + dt.timedelta(days=day, hours=hours))
                await self.step()
                if late and hours == 3:  # after both escalation steps, before they repeat
                    self.contacts[on_call].send(f"Answer {day + 1}: yes.", reply_to=delivery)
                    await self.step()
        assert self.steps == self.length(self.days), (self.steps, self.length(self.days))


async def prepare(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    await engine.dispose()
    sample = (ROOT / "examples" / "consortium.yaml").read_text(encoding="utf-8")
    sample = sample.replace("chats:\n", ONCALL.split("oncall:")[0] + "chats:\n", 1)
    sample += "oncall:" + ONCALL.split("oncall:")[1]
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    await import_file(settings, sample, now=START)


class Killer:
    """SIGKILLs one of the replicas at random points of the month and starts it again. The
    points are drawn (seeded) among the script's steps, `kills` different ones, each kill a
    random moment (up to half a second) after its step is done, while the next goes on; a
    step does not end before the kills due before it are made (a restart under way holds
    the script back), so that every kill falls within the month, whatever the machine."""

    def __init__(self, replicas: list[Replica], seed: int, kills: int, steps: int) -> None:
        self.replicas = replicas
        self.rng = random.Random(seed)
        self.after = sorted(self.rng.sample(range(1, steps), kills))  # the steps, 1-based
        self.steps = 0  # the script's steps done
        self.kills = 0  # the kills made
        self.failed: Exception | None = None  # a replica that did not start again
        self.changed = asyncio.Condition()

    async def stepped(self, steps: int) -> None:
        """The script's step `steps` is done: wait for the kills due before it."""
        due = sum(1 for step in self.after if step < steps)
        async with self.changed:
            self.steps = steps
            self.changed.notify_all()
            await self.changed.wait_for(lambda: self.kills >= due or self.failed is not None)
        if self.failed is not None:
            raise RuntimeError(f"the killer stopped: {self.failed}") from self.failed

    async def run(self) -> None:
        try:
            await self._run()
        except Exception as exc:
            async with self.changed:
                self.failed = exc
                self.changed.notify_all()
            raise

    async def _run(self) -> None:
        for step in self.after:
            async with self.changed:
                await self.changed.wait_for(lambda: self.steps >= step)  # noqa: B023
            await asyncio.sleep(self.rng.uniform(0.0, 0.5))
            victim = self.rng.choice(self.replicas)
            victim.kill()
            assert victim.process is not None
            await victim.process.wait()
            async with self.changed:
                self.kills += 1
                self.changed.notify_all()
            await asyncio.sleep(self.rng.uniform(0.0, 0.5))
            await victim.start()


def calm_database(database_url: str) -> str:
    """Where the calm month plays, beside the chaotic one: the database named as the given
    one with a `b` (test, testb), on the same server."""
    url = make_url(database_url)
    return url.set(database=f"{url.database}b").render_as_string(hide_password=False)


async def create_database(database_url: str) -> None:
    """Create the URL's database unless it exists, through the server's `postgres`."""
    url = make_url(database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            found = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not found:
                await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        await admin.dispose()


async def months(database_url: str, *, days: int, kills: int, seed: int) -> tuple[Run, Run]:
    """The calm month (one replica that never dies, in `calm_database`) and the chaotic one
    (two replicas, `kills` kills, in `database_url`), played side by side: neither run's
    content depends on its pace, and most of a run is waiting for the other processes."""
    calm_url = calm_database(database_url)
    await create_database(calm_url)
    for url in (calm_url, database_url):  # one after the other: Alembic's upgrade is not
        await prepare(url)  # re-entrant within a process
    async with asyncio.TaskGroup() as runs:  # one failing stops the other (its replicas too)
        calm = runs.create_task(month(calm_url, days=days, replicas=1, kills=0, seed=seed))
        chaotic = runs.create_task(
            month(database_url, days=days, replicas=2, kills=kills, seed=seed)
        )
    return calm.result(), chaotic.result()


async def month(database_url: str, *, days: int, replicas: int, kills: int, seed: int) -> Run:
    """The month on a database `prepare`d for it."""
    async with FakeTelegram(rate_limits=RateLimits(None, None, None)) as tg:
        balancer = RoundRobinBalancer()
        hook = await balancer.start()
        with tempfile.TemporaryDirectory() as folder:
            clock = FileClock(Path(folder) / "clock", START)
            running = [Replica(tg, database_url, hook, Path(folder)) for _ in range(replicas)]
            balancer.backends = [replica.url for replica in running]
            await asyncio.gather(*(replica.start() for replica in running))
            database = Database.from_url(database_url)
            session = ClientSession(timeout=ClientTimeout(total=5))
            run = Run({})
            killer = Killer(running, seed, kills, Month.length(days)) if kills else None
            chaos = asyncio.create_task(killer.run()) if killer is not None else None
            started = time.monotonic()
            try:
                script = Month(tg, clock, database, Ticks(running, session), days, killer)
                await script.play()
                if chaos is not None:  # the last victim back, and what it changed settled
                    await chaos
                    await script.quiet()
            finally:
                kept = Path(tempfile.mkdtemp(prefix="chaos-logs-"))
                for replica in running:
                    (kept / replica.log.name).write_bytes(replica.log.read_bytes())
                print(f"the replicas' logs: {kept}", file=sys.stderr)
                run.logs = kept
                run.seconds = time.monotonic() - started
                run.kills = killer.kills if killer is not None else 0
                if chaos is not None and not chaos.done():
                    chaos.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await chaos
                for replica in running:
                    await replica.stop()
                await session.close()
                await database.dispose()
                await balancer.stop()
        run.failed_posts = balancer.failed
        run.by_replica = Counter(index for _, index in balancer.taken)
        chats = {m.chat_id for m in tg.sent}
        run.chats = {chat: [content(m) for m in tg.messages(chat)] for chat in sorted(chats)}
    return run


@dataclass
class Verdict:
    duplicates: int
    repeated: Counter[tuple[int, str]]
    lost: list[tuple[int, str]]
    extra: list[tuple[int, str]]
    reordered: list[int]

    @property
    def holds(self) -> bool:
        return not self.extra and not self.reordered and not self.lost


def compare(calm: Run, chaotic: Run) -> Verdict:
    """Each chat's messages in the chaotic run, repeats taken out (counted), against the calm
    run's: what is missing (lost), what is there besides (extra), chats out of order."""
    duplicates, lost, extra, reordered = 0, [], [], []
    repeated: Counter[tuple[int, str]] = Counter()
    for chat in sorted(set(calm.chats) | set(chaotic.chats)):
        want = calm.chats.get(chat, [])
        got = chaotic.chats.get(chat, [])
        seen: Counter[str] = Counter()
        allowed = Counter(want)
        kept = []
        for text_ in got:
            seen[text_] += 1
            if seen[text_] > allowed[text_]:
                if allowed[text_]:
                    duplicates += 1
                    repeated[(chat, text_[:60])] += 1
                else:
                    extra.append((chat, text_[:80]))
                continue
            kept.append(text_)
        missing = Counter(want) - Counter(kept)
        lost += [(chat, t[:80]) for t in missing.elements()]
        if not missing and kept != want:
            reordered.append(chat)
    return Verdict(duplicates, repeated, lost, extra, reordered)


async def main(database_url: str, days: int, kills: int, seed: int) -> tuple[str, bool]:
    calm, chaotic = await months(database_url, days=days, kills=kills, seed=seed)
    verdict = compare(calm, chaotic)
    messages = sum(len(v) for v in calm.chats.values())
    lines = [
        "| run | days | replicas | kills | messages in chats | seconds | posts failed (502) |",
        "|---|---|---|---|---|---|---|",
        f"| calm | {days} | 1 | 0 | {messages} | {calm.seconds:.0f} | {calm.failed_posts} |",
        f"| chaos (seed {seed}) | {days} | 2 | {chaotic.kills} | "
        f"{sum(len(v) for v in chaotic.chats.values())} | {chaotic.seconds:.0f} | "
        f"{chaotic.failed_posts} |",
        "",
        f"updates taken per replica: {dict(chaotic.by_replica)}; at-least-once duplicates: "
        f"{verdict.duplicates}; lost: {len(verdict.lost)} {verdict.lost[:5]}; other than the "
        f"calm run: {len(verdict.extra)} {verdict.extra[:5]}; out of order: {verdict.reordered}",
        f"most repeated: {verdict.repeated.most_common(8)}",
        f"target (the chats as in the calm run apart from counted duplicates, at least 20 "
        f"kills): {'HOLDS' if verdict.holds and chaotic.kills >= 20 else 'MISSED'}",
    ]
    if verdict.holds:
        discard_logs(calm, chaotic)
    return "\n".join(lines), verdict.holds


def replica_main() -> None:
    """One replica: `serve` in webhook mode on the clock in the file CHAOS_CLOCK."""
    from bot.config import load_settings
    from bot.logs import configure
    from bot.runner import serve
    from bot.telegram.ratelimit import TelegramRateLimiter

    settings = load_settings(None)
    configure(settings)
    clock = FileClock(Path(os.environ["CHAOS_CLOCK"]))

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        # As the demo's: the month's people answer at once, and Telegram's real-time limits
        # (a second between two messages to a chat, 20 a minute to a group) would make a
        # month on a fast clock last an hour; the fan-out benchmarks hold those limits.
        limiter = TelegramRateLimiter(chat_gap=0.0, group=10_000)
        await serve(settings, stop, clock=clock, rate_limiter=limiter)

    asyncio.run(run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["replica"]:
        replica_main()
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=27)
    args = parser.parse_args()
    if not 0 <= args.kills < Month.length(args.days):
        parser.error(f"{args.days} days have {Month.length(args.days) - 1} steps to kill after")
    report, held = asyncio.run(main(args.database_url, args.days, args.kills, args.seed))
    print(report)
    sys.exit(0 if held else 1)
