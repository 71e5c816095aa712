"""Per-chat update processing: one chat in order, different chats at once."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User

from bot.updates import PerChatUpdateProcessor, lane


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private" if chat_id > 0 else "supergroup")
    message = Message(update_id, dt.datetime.now(dt.UTC), chat, from_user=User(7, "A", False))
    return Update(update_id, message=message)


async def test_one_chat_in_order_other_chats_at_once() -> None:
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    gate = asyncio.Event()

    async def work(name: str, wait: bool) -> None:
        events.append(f"start {name}")
        if wait:
            await gate.wait()
        events.append(f"end {name}")

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


def test_lanes() -> None:
    assert lane(_update(1, -5)) == -5
    assert lane(object()) is None
