"""A message too long for Telegram is written to the outbox as rows that each fit, in order:
the reply on the first, the buttons on the last, a caption too long for its file after the
file, and every row's HTML within the String(4096) column (PostgreSQL refuses a longer one)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.telegram_text import MAX_CAPTION, MAX_TEXT, plain_text, telegram_length
from bot.outbox.writer import TEXT_COLUMN, add_message
from db.engine import Database
from db.models import Outbox, OutboxState

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Score", callback_data="x")]]).to_dict()


def _message(text: str | None, **extra: object) -> Outbox:
    return Outbox(
        chat_id=42,
        text=text,
        purpose="report.review",
        state=OutboxState.PENDING,
        not_before=NOW,
        created_at=NOW,
        **extra,
    )


async def _rows(database: Database, message: Outbox) -> tuple[int, list[Outbox]]:
    async with database.transaction() as repos:
        first = await add_message(repos, message)
    async with database.transaction() as repos:
        rows = list(await repos.session.scalars(select(Outbox).order_by(Outbox.id)))
        repos.session.expunge_all()
    return first, rows


async def test_a_long_text_becomes_rows_in_order(database: Database) -> None:
    # 7,270 characters shown (two messages), 12,000 of HTML (three columns' worth).
    text = "<b>Report</b>\n\n" + "\n".join(["R&amp;D &lt;lab&gt; day. " * 8] * 60)
    first, rows = await _rows(
        database, _message(text, reply_markup=BUTTONS, reply_to_message_id=7, kind="message")
    )
    assert first == rows[0].id and len(rows) == 3
    assert all(r.text and r.text.endswith("\n") for r in rows[:-1])  # cut at a line's end
    assert all(telegram_length(r.text or "") <= MAX_TEXT for r in rows)
    assert all(len(r.text or "") <= TEXT_COLUMN for r in rows)
    assert "".join(plain_text(r.text or "") for r in rows) == plain_text(text)
    assert [r.reply_to_message_id for r in rows] == [7, None, None]
    assert [r.reply_markup for r in rows] == [None, None, BUTTONS]
    assert {(r.chat_id, r.purpose, r.kind, r.state) for r in rows} == {
        (42, "report.review", "message", OutboxState.PENDING)
    }


async def test_a_caption_too_long_follows_its_file(database: Database) -> None:
    caption = "<b>Answer</b>\n" + "x &amp; y " * 175  # 1,057 shown
    _, rows = await _rows(
        database, _message(caption, file_id="F1", file_kind="photo", reply_to_message_id=3)
    )
    assert [(r.file_id, r.text, r.reply_to_message_id) for r in rows] == [
        ("F1", None, 3),
        (None, caption, None),
    ]


async def test_what_fits_is_one_row_as_it_was(database: Database) -> None:
    caption = "<b>Answer</b>\n" + "x &amp; y " * 160  # 967 shown, 1,614 of HTML
    assert telegram_length(caption) <= MAX_CAPTION < len(caption)
    _, rows = await _rows(database, _message(caption, file_id="F1", file_kind="document"))
    assert [(r.file_id, r.text) for r in rows] == [("F1", caption)]
    _, rows = await _rows(database, _message(None, file_id="F2", file_kind="document"))
    assert [(r.file_id, r.text) for r in rows[1:]] == [("F2", None)]


class _Bot:
    """Records what the sender asks of Telegram."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    async def _sent(self, method: str, **params: object) -> SimpleNamespace:
        self.calls.append((method, params))
        return SimpleNamespace(message_id=100 + len(self.calls))

    async def send_photo(self, chat_id: int, photo: str, **params: object) -> SimpleNamespace:
        return await self._sent("sendPhoto", **params)

    async def send_message(self, chat_id: int, text: str, **params: object) -> SimpleNamespace:
        return await self._sent("sendMessage", text=text, **params)


async def test_a_row_written_before_the_split_still_goes_out_whole() -> None:
    from bot.outbox.sender import _Snapshot

    text = "<b>Answer</b>\n" + "x &amp; y " * 900  # 5,407 shown: over a caption and a message
    row = _message(text, file_id="F1", file_kind="photo", reply_to_message_id=3, id=1)
    row.reply_markup, row.kind = BUTTONS, "message"
    bot = _Bot()
    assert await _Snapshot(row).send(bot) == 101  # the first message is the row's
    assert [method for method, _ in bot.calls] == ["sendPhoto", "sendMessage", "sendMessage"]
    photo, *texts = [params for _, params in bot.calls]
    assert photo["caption"] is None and photo["reply_markup"] is None
    assert photo["reply_parameters"] is not None
    assert [t["reply_parameters"] for t in texts] == [None, None]
    assert texts[0]["reply_markup"] is None and texts[1]["reply_markup"] is not None
    assert "".join(plain_text(str(t["text"])) for t in texts) == plain_text(text)
