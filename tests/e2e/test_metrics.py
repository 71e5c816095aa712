"""End to end: with METRICS_PORT set, /metrics tells how many updates were handled and how
fast, which Bot API requests failed, and what waits: the outbox, open questions, overdue
reports. Without it, nothing listens. /healthz (HEALTH_PORT) counts the scheduler's ticks."""

from __future__ import annotations

import asyncio
import socket

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from tests.e2e.conftest import RunningBot, started


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _scrape(port: int) -> dict[tuple[str, str], float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    return {
        (sample.name, sample.labels.get("kind", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_what_happens(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    port = _free_port()
    async with RunningBot(settings.model_copy(update={"metrics_port": port}), clock):
        zhang = await started(tg, 1002, "Zhang Min")
        chen = await started(tg, 2001, "Chen Jie")
        tg.fail("sendMessage", status=502, description="Bad Gateway", chat_id=zhang.id)
        chen.send("/ask nbu Is the lab open on Saturday?")
        await chen.next_message()
        await tg.wait_for(lambda: any(e[1] == 502 for e in tg.errors))
        await asyncio.sleep(0.3)  # a few scheduler ticks: the gauges are read from the database
        seen = await _scrape(port)
    assert seen[("synergy_updates_total", "message")] == 3  # two /start, one /ask
    assert seen[("synergy_update_seconds_count", "")] == 3
    assert seen[("synergy_telegram_errors_total", "5xx")] == 1
    assert seen[("synergy_telegram_errors_total", "429")] == 0
    assert seen[("synergy_open_requests", "")] == 1
    assert seen[("synergy_outbox_pending", "")] == 1  # the delivery, backing off
    assert seen[("synergy_overdue_reports", "")] == 0
    with socket.socket() as probe:  # the endpoint stopped with the bot
        assert probe.connect_ex(("127.0.0.1", port)) != 0


async def test_healthz_counts_the_ticks_the_scheduler_ran(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    port = _free_port()
    async with RunningBot(settings.model_copy(update={"health_port": port}), clock):
        seen = []
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # a tick every 50 ms: the count grows while we look
                seen.append((await client.get(f"http://127.0.0.1:{port}/healthz")).json())
                if seen[-1]["ticks"] > seen[0]["ticks"]:
                    break
                await asyncio.sleep(0.05)
    assert seen[0]["role"] == "leader" and seen[0]["outbox_due"] == 0
    assert seen[-1]["ticks"] > seen[0]["ticks"], seen
