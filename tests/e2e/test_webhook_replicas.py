"""End to end on PostgreSQL: two `python -m bot` processes in webhook mode behind a
round-robin load balancer, so that a conversation's consecutive updates reach the two
replicas in turn. A whole /report draft, an /ask with its answer and a check-in vote come
out as with one replica (each message once, in order); the same update posted to both
replicas at once is handled once."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from bot.fake_telegram.balancer import SECRET_HEADER, RoundRobinBalancer
from bot.services.consortium_io import import_file
from db.engine import Database
from tests.conftest import POSTGRES_URL, _truncate_postgres
from tests.e2e.conftest import (
    MAIN_GROUP,
    for_the_wall_clock,
    outbox_settled,
    process_env,
    until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.wall_clock,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
]
SECRET = "replicas-share-this-webhook-secret"
WANG = "  - {telegram_id: 1003, name: Wang Lei, party: nbu, roles: [contact]}\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica:
    """One `python -m bot` in webhook mode on its own port, behind the balancer."""

    def __init__(self, tg: FakeTelegram, database_url: str, hook: str, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram-hook"
        self.env = process_env(
            tg,
            database_url,
            BOT_MODE="webhook",
            WEBHOOK_URL=hook,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(self.port),
            WEBHOOK_SECRET=SECRET,
            SCHEDULER_TICK_SECONDS="1",
        )
        self.cwd = cwd
        self.log = cwd / f"replica-{self.port}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.log = self.cwd / f"replica-{self.port}.log"
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.cwd,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # listening once the port takes a connection
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
        raise AssertionError(f"the replica on {self.port} did not start")

    async def stop(self) -> str:
        """SIGTERM, and its log (stderr) once it has exited with 0."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 30)
        log = self.log.read_text(encoding="utf-8")
        assert self.process.returncode == 0, log
        return log


async def _sample_with_oncall(database_url: str) -> None:
    text = for_the_wall_clock(rotation=(1002, 1003), people=WANG)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    await import_file(settings, text)


@pytest.fixture
async def replicas(
    tg: FakeTelegram, tmp_path: Path, postgres_ready: bool
) -> AsyncIterator[tuple[RoundRobinBalancer, list[Replica]]]:
    await _truncate_postgres(POSTGRES_URL)
    await _sample_with_oncall(POSTGRES_URL)
    balancer = RoundRobinBalancer()
    hook = await balancer.start()
    two = [Replica(tg, POSTGRES_URL, hook, tmp_path) for _ in range(2)]
    balancer.backends = [replica.url for replica in two]
    await asyncio.gather(*(replica.start() for replica in two))
    await tg.wait_for(lambda: tg.webhook_url == hook, timeout=10)
    try:
        yield balancer, two
    finally:
        for replica in two:
            if replica.process is not None and replica.process.returncode is None:
                await replica.stop()
        await balancer.stop()


async def _reply(user: FakeUser, text: str, reply_to: SentMessage | None = None) -> SentMessage:
    user.send(text, reply_to=reply_to)
    return await user.next_message(timeout=20)


def _no_repeats(tg: FakeTelegram, *chats: int) -> None:
    """No chat got the same text twice (each step, question and answer handled once)."""
    for chat_id in chats:
        texts = Counter(m.text for m in tg.messages(chat_id) if m.text)
        assert [t for t, n in texts.items() if n > 1] == [], chat_id


async def test_a_draft_a_question_and_a_vote_across_two_replicas(
    tg: FakeTelegram, replicas: tuple[RoundRobinBalancer, list[Replica]]
) -> None:
    balancer, two = replicas
    database = Database.from_url(POSTGRES_URL)
    try:
        li = tg.user(1001, "Li Wei", language_code="zh")
        zhang = tg.user(1002, "Zhang Min")
        chen = tg.user(2001, "Chen Jie")
        for person in (li, zhang, chen):
            await _reply(person, "/start")
        group = tg.group(MAIN_GROUP, "Alliance main group")
        group.add_bot(by=li)
        await group.next_message(timeout=20)

        # A whole report draft: each step's update goes to the other replica.
        first = await _reply(chen, "/report")
        if "(last week)" in str(first.buttons):
            first = await chen.press_and_read(first, first.buttons[-1][0], timeout=20)
        assert "1/7" in first.text
        assert "2/7" in (await _reply(chen, "Built a weather station with the pupils.")).text
        episode = await _reply(chen, "38")
        assert "3/7" in episode.text
        rules = await chen.press_and_read(episode, "Nothing this week", timeout=20)
        problems = await chen.press_and_read(rules, "Next", timeout=20)
        rating = await chen.press_and_read(problems, "No problems", timeout=20)
        for value in ("4", "3", "5"):
            rating = await chen.press_and_read(rating, value, timeout=20)
        review = await chen.press_and_read(rating, "Done (0 files)", timeout=20)
        assert "Please check your report" in review.text
        submitted = await chen.press_and_read(review, "Submit", timeout=20)
        assert "submitted" in submitted.text.lower()

        # An /ask in the group, delivered to the contact on call, answered by a reply.
        chen.send("/ask nbu Is the lab open on Saturday?", chat=group)
        routed = await group.next_message(timeout=20)
        assert "Zhang Min is on call" in routed.text
        delivery = await zhang.next_message(timeout=20)
        while "Is the lab open on Saturday?" not in delivery.text:  # a mentor's request first
            delivery = await zhang.next_message(timeout=20)
        assert "on its way" in (await _reply(zhang, "Yes, 9 to 12.", reply_to=delivery)).text
        answer = await group.next_message(timeout=20)
        assert "Yes, 9 to 12." in answer.text

        # A check-in: opened, voted (changed once), closed with the vote counted.
        assert "#1" in (await _reply(li, "/checkin")).text
        agenda = await group.next_message(timeout=20)
        assert "Monthly check-in #1" in agenda.text
        poll = await group.next_message(timeout=20)
        assert poll.poll is not None
        zhang.vote(poll, [1])
        zhang.vote(poll, [0])  # changed: the second vote stands, whichever replica took it
        li.send("/checkin close")
        await li.next_message(timeout=20)
        summary = await group.next_message(timeout=20)
        assert "1/4 parties answered" in summary.text and "On track: 1" in summary.text

        await until(database, outbox_settled, "the outbox settled", seconds=20)
        await asyncio.sleep(1.0)
        _no_repeats(tg, 1001, 1002, 2001, MAIN_GROUP)
        assert {index for _, index in balancer.taken} == {0, 1}  # both replicas served

        # The same update posted to both replicas at once: one takes effect.
        update_id = 880001
        forged = {
            "update_id": update_id,
            "message": {
                "message_id": 9001,
                "date": int(time.time()),
                "chat": {"id": 2001, "type": "private", "first_name": "Chen Jie"},
                "from": {"id": 2001, "is_bot": False, "first_name": "Chen Jie"},
                "text": "/ask nbu Who signs the safety form?",
                "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
            },
        }
        sent_before = len(tg.messages(2001))
        async with ClientSession() as session:

            async def post(url: str) -> int:
                async with session.post(url, json=forged, headers={SECRET_HEADER: SECRET}) as r:
                    return r.status

            assert await asyncio.gather(*(post(r.url) for r in two)) == [200, 200]
        await until(database, outbox_settled, "the outbox settled", seconds=20)
        await asyncio.sleep(1.0)
        asked = [m for m in tg.messages(1002) if "Who signs the safety form?" in m.text]
        assert len(asked) == 1 and len(tg.messages(2001)) == sent_before + 1
    finally:
        await database.dispose()
    for replica in two:
        log = await replica.stop()
        assert "Traceback" not in log, log
