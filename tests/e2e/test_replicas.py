"""Two real `python -m bot` processes on one PostgreSQL database and the fake Telegram: one
leads (scheduler, outbox, polling), the other stands by (`bot.leadership`).

- SIGKILL the leader in the middle of a check-in's fan-out to 200 groups: every group gets
  its agenda and its poll, nothing recorded sent is sent again, the messages that reach a
  chat twice are at most those the old leader sent without an answer recorded (counted),
  and the standby's first send comes within 15 s of the kill.
- SIGSTOP the leader past its lease, the standby takes over, SIGCONT: the old leader sends
  nothing more and steps down; no message reaches a chat twice.
- The leader's database unreachable: its /healthz answers 503, and the standby takes over.
- Two processes on one SQLite file: the second exits 2 with one line; once the first is
  killed, its lock is gone.

Never two long polls at once: the fake counts 409 Conflicts, and there are none.
Fast lease settings keep the run short: a 4 s lease renewed every second."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_file
from db.engine import Database
from db.models import Chat, Outbox, OutboxState
from tests.conftest import POSTGRES_URL, SAMPLE_FILE, _truncate_postgres
from tests.e2e.conftest import MAIN_GROUP, process_env, run_cli

pytestmark = pytest.mark.wall_clock

SENDS = ("sendMessage", "sendPoll")
FAST_LEASE = {"LEASE_SECONDS": "4", "LEASE_RENEW_SECONDS": "1", "SCHEDULER_TICK_SECONDS": "0.5"}
GROUPS = 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica:
    """`python -m bot` as a process, its log in a file, /healthz on a port of its own."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.log_path = tmp_path / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, tg: FakeTelegram, database_url: str, cwd: Path) -> Replica:
        env = process_env(tg, database_url, HEALTH_PORT=str(self.port), **FAST_LEASE)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=cwd,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        return self

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.get(f"http://127.0.0.1:{self.port}/healthz")
        return answer.status_code, answer.json()

    async def role(self, wanted: str, timeout: float = 60) -> dict[str, Any]:
        """Wait until /healthz says `wanted`; its body."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: Any = None
        while loop.time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                status, body = await self.health()
                last = (status, body)
                if status == 200 and body["role"] == wanted:
                    return body
            assert self.process is not None and self.process.returncode is None, self.log
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} is not {wanted} after {timeout} s: {last}\n{self.log}")

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def stop(self) -> int:
        """SIGTERM (a SIGSTOPped one is continued first); its exit status."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
async def pg_url(postgres_ready: bool) -> str:
    if not postgres_ready:
        pytest.skip("TEST_DATABASE_URL is not set")
    await _truncate_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[list[Replica]]:
    made = [Replica(name, tmp_path) for name in ("a", "b")]
    yield made
    for replica in made:
        await replica.stop()


async def _consortium_with_groups(tg: FakeTelegram, database_url: str) -> list[int]:
    """The sample consortium and 199 more linked groups with the bot in them (200 in all)."""
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"))
    database = Database.from_url(database_url)
    groups = [MAIN_GROUP]
    async with database.transaction() as repos:
        for i in range(GROUPS - 1):
            groups.append(-1002000000000 - i)
            await repos.chats.add(
                Chat(telegram_id=groups[-1], title=f"Site {i}", type="supergroup", linked=True)
            )
    await database.dispose()
    for chat_id in groups:
        tg.group(chat_id, "group").chat.bot_member = True
    return groups


def _sends(tg: FakeTelegram) -> int:
    return sum(tg.count_calls(method) for method in SENDS)


async def _open_checkin(tg: FakeTelegram) -> None:
    li = tg.user(1001, "Li Wei", language_code="zh")
    li.send("/start")
    await li.next_message(timeout=30)
    li.send("/checkin")


async def _fan_out_done(database: Database, groups: list[int], seconds: float = 120) -> None:
    for _ in range(int(seconds * 5)):
        async with database.transaction() as repos:
            current = await repos.checkins.open_one()
            if current is not None:
                polls = await repos.checkins.polls(current.id)
                if (
                    len(polls) == len(groups)
                    and all(p.message_id for p in polls)
                    and await repos.outbox.pending_count() == 0
                ):
                    return
        await asyncio.sleep(0.2)
    raise AssertionError("the fan-out did not finish")


def _twice(tg: FakeTelegram, groups: list[int]) -> int:
    """Messages beyond each group's one agenda and one poll (at-least-once duplicates);
    every group has at least its agenda and its poll."""
    extra = 0
    for chat_id in groups:
        kinds = ["poll" if m.poll else "text" for m in tg.messages(chat_id)]
        assert kinds.count("text") >= 1 and kinds.count("poll") >= 1, (chat_id, kinds)
        extra += len(kinds) - 2
    return extra


async def test_sigkill_the_leader_mid_fan_out(
    tg: FakeTelegram, tmp_path: Path, pg_url: str, replicas: list[Replica]
) -> None:
    groups = await _consortium_with_groups(tg, pg_url)
    a, b = replicas
    await a.start(tg, pg_url, tmp_path)
    first = await a.role("leader")
    await b.start(tg, pg_url, tmp_path)
    await b.role("standby")
    await _open_checkin(tg)
    await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 20, timeout=60)
    a.signal(signal.SIGKILL)
    assert a.process is not None
    await a.process.wait()
    loop = asyncio.get_running_loop()
    killed_at, sent_by_a = loop.time(), _sends(tg)

    # What the dead leader had recorded sent: none of it may be sent again.
    database = Database.from_url(pg_url)
    async with database.transaction() as repos:
        recorded = (
            await repos.session.execute(
                select(Outbox.chat_id, Outbox.kind).where(Outbox.state == OutboxState.SENT)
            )
        ).all()
    unanswered = sent_by_a - len(recorded)  # sent, its answer not recorded when it died
    assert len(recorded) > 0 and sent_by_a < 2 * len(groups)  # killed mid-way

    await tg.wait_for(lambda: _sends(tg) > sent_by_a, timeout=30)
    first_send = loop.time() - killed_at
    assert first_send < 15, first_send
    body = await b.role("leader")
    assert body["epoch"] == first["epoch"] + 1
    await _fan_out_done(database, groups)

    duplicates = _twice(tg, groups)
    assert duplicates <= unanswered, (duplicates, unanswered)
    for chat_id, kind in recorded:
        kinds = ["poll" if m.poll else "text" for m in tg.messages(chat_id)]
        assert kinds.count("poll" if kind == "poll" else "text") == 1, (chat_id, kind, kinds)
    assert tg.conflicts == 0, tg.conflicted
    assert "took over from" in b.log
    print(f"first send {first_send:.1f} s after the kill; {duplicates} duplicates")
    await database.dispose()


async def test_sigterm_hands_the_lease_over_at_once(
    tg: FakeTelegram, tmp_path: Path, pg_url: str, replicas: list[Replica]
) -> None:
    """A clean stop in the middle of a fan-out: what was in flight is recorded, the lease is
    released, the standby goes on within a renewal interval or two, and nothing arrives
    twice."""
    groups = await _consortium_with_groups(tg, pg_url)
    a, b = replicas
    await a.start(tg, pg_url, tmp_path)
    first = await a.role("leader")
    await b.start(tg, pg_url, tmp_path)
    await b.role("standby")
    await _open_checkin(tg)
    await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 20, timeout=60)
    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    assert await a.stop() == 0, a.log
    stopped_in, sent_by_a = loop.time() - stopped_at, _sends(tg)
    assert sent_by_a < 2 * len(groups) + 2  # stopped mid-way
    await tg.wait_for(lambda: _sends(tg) > sent_by_a, timeout=30)
    handed_over = loop.time() - stopped_at
    # Stopping takes what the sends in flight take; then a renewal interval (1 s) at most.
    assert stopped_in < 5 and handed_over < stopped_in + 3, (stopped_in, handed_over)
    assert (await b.role("leader"))["epoch"] == first["epoch"] + 1
    database = Database.from_url(pg_url)
    await _fan_out_done(database, groups)
    assert _twice(tg, groups) == 0
    assert tg.conflicts == 0, tg.conflicted
    assert "released the lease" in a.log and "Traceback" not in a.log
    await database.dispose()


async def test_sigstop_the_leader_past_its_lease(
    tg: FakeTelegram, tmp_path: Path, pg_url: str, replicas: list[Replica]
) -> None:
    groups = await _consortium_with_groups(tg, pg_url)
    a, b = replicas
    await a.start(tg, pg_url, tmp_path)
    await a.role("leader")
    await b.start(tg, pg_url, tmp_path)
    await b.role("standby")
    # A has a long poll open and its ticks running when it is stopped.
    a.signal(signal.SIGSTOP)
    await b.role("leader", timeout=30)
    await _open_checkin(tg)  # B polls, opens the check-in and fans it out
    await tg.wait_for(lambda: tg.count_calls("sendPoll") >= 10, timeout=60)
    a.signal(signal.SIGCONT)  # A wakes with rows pending, its lease long gone
    await a.role("standby", timeout=30)
    database = Database.from_url(pg_url)
    await _fan_out_done(database, groups)
    await asyncio.sleep(2)  # time for A to do what it would (it must not)
    assert _twice(tg, groups) == 0
    assert tg.conflicts == 0, tg.conflicted
    assert "lost the lease" in a.log, a.log
    async with database.transaction() as repos:
        sent = await repos.session.scalar(
            select(func.count()).where(Outbox.state == OutboxState.SENT, Outbox.chat_id < 0)
        )
    assert sent == sum(len(tg.messages(chat_id)) for chat_id in groups) == 2 * len(groups)
    # The stepped-down replica stops cleanly while B polls: its last getUpdates (python-
    # telegram-bot's, confirming what it fetched) is not sent, B's long poll goes on.
    polls = tg.count_calls("getUpdates")
    assert await a.stop() == 0, a.log
    await tg.wait_for(lambda: tg.count_calls("getUpdates") > polls + 1, timeout=10)
    assert tg.conflicts == 0, tg.conflicted
    await database.dispose()


class _Cuttable:
    """A TCP relay to PostgreSQL that the test can cut (every connection, and no new one)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers += [writer, upstream_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()


async def test_healthz_on_both_roles_and_503_without_the_database(
    tg: FakeTelegram, tmp_path: Path, pg_url: str, replicas: list[Replica]
) -> None:
    await _consortium_with_groups(tg, pg_url)
    relay = _Cuttable(int(pg_url.rsplit(":", 1)[1].split("/")[0]))
    relay_port = await relay.start()
    through_relay = pg_url.replace(f":{relay.target}/", f":{relay_port}/")
    a, b = replicas
    await a.start(tg, through_relay, tmp_path)
    led = await a.role("leader")
    assert set(led) == {"role", "epoch", "outbox_due", "ticks"} and led["epoch"] >= 1
    await b.start(tg, pg_url, tmp_path)
    standby = await b.role("standby")
    assert standby["epoch"] == 0 and isinstance(standby["outbox_due"], int)
    assert standby["ticks"] == 0  # only the leader's scheduler runs
    for _ in range(100):  # the leader's count grows with every tick it runs
        _, body = await a.health()
        if body["ticks"] > led["ticks"]:
            break
        await asyncio.sleep(0.1)
    assert body["ticks"] > led["ticks"], (led, body)

    await relay.cut()
    for _ in range(100):
        status, body = await a.health()
        if status == 503:
            break
        await asyncio.sleep(0.1)
    assert (status, body.get("database")) == (503, "unreachable"), (status, body)
    taken = await b.role("leader", timeout=30)  # A could not renew: B leads
    assert taken["epoch"] == led["epoch"] + 1
    assert tg.conflicts == 0, tg.conflicted


async def test_two_processes_on_one_sqlite_file(tg: FakeTelegram, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    env = process_env(tg, database_url)
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await tg.wait_for(lambda: tg.count_calls("getUpdates") > 0, timeout=60)
        second = await asyncio.to_thread(run_cli, "run", cwd=tmp_path, env=env)
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "bot.sqlite3 is in use by another bot process" in lines[0]
        assert f"pid {first.pid}" in lines[0]
    finally:
        first.kill()  # SIGKILL: the kernel releases its lock
        await first.wait()
    again = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    polls = tg.count_calls("getUpdates")
    try:
        await tg.wait_for(lambda: tg.count_calls("getUpdates") > polls, timeout=60)
    finally:
        again.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(again.communicate(), 30)
    assert again.returncode == 0, stderr.decode()
