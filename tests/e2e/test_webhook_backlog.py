"""End to end, webhook mode: a vote Telegram kept for the webhook while the bot was down
counts in the check-in the first tick closes, though its close time passed meanwhile and
Telegram posts the vote late (it backed off while the webhook did not answer). The leader
asks getWebhookInfo once the webhook is set, and its first tick waits until Telegram holds
nothing more (`bot.telegram.webhook.look_at_pending`). The polling-mode twin is
`tests/e2e/test_checkin.py::test_a_vote_waiting_at_telegram_counts_before_the_overdue_close`."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pytest
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeGroup, FakeTelegram, SentMessage
from bot.fake_telegram.balancer import RoundRobinBalancer
from tests.conftest import BACKENDS
from tests.e2e.conftest import RunningBot, main_group, started

SECRET = "webhook-backlog-test-secret"
LATE = 1.0  # seconds Telegram posts the kept vote late: twenty ticks of 50 ms


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hooked(settings: Settings, url: str) -> Settings:
    """The settings of a replica listening on a port of its own, Telegram posting to `url`
    (its own address, or the balancer's)."""
    port = _free_port()
    return settings.model_copy(
        update={
            "bot_mode": "webhook",
            "webhook_url": url or f"http://127.0.0.1:{port}/telegram-hook",
            "webhook_port": port,
            "webhook_secret": SecretStr(SECRET),
        }
    )


async def _open_checkin(tg: FakeTelegram) -> tuple[FakeGroup, SentMessage]:
    li = await started(tg, 1001, "Li Wei", "en")
    await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, li)
    li.send("/checkin")
    await li.next_message()
    await group.next_message()
    poll = await group.next_message()
    assert poll.poll is not None
    return group, poll


async def test_a_vote_kept_for_the_webhook_counts_before_the_overdue_close(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    bot = RunningBot(_hooked(settings, ""), clock)
    await bot.start()
    try:
        group, poll = await _open_checkin(tg)
        await bot.stop()
        tg.user(1002, "Zhang Min").vote(poll, [0])  # kept at Telegram for the webhook
        clock.advance(dt.timedelta(hours=73))  # the close fell due while the bot was down
        tg.late_posts(LATE)
        await bot.start()
        summary = await group.next_message(timeout=20)
        assert "1/4 parties answered" in summary.text and "Zhang Min" in summary.text, summary.text
        assert tg.pending_updates == 0 and tg.count_calls("getWebhookInfo") >= 2
    finally:
        await bot.stop()


@pytest.mark.parametrize("db_url", BACKENDS[1:], indirect=True)
async def test_two_replicas_the_leader_waits_for_the_kept_vote(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    """Two replicas on PostgreSQL behind a balancer: whichever takes the late vote, the
    leader's first tick closes the check-in with it."""
    balancer = RoundRobinBalancer()
    hook = await balancer.start()
    replicas = [RunningBot(_hooked(settings, hook), clock) for _ in range(2)]
    balancer.backends = [
        f"http://127.0.0.1:{replica.settings.webhook_port}/telegram-hook" for replica in replicas
    ]
    try:
        for replica in replicas:  # the first takes the lease
            await replica.start()
        group, poll = await _open_checkin(tg)
        for replica in replicas:
            await replica.stop()
        tg.user(1002, "Zhang Min").vote(poll, [0])
        clock.advance(dt.timedelta(hours=73))
        tg.late_posts(LATE, times=1)
        await asyncio.gather(*(replica.start() for replica in replicas))
        summary = await group.next_message(timeout=30)
        assert "1/4 parties answered" in summary.text and "Zhang Min" in summary.text, summary.text
        assert tg.count_calls("stopPoll") == 1
    finally:
        for replica in replicas:
            await replica.stop()
        await balancer.stop()
