"""A bounded chaos run: a scripted month on a fast clock, with either of two webhook replicas
killed (SIGKILL) and restarted at random points, beside the same month on one replica
that never died: `python -m benchmarks.chaos --database-url postgresql+asyncpg://...`.

The month: every day a student asks a party (`/ask` in the group) and the contact on call
answers by replying to the delivery; every week the coordinator opens a check-in, a
contact votes, the coordinator closes it; between the days the clock moves on, so the
leader's scheduler sends report reminders, missing-report notices and escalations. The
replicas run `serve` on a clock shared through a file (`FileClock`), the fake Telegram
posts to them through a round-robin balancer, and a killer SIGKILLs one of the two at
random moments (seeded) and starts it again.

The verdict compares every chat's messages with the run that never died: the same texts in
the same order once the at-least-once duplicates (a message that reaches a chat again) are
taken out, which are counted; direct replies lost to a kill between an update's commit and
its reply are counted too (see docs/deployment.md, "At-least-once, in numbers").
`tests/e2e/test_chaos.py` runs a shorter month in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

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
FAST = {"LEASE_SECONDS": "3", "LEASE_RENEW_SECONDS": "1", "SCHEDULER_TICK_SECONDS": "0.2"}


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
            "DEFAULT_TIMEZONE": "Asia/Shanghai",
            "CHAOS_CLOCK": str(folder / "clock"),
            "LOG_LEVEL": os.environ.get("CHAOS_LOG_LEVEL", "WARNING"),
            **FAST,
        }
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None
        self.log = folder / f"replica-{self.port}.log"

    async def start(self) -> None:
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


@dataclass
class Run:
    """What a run left in the chats, and what happened to the replicas."""

    chats: dict[int, list[str]]
    kills: int = 0
    seconds: float = 0.0
    failed_posts: int = 0
    by_replica: Counter[int] = field(default_factory=Counter)


def content(message: SentMessage) -> str:
    if message.poll is not None:
        return "poll: " + str(message.poll["question"])
    return message.text


class Month:
    """The script: the same actions, at the same times on the clock, in either run."""

    def __init__(self, tg: FakeTelegram, clock: FileClock, database: Database, days: int) -> None:
        self.tg, self.clock, self.database, self.days = tg, clock, database, days
        self.li = tg.user(1001, "Li Wei", language_code="en")
        self.contacts = {1002: tg.user(1002, "Zhang Min"), 1003: tg.user(1003, "Wang Lei")}
        self.chen = tg.user(2001, "Chen Jie")
        self.group: FakeGroup = tg.group(GROUP, "Alliance main group")

    async def quiet(self, timeout: float = 60) -> None:
        """Every update answered and every outbox message sent (a leader may be coming
        back), then a moment with nothing new."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not self.tg._updates:
                async with self.database.transaction() as repos:  # nothing due undone
                    now = self.clock.now()
                    # An escalation step due and not run yet (no leader at the moment) is
                    # waited for: on a fast clock the next step would be due before a new
                    # leader runs it, and the step's notice skipped.
                    if await repos.outbox.oldest_due(now) is None and not await repos.requests.due(
                        now
                    ):
                        sent = len(self.tg.sent)
                        await asyncio.sleep(0.3)
                        if sent == len(self.tg.sent) and not self.tg._updates:
                            return
                        continue
            await asyncio.sleep(0.1)
        async with self.database.transaction() as repos:
            pending = await repos.outbox.pending_count()
        raise RuntimeError(
            f"the bot did not settle within a minute: {len(self.tg._updates)} updates not "
            f"answered, {pending} outbox messages pending"
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
            await self.quiet()
        self.group.add_bot(by=self.li)
        await self.quiet()
        for day in range(self.days):
            self.clock.set(START + dt.timedelta(days=day))
            question = f"Question of day {day + 1}: is the lab open?"
            self.chen.send(f"/ask nbu {question}", chat=self.group)
            await self.quiet()
            on_call = 1002 if (day // 7) % 2 == 0 else 1003
            delivery = await self.first(self.contacts[on_call], question)
            late = day % 3 == 2  # every third question waits, escalates, then is answered
            if not late:
                self.contacts[on_call].send(f"Answer {day + 1}: yes.", reply_to=delivery)
                await self.quiet()
            if day % 7 == 1:
                self.li.send("/checkin")
                await self.quiet()
                polls = [m for m in self.tg.messages(GROUP) if m.poll is not None]
                self.contacts[1002].vote(polls[-1], [day % 4])
                await self.quiet()
                self.li.send("/checkin close")
                await self.quiet()
            for hours in (1, 3, 8):  # the day's scheduled work: escalations, reminders
                self.clock.set(START + dt.timedelta(days=day, hours=hours))
                await self.quiet()
                if late and hours == 3:  # after both escalation steps, before they repeat
                    self.contacts[on_call].send(f"Answer {day + 1}: yes.", reply_to=delivery)
                    await self.quiet()


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


async def killer(
    replicas: list[Replica], seed: int, kills: int, gaps: tuple[float, float], run: Run
) -> None:
    """SIGKILL one of the replicas at random moments and start it again."""
    rng = random.Random(seed)
    while run.kills < kills:
        await asyncio.sleep(rng.uniform(*gaps))
        victim = rng.choice(replicas)
        victim.kill()
        assert victim.process is not None
        await victim.process.wait()
        run.kills += 1
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        await victim.start()


async def month(database_url: str, *, days: int, replicas: int, kills: int, seed: int) -> Run:
    await prepare(database_url)
    async with FakeTelegram(rate_limits=RateLimits(None, None, None)) as tg:
        balancer = RoundRobinBalancer()
        hook = await balancer.start()
        with tempfile.TemporaryDirectory() as folder:
            clock = FileClock(Path(folder) / "clock", START)
            running = [Replica(tg, database_url, hook, Path(folder)) for _ in range(replicas)]
            balancer.backends = [replica.url for replica in running]
            for replica in running:
                await replica.start()
            database = Database.from_url(database_url)
            run = Run({})
            chaos = None
            started = time.monotonic()
            try:
                script = Month(tg, clock, database, days)
                if kills:
                    gaps = (0.5, 3.0)
                    chaos = asyncio.create_task(killer(running, seed, kills, gaps, run))
                await script.play()
                if chaos is not None:  # the month ended before the kills: the clock stays
                    await chaos
                    await script.quiet()
            finally:
                kept = Path(tempfile.mkdtemp(prefix="chaos-logs-"))
                for replica in running:
                    (kept / replica.log.name).write_bytes(replica.log.read_bytes())
                print(f"the replicas' logs: {kept}", file=sys.stderr)
                run.seconds = time.monotonic() - started
                if chaos is not None and not chaos.done():
                    chaos.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await chaos
                for replica in running:
                    await replica.stop()
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
    calm = await month(database_url, days=days, replicas=1, kills=0, seed=seed)
    chaotic = await month(database_url, days=days, replicas=2, kills=kills, seed=seed)
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
    report, held = asyncio.run(main(args.database_url, args.days, args.kills, args.seed))
    print(report)
    sys.exit(0 if held else 1)
