"""The one send sequence (`send_fitted`) shared by the outbox's sender and the personal
answer a group command sends privately: a file first with the text as its caption when it
fits, else bare with the text after it; a long text in several messages, the first replying,
the buttons under the last; nothing cut off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot.domain.telegram_text import MAX_CAPTION, MAX_TEXT
from bot.outbox.sender import send_fitted

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])


@dataclass
class _Sent:
    message_id: int


@dataclass
class Recorder:
    """A bot that records each call in order and answers with increasing message ids."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _record(self, method: str, **fields: Any) -> _Sent:
        self.calls.append((method, fields))
        return _Sent(100 + len(self.calls))

    async def send_message(self, chat_id: int, text: str, **fields: Any) -> _Sent:
        return self._record("send_message", chat_id=chat_id, text=text, **fields)

    async def send_document(self, chat_id: int, document: Any, **fields: Any) -> _Sent:
        return self._record("send_document", chat_id=chat_id, file=document, **fields)

    async def send_photo(self, chat_id: int, photo: Any, **fields: Any) -> _Sent:
        return self._record("send_photo", chat_id=chat_id, file=photo, **fields)


async def test_a_short_text_with_a_file_is_its_caption_with_the_buttons() -> None:
    bot = Recorder()
    reply = ReplyParameters(7)
    first = await send_fitted(bot, 5, "<b>Hi</b>", ("photo", "AgAD"), KEYBOARD, reply=reply)
    [(method, sent)] = bot.calls
    assert (method, sent["file"], sent["caption"]) == ("send_photo", "AgAD", "<b>Hi</b>")
    assert sent["reply_markup"] is KEYBOARD and sent["reply_parameters"] is reply
    assert first == 101


async def test_a_long_text_follows_its_file_whole_with_the_buttons_under_the_last() -> None:
    bot = Recorder()
    text = "\n".join(f"line {i} " + "x" * 60 for i in range(2 * MAX_TEXT // 60))
    assert len(text) > MAX_TEXT + MAX_CAPTION
    first = await send_fitted(
        bot, 5, text, ("document", "BQAD"), KEYBOARD, reply=ReplyParameters(7)
    )
    methods = [method for method, _ in bot.calls]
    assert methods[0] == "send_document" and set(methods[1:]) == {"send_message"}
    assert len(methods) >= 3 and first == 101
    document, *texts = [sent for _, sent in bot.calls]
    assert document["caption"] is None and document["reply_markup"] is None
    assert document["reply_parameters"] is not None  # the file replies, the rest follow it
    assert all(sent["reply_parameters"] is None for sent in texts)
    assert [sent["reply_markup"] for sent in texts] == [None] * (len(texts) - 1) + [KEYBOARD]
    assert "".join(sent["text"] for sent in texts).replace("\n", "") == text.replace("\n", "")


async def test_no_text_sends_the_file_alone_and_nothing_sends_nothing() -> None:
    bot = Recorder()
    assert await send_fitted(bot, 5, None, ("document", "BQAD")) == 101
    assert [(m, s["caption"]) for m, s in bot.calls] == [("send_document", None)]
    assert await send_fitted(Recorder(), 5, None) is None
