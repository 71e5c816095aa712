"""Per-chat update processing: one chat in order, different chats at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any, cast

import pytest
from telegram import Bot, Chat, Message, MessageEntity, PollAnswer, Update, User, WebhookInfo
from telegram.error import NetworkError

from bot.telegram.updates import (
    PerChatUpdateProcessor,
    committed,
    is_command,
    lane,
    waits_for_earlier,
)
from bot.telegram.webhook import follow_pending, look_at_pending


def _update(update_id: int, chat_id: int, text: str | None = None) -> Update:
    chat = Chat(chat_id, "private" if chat_id > 0 else "supergroup")
    entities = (
        [MessageEntity("bot_command", 0, len(text.split()[0]))]
        if text and text.startswith("/")
        else None
    )
    message = Message(
        update_id,
        dt.datetime.now(dt.UTC),
        chat,
        from_user=User(7, "A", False),
        text=text,
        entities=entities,
    )
    return Update(update_id, message=message)


def _vote(update_id: int, user_id: int) -> Update:
    answer = PollAnswer(
        "5000000001", [0], user=User(user_id, "Z", False), option_persistent_ids=["0"]
    )
    return Update(update_id, poll_answer=answer)


def _worker(events: list[str], gate: asyncio.Event) -> Callable[..., Coroutine[Any, Any, None]]:
    """An update's work: notes its start and end; with `wait`, it ends once the gate opens."""

    async def work(name: str, wait: bool = False) -> None:
        events.append(f"start {name}")
        if wait:
            await gate.wait()
        events.append(f"end {name}")

    return work


async def test_one_chat_in_order_other_chats_at_once() -> None:
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    gate = asyncio.Event()
    work = _worker(events, gate)

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 10), work("a1", True))),
        asyncio.create_task(processor.process_update(_update(2, 10), work("a2", False))),
        asyncio.create_task(processor.process_update(_update(3, -20), work("b1", False))),
    ]
    await asyncio.sleep(0.05)
    assert "end b1" in events  # another chat went ahead while a1 waits
    assert "start a2" not in events  # the same chat waits its turn
    gate.set()
    await asyncio.gather(*tasks)
    assert events.index("end a1") < events.index("start a2")
    assert processor.lanes == 0  # idle lanes are dropped


async def test_a_command_waits_for_every_earlier_update() -> None:
    """A vote (a person's lane) still being stored when a coordinator's command arrives in
    a private chat: the command starts after it, later updates of other chats do not wait."""
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    gate = asyncio.Event()
    work = _worker(events, gate)

    tasks = [
        asyncio.create_task(processor.process_update(_vote(1, 1002), work("vote", True))),
        asyncio.create_task(
            processor.process_update(_update(2, 1001, "/checkin close"), work("close"))
        ),
        asyncio.create_task(processor.process_update(_update(3, -20, "hello"), work("text"))),
        asyncio.create_task(processor.process_update(_update(4, 1001, "thanks"), work("next"))),
    ]
    await asyncio.sleep(0.05)
    assert "end text" in events  # not a command: it does not wait for the vote
    assert "start close" not in events and "start next" not in events  # next: close's lane
    gate.set()
    await asyncio.gather(*tasks)
    assert events.index("end vote") < events.index("start close") < events.index("start next")
    assert processor.lanes == 0


async def test_a_command_waits_for_the_commit_not_for_the_reply() -> None:
    """Once the earlier update has committed, a command goes ahead while that update's reply
    is still on its way; the earlier update's own chat still waits for it to end."""
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    replied = asyncio.Event()

    async def vote() -> None:
        events.append("vote committed")
        committed()
        await replied.wait()  # its reply to Telegram takes its time
        events.append("vote done")

    async def work(name: str) -> None:
        events.append(name)

    tasks = [
        asyncio.create_task(processor.process_update(_vote(1, 1002), vote())),
        asyncio.create_task(
            processor.process_update(_update(2, 1001, "/checkin close"), work("close"))
        ),
        asyncio.create_task(processor.process_update(_vote(3, 1002), work("second vote"))),
    ]
    await asyncio.sleep(0.05)
    assert events == ["vote committed", "close"]  # the voter's lane is still busy
    replied.set()
    await asyncio.gather(*tasks)
    assert events == ["vote committed", "close", "vote done", "second vote"]
    assert processor.lanes == 0


async def test_a_command_on_the_callers_own_records_does_not_wait() -> None:
    """/ask opens a request of its own: a vote still being stored in another lane does not
    hold it up, while /checkin close, which counts the votes, waits for it."""
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    gate = asyncio.Event()
    work = _worker(events, gate)

    tasks = [
        asyncio.create_task(processor.process_update(_vote(1, 1002), work("vote", True))),
        asyncio.create_task(
            processor.process_update(_update(2, 1001, "/ask@SynergyBot p1 open?"), work("ask"))
        ),
        asyncio.create_task(
            processor.process_update(_update(3, 1003, "/checkin close"), work("close"))
        ),
    ]
    await asyncio.sleep(0.05)
    assert "end ask" in events and "start close" not in events
    gate.set()
    await asyncio.gather(*tasks)
    assert events.index("end vote") < events.index("start close")


async def test_updates_waiting_for_their_lane_hold_no_slot() -> None:
    """Two slots: a chat's first update busy, its next two waiting behind it; another
    chat's update still gets the second slot, and a third chat's waits for a free one."""
    processor = PerChatUpdateProcessor(2)
    events: list[str] = []
    gate = asyncio.Event()
    work = _worker(events, gate)

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 10), work("a1", True))),
        asyncio.create_task(processor.process_update(_update(2, 10), work("a2"))),
        asyncio.create_task(processor.process_update(_update(3, 10), work("a3"))),
        asyncio.create_task(processor.process_update(_update(4, 20), work("b1", True))),
        asyncio.create_task(processor.process_update(_update(5, 30), work("c1"))),
    ]
    await asyncio.sleep(0.05)
    assert events == ["start a1", "start b1"]  # c1 waits for a slot, a2 and a3 for a1
    assert (processor.max_concurrent_updates, processor.current_concurrent_updates) == (2, 2)
    gate.set()
    await asyncio.gather(*tasks)
    assert events.index("end a1") < events.index("start a2") < events.index("start a3")
    assert processor.lanes == 0 and processor.current_concurrent_updates == 0


async def test_an_update_gives_its_slot_back_once_it_has_committed() -> None:
    """One slot: a1 has committed and its reply is on its way; b1, of another chat, gets the
    slot meanwhile, while a2, of a1's chat, waits until a1's reply has gone."""
    processor = PerChatUpdateProcessor(1)
    events: list[str] = []
    replied = asyncio.Event()

    async def a1() -> None:
        events.append("a1 committed")
        committed()
        committed()  # said twice: the slot is given back once
        await replied.wait()  # its reply to Telegram takes its time
        events.append("a1 replied")

    async def work(name: str) -> None:
        events.append(name)

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 10), a1())),
        asyncio.create_task(processor.process_update(_update(2, 10), work("a2"))),
        asyncio.create_task(processor.process_update(_update(3, 20), work("b1"))),
    ]
    await asyncio.sleep(0.05)
    assert events == ["a1 committed", "b1"]
    assert processor.current_concurrent_updates == 0
    replied.set()
    await asyncio.gather(*tasks)
    assert events == ["a1 committed", "b1", "a1 replied", "a2"]
    assert processor.lanes == 0 and processor.current_concurrent_updates == 0

    # the slot given back once: still one update at a time
    gate = asyncio.Event()
    work_until = _worker(events, gate)
    later = [
        asyncio.create_task(processor.process_update(_update(4, 30), work_until("c1", True))),
        asyncio.create_task(processor.process_update(_update(5, 40), work_until("d1", True))),
    ]
    await asyncio.sleep(0.05)
    assert events[-1] == "start c1" and "start d1" not in events
    gate.set()
    await asyncio.gather(*later)


def test_which_commands_wait() -> None:
    assert waits_for_earlier(_update(1, 5, "/checkin close"))
    assert waits_for_earlier(_update(1, 5, "/nosuchcommand"))  # nothing says it may not
    assert not waits_for_earlier(_update(1, 5, "/ask p1 a question"))
    assert not waits_for_earlier(_update(1, 5, "/REPORT@SynergyBot"))
    assert not waits_for_earlier(_update(1, 5, "hello")) and not waits_for_earlier(_vote(2, 1))


def test_lanes() -> None:
    assert lane(_update(1, -5)) == -5
    assert lane(_vote(2, 1002)) == 1002
    assert lane(object()) is None
    assert is_command(_update(1, 5, "/checkin close"))
    assert not is_command(_update(1, 5, "see /checkin")) and not is_command(_vote(2, 1))


async def test_caught_up_once_every_update_kept_at_telegram_is_handled() -> None:
    """The scheduler waits for the updates Telegram kept while the bot was down: not caught
    up while one of them has not started or is still being handled, whatever came after."""
    processor = PerChatUpdateProcessor(8)
    assert processor.caught_up  # nothing was waiting: the scheduler runs at once
    processor.expect_backlog([5, 6, 7])
    assert not processor.caught_up
    events: list[str] = []
    gate = asyncio.Event()
    work = _worker(events, gate)
    slow = asyncio.create_task(processor.process_update(_vote(6, 1002), work("vote", True)))
    await processor.process_update(_update(5, 10), work("five"))
    await asyncio.sleep(0)
    assert not processor.caught_up  # 7 has not started yet
    await processor.process_update(_update(7, 11), work("seven"))
    await processor.process_update(_update(8, 12), work("live"))  # a new one, after the start
    assert not processor.caught_up  # the vote (6) is still being handled
    gate.set()
    await slow
    assert processor.caught_up


async def test_caught_up_after_a_while_when_the_backlog_never_comes() -> None:
    """Telegram dropped the updates it had shown (or one hangs): the scheduler runs anyway
    after `give_up_after` seconds rather than never."""
    processor = PerChatUpdateProcessor(8)
    processor.expect_backlog([40], give_up_after=0.05)
    assert not processor.caught_up
    await asyncio.sleep(0.06)
    assert processor.caught_up
    processor.expect_backlog([])  # an empty look holds nothing up
    assert processor.caught_up


async def test_caught_up_once_telegram_holds_no_update_for_the_webhook() -> None:
    """Webhook mode: the first tick waits while Telegram counts updates its posts have not
    delivered (getWebhookInfo), whatever the processor has handled meanwhile."""
    processor = PerChatUpdateProcessor(8)
    processor.expect_pending(0)  # nothing kept: the scheduler runs at once
    assert processor.caught_up
    processor.expect_pending(2)
    await processor.process_update(_vote(6, 1002), asyncio.sleep(0))
    processor.pending(1)
    assert not processor.caught_up
    processor.pending(0)
    assert processor.caught_up
    processor.pending(3)  # new posts later hold nothing up
    assert processor.caught_up


async def test_gives_up_on_the_webhook_backlog_after_a_while(
    caplog: pytest.LogCaptureFixture,
) -> None:
    processor = PerChatUpdateProcessor(8)
    processor.expect_pending(4, give_up_after=0.05)
    assert not processor.caught_up
    await asyncio.sleep(0.06)
    with caplog.at_level(logging.WARNING, logger="bot.telegram.updates"):
        assert processor.caught_up and processor.caught_up
    assert [r.getMessage() for r in caplog.records] == [
        "the updates that waited at Telegram are not handled yet (4 still at Telegram); "
        "the scheduler runs anyway"
    ]


class _Telegram:
    """getWebhookInfo's answers in turn: a pending count, or an error raised."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def get_webhook_info(self) -> WebhookInfo:
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return WebhookInfo("https://bot.example.org/hook", False, answer)


async def test_the_leader_follows_telegrams_count_until_it_holds_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first look finds 2 kept: the tick waits; a failed question is asked again and
    logged once; the wait ends when Telegram holds none."""
    telegram = _Telegram(2, NetworkError("down"), NetworkError("down"), 1, 0)
    bot, processor = cast(Bot, telegram), PerChatUpdateProcessor(8)
    with caplog.at_level(logging.WARNING):
        assert await look_at_pending(bot, processor)
        assert not processor.caught_up
        await asyncio.wait_for(follow_pending(bot, processor, every=0.001), 5)
    assert processor.caught_up and telegram.asked == 5
    assert [r.getMessage() for r in caplog.records] == [
        "could not ask Telegram for the updates still waiting: down"
    ]


async def test_a_failed_first_look_leaves_the_scheduler_as_it_was(
    caplog: pytest.LogCaptureFixture,
) -> None:
    processor = PerChatUpdateProcessor(8)
    with caplog.at_level(logging.WARNING):
        assert not await look_at_pending(cast(Bot, _Telegram(NetworkError("down"))), processor)
        assert not await look_at_pending(cast(Bot, _Telegram(0)), processor)  # nothing kept
    assert processor.caught_up
    assert [r.getMessage() for r in caplog.records] == [
        "could not look at the updates waiting at Telegram: down"
    ]
