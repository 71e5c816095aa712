"""End to end: texts longer than Telegram takes in one piece arrive whole. A caption too long
for its photo follows the photo as a message, and one that fits is no longer cut (issue 24,
finding 2)."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.telegram_text import plain_text, telegram_length
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from db.engine import Database
from db.models import Outbox, OutboxState
from tests.e2e.conftest import RunningBot, main_group, outbox_settled, started, until


async def _failed_sends(database: Database) -> list[str]:
    """The outbox rows Telegram refused, as "purpose: error"."""
    async with database.transaction() as repos:
        rows = await repos.session.scalars(select(Outbox).where(Outbox.state == OutboxState.FAILED))
        return [f"{row.purpose}: {row.error}" for row in rows]


async def _until_buttons(person: FakeUser, first: SentMessage) -> list[SentMessage]:
    """A text sent in pieces: `first`, then the person's next messages up to the one that
    carries the buttons."""
    pieces = [first]
    while not pieces[-1].buttons:
        pieces.append(await person.next_message())
    return pieces


def _shown(pieces: list[SentMessage]) -> str:
    return "".join(plain_text(piece.text) for piece in pieces)


async def test_a_photo_answer_with_a_long_caption_reaches_the_group_whole(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    question = chen.send("/ask nbu Which rules apply to photos at the science fair?", chat=group)
    await group.next_message()  # "Zhang Min is on call"
    delivery = await zhang.next_message()

    # 853 characters, 1,190 of HTML once escaped: the answer fits under the photo as
    # Telegram counts, and was cut at 1,024 characters of HTML.
    fits = "Rules <photo> & consent: " + "R&D <lab> & pupils' faces blurred. " * 23
    zhang.send_photo(b"\x89PNG consent form", caption=fits, reply_to=delivery)
    assert "on its way" in (await zhang.next_message()).text
    photo = await group.next_message()
    assert photo.raw.get("photo") and photo.reply_to == question["message_id"]
    assert fits in plain_text(photo.text) and "Reply to this message" in photo.text
    assert telegram_length(photo.text) <= 1024 < len(photo.text)

    # 1,010 characters: with the answer's heading and hint, too long for a caption. The
    # photo comes first, then the whole text, HTML-escaped characters around the limit.
    long = ("Section 4 <b> & appendix: a <parent's> consent & R&D. " * 19)[:1010]
    zhang.send_photo(b"\x89PNG section 4", caption=long, reply_to=delivery)
    assert "on its way" in (await zhang.next_message()).text
    photo = await group.next_message()
    assert photo.raw.get("photo") and photo.reply_to == question["message_id"]
    text = await group.next_message()
    assert long in plain_text(text.text) and "Answer to #" in text.text
    await until(database, outbox_settled, "the outbox settling")
    assert await _failed_sends(database) == []

    # A reply to the text follows up, as a reply to the photo would.
    chen.send("Does that cover videos?", chat=group, reply_to=text)
    await group.next_message()  # "your follow-up went to ..."
    assert "Does that cover videos?" in (await zhang.next_message()).text
