"""The rate limiter against the fake Telegram (which enforces the limits): it keeps every
limit, pauses everything for a 429's whole retry_after, and loses no request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import opt_in_library_defaults
from bot.fake_telegram import FakeTelegram, RateLimits
from bot.telegram.ratelimit import TelegramRateLimiter


@pytest.fixture
async def limited(tg: FakeTelegram) -> AsyncIterator[tuple[ExtBot[None], TelegramRateLimiter]]:
    opt_in_library_defaults()
    # margin: the fake shares our event loop, so its clock lags under load (see conftest).
    limiter = TelegramRateLimiter(
        overall=30, window=1.0, group=3, group_window=1.0, chat_gap=0.3, margin=0.25
    )
    # A pool like the real bot's (PTB's builder gives it 256): with a bare Bot's single
    # connection, the 30 sends the limiter lets go at once would reach the fake one after
    # another over some 0.3 s, longer than the margin, and meet 429s the limiter never caused.
    bot: ExtBot[None] = ExtBot(
        tg.token,
        base_url=f"{tg.base_url}/bot",
        rate_limiter=limiter,
        request=HTTPXRequest(connection_pool_size=64),
    )
    async with bot:
        yield bot, limiter


async def test_overall_limit_without_a_single_429(tg: FakeTelegram, limited: tuple) -> None:
    bot, limiter = limited
    for i in range(45):
        tg.user(500 + i, f"P{i}").send("/start")
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(500 + i, "hello") for i in range(45)))
    assert time.monotonic() - started >= 1.0  # 45 sends cannot fit into one second
    assert [e for e in tg.errors if e[1] == 429] == [] and limiter.retries == 0
    assert sum(len(tg.messages(500 + i)) for i in range(45)) == 45


async def test_per_chat_and_per_group_spacing(tg: FakeTelegram, limited: tuple) -> None:
    bot, _ = limited
    tg.user(600, "Q").send("/start")
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(600, f"m{i}") for i in range(3)))
    assert time.monotonic() - started >= 0.6  # one per 0.3 s in one chat
    assert [m.text for m in tg.messages(600)] == ["m0", "m1", "m2"]  # and in order

    tg.rate_limits = RateLimits(
        overall_per_second=None, chat_per_second=None, group_per_minute=None
    )
    group = tg.group(-100600, "G")
    group.add_bot(by=tg.user(601, "R"))
    started = time.monotonic()
    for i in range(4):
        await bot.send_message(group.id, f"g{i}")
    assert time.monotonic() - started >= 1.0  # the 4th waits for the group's window


async def test_a_429_pauses_everything_for_its_whole_retry_after(
    tg: FakeTelegram, limited: tuple
) -> None:
    bot, limiter = limited
    tg.user(700, "S").send("/start")
    tg.user(701, "T").send("/start")
    tg.fail("sendMessage", status=429, retry_after=1, chat_id=700)
    started = time.monotonic()
    first = asyncio.create_task(bot.send_message(700, "after the pause"))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.send_message(701, "also waits"))
    await asyncio.gather(first, second)
    assert time.monotonic() - started >= 1.0
    assert limiter.retries == 1
    assert tg.messages(700)[0].text == "after the pause" and tg.messages(701)


async def test_a_full_queue_goes_out_a_few_at_a_time(tg: FakeTelegram, limited: tuple) -> None:
    bot, limiter = limited
    for i in range(20):
        tg.user(800 + i, f"U{i}").send("/start")
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(800 + i, "paced") for i in range(20)))
    # Twenty fit into one second's thirty, but go out five at a time, one burst window apart.
    assert time.monotonic() - started >= 3 * limiter.burst_window
    assert sum(len(tg.messages(800 + i)) for i in range(20)) == 20


async def test_chats_sent_to_long_ago_are_forgotten(tg: FakeTelegram) -> None:
    opt_in_library_defaults()
    limiter = TelegramRateLimiter(chat_gap=0.05, chat_margin=0.0, forget_every=25)
    bot: ExtBot[None] = ExtBot(tg.token, base_url=f"{tg.base_url}/bot", rate_limiter=limiter)
    for i in range(25):
        tg.user(900 + i, f"V{i}").send("/start")
    async with bot:
        await asyncio.gather(*(bot.send_message(900 + i, "once") for i in range(20)))
        await asyncio.sleep(0.1)
        for i in range(20, 25):
            await bot.send_message(900 + i, "later")
    # The 25th send swept away every chat whose gap had passed, the first twenty among them:
    # what is left is at most the last five, and the 25th's own.
    assert 1 <= limiter.chats <= 5
    assert sum(len(tg.messages(900 + i)) for i in range(25)) == 25


async def test_a_send_whose_answer_was_held_up_counts_as_sent_that_much_later() -> None:
    """A round trip 0.3 s longer than the others': that send may have reached Telegram
    0.3 s late, so the send that replaces it in the window waits 0.3 s longer."""
    limiter = TelegramRateLimiter(overall=3, window=1.0, burst=3, margin=0.0, chat_gap=0.0)
    started: dict[str, float] = {}

    def send(name: str, round_trip: float) -> Any:
        async def callback() -> dict[str, Any]:
            started[name] = time.monotonic()
            await asyncio.sleep(round_trip)
            return {}

        chat = {"chat_id": ord(name)}  # a chat each: only the overall window limits them
        return limiter.process_request(callback, (), {}, "sendMessage", chat, None)

    first = asyncio.gather(send("a", 0.0), send("b", 0.3), send("c", 0.0))
    await asyncio.sleep(0.05)  # a, b and c are under way (three fit into the window)
    await asyncio.gather(first, send("d", 0.0), send("e", 0.0), send("f", 0.0))
    later = sorted(started[name] - started["a"] for name in "def")
    assert 0.99 <= later[0] <= later[1] < 1.15  # in a's and c's places, once their second is over
    assert later[2] >= 1.29  # in b's, which counts from 0.3 s later


async def test_a_late_wake_up_does_not_hold_back_the_sends_after_it() -> None:
    """Waits that end 10 ms late. The pacing (5 per 50 ms here) counts each send when it
    was due, so fifty sends take ten steps of 50 ms, not of 60; Telegram's own window
    counts when a send really went, so the send that follows it there waits for that."""
    now, late_by = [0.0], [0.01]

    async def late(seconds: float) -> None:
        now[0] += seconds + (late_by.pop() if len(late_by) > 1 else late_by[0])

    def limiter(overall: int) -> TelegramRateLimiter:
        return TelegramRateLimiter(
            overall=overall,
            window=1.0,
            burst=5,
            margin=0.0,
            chat_gap=0.0,
            clock=lambda: now[0],
            sleep=late,
        )

    async def sent_at(limiter: TelegramRateLimiter, count: int) -> list[float]:
        times: list[float] = []

        async def callback() -> dict[str, Any]:
            times.append(now[0])
            return {}

        for i in range(count):
            await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": i}, None)
        return times

    paced = await sent_at(limiter(100), 50)  # every wait ends late
    assert paced[-1] == pytest.approx(9 * 0.05 + 0.01)  # 0.54 if each lateness carried on
    assert min(b - a for a, b in zip(paced, paced[5:], strict=False)) >= 0.05 - 1e-9

    now[0], late_by[:] = 0.0, [0.0, 0.01]  # the first wait ends late, the next on time
    window = await sent_at(limiter(5), 11)  # five per second: the window limits them
    assert window[5] == pytest.approx(1.01)  # due at 1.0
    assert window[10] == pytest.approx(2.01)  # a second after 1.01, though due at 2.0 paced


async def test_sends_that_may_go_go_in_the_order_they_came() -> None:
    """A reply waits for a place in the window; the place frees, and before the reply's
    wake-up comes (a busy event loop is a little late), a fan-out's next send arrives. The
    reply goes first: it came first. (It did not: in CI a fan-out to 200 groups kept taking
    the freed places, and the reply to /checkin waited for over 10 s.)"""
    now = [0.0]
    wake_ups: list[asyncio.Future[None]] = []

    async def sleep(seconds: float) -> None:  # wakes only when the test says
        wake_up = asyncio.get_running_loop().create_future()
        wake_ups.append(wake_up)
        await wake_up

    limiter = TelegramRateLimiter(
        overall=2, window=1.0, burst=2, margin=0.0, chat_gap=0.0, clock=lambda: now[0], sleep=sleep
    )
    order: list[str] = []

    def send(name: str, chat_id: int) -> asyncio.Future[Any]:
        async def callback() -> dict[str, Any]:
            order.append(name)
            return {}

        return asyncio.ensure_future(
            limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": chat_id}, None)
        )

    await asyncio.gather(send("group 1", -1), send("group 2", -2))  # the window is full
    reply = send("reply", 1001)
    await asyncio.sleep(0)
    assert len(wake_ups) == 1 and order == ["group 1", "group 2"]  # the reply waits
    now[0] = 1.0  # a place is free; the reply's wake-up has not come yet
    bulk = send("group 3", -3)
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["group 1", "group 2"]  # the later send does not take the reply's place
    wake_ups.pop().set_result(None)
    await asyncio.gather(reply, bulk)  # the second place of the window is group 3's
    assert order == ["group 1", "group 2", "reply", "group 3"]
