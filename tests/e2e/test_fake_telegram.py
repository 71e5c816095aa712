"""The fake Bot API server holds Telegram's rules, checked through a real PTB `Bot` over HTTP."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.fake_telegram import FakeTelegram, RateLimits


async def test_get_me_and_wrong_token(tg: FakeTelegram, api: Bot) -> None:
    assert api.username == "synergy_test_bot"
    request = HTTPXRequest()
    wrong = Bot(
        "999:WRONG-token-for-this-fake-server-xx", base_url=f"{tg.base_url}/bot", request=request
    )
    try:
        with pytest.raises(InvalidToken):
            await wrong.get_me()
    finally:
        await request.shutdown()  # Bot.shutdown() skips a bot that never initialised


async def test_private_chat_needs_start_and_respects_blocking(tg: FakeTelegram, api: Bot) -> None:
    person = tg.user(10, "Ann")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await api.send_message(10, "hello")
    person.send("/start")
    message = await api.send_message(10, "hello")
    assert message.chat.id == 10 and message.text == "hello"
    person.block_bot()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await api.send_message(10, "hello again")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await api.send_message(424242, "nobody")


async def test_text_markup_and_button_limits(tg: FakeTelegram, api: Bot) -> None:
    tg.user(11, "Bo").send("/start")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await api.send_message(11, "x" * 4097)
    assert (await api.send_message(11, "<b>ok</b> " + "x" * 4093, parse_mode="HTML")).text
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await api.send_message(11, "1 < 2 <b>bold", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await api.send_message(11, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await api.send_message(
            11,
            "pick",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="é" * 33)]]
            ),
        )


async def test_groups_need_the_bot_and_removal_forbids(tg: FakeTelegram, api: Bot) -> None:
    admin = tg.user(12, "Cy")
    group = tg.group(-100500, "G")
    with pytest.raises(Forbidden, match="not a member"):
        await api.send_message(group.id, "hi")
    group.add_bot(by=admin)
    await api.send_message(group.id, "hi")
    group.remove_bot(by=admin)
    with pytest.raises(Forbidden, match="kicked"):
        await api.send_message(group.id, "hi")


async def test_rate_limits_answer_429_with_retry_after(tg: FakeTelegram, api: Bot) -> None:
    tg.user(13, "Di").send("/start")
    with pytest.raises(RetryAfter):
        for _ in range(10):
            await api.send_message(13, "burst")
    assert sum(1 for m in tg.messages(13)) == 5  # the bucket lets a burst of 5 through
    assert tg.limited == {"chat": 1}  # which limit each 429 was for

    tg.rate_limits = RateLimits(overall_per_second=None, chat_per_second=None)
    group = tg.group(-100501, "Busy")
    group.add_bot(by=tg.user(14, "Ed"))
    for _ in range(20):
        await api.send_message(group.id, "announcement")
    with pytest.raises(RetryAfter) as error:
        await api.send_message(group.id, "one too many")
    assert error.value.retry_after.total_seconds() > 1  # type: ignore[union-attr]
    assert tg.limited == {"chat": 1, "group": 1}

    tg.rate_limits = RateLimits(overall_per_second=30, chat_per_second=None, group_per_minute=None)
    for i in range(30):
        tg.user(100 + i, f"U{i}").send("/start")
    with pytest.raises(RetryAfter):
        for i in range(31):
            await api.send_message(100 + i, "fan-out")
    assert tg.limited == {"chat": 1, "group": 1, "overall": 1}


async def test_injected_faults(tg: FakeTelegram, api: Bot) -> None:
    tg.user(15, "Fa").send("/start")
    tg.fail("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await api.send_message(15, "x")
    tg.fail("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter):
        await api.send_message(15, "x")
    tg.fail("sendMessage", status=403, description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden, match="deactivated"):
        await api.send_message(15, "x")
    tg.fail("sendMessage", status=0, delay=1.5)
    with pytest.raises(TimedOut):
        await api.send_message(15, "x")
    assert (await api.send_message(15, "works again")).text == "works again"


async def test_polls_votes_and_closing(tg: FakeTelegram, api: Bot) -> None:
    voter = tg.user(16, "Gu")
    group = tg.group(-100502, "Polls")
    group.add_bot(by=voter)
    with pytest.raises(BadRequest, match=r"(?i)2-12 options"):
        await api.send_poll(group.id, "Q?", ["only one"])
    with pytest.raises(BadRequest, match="300"):
        await api.send_poll(group.id, "Q" * 301, ["a", "b"])
    message = await api.send_poll(
        group.id, "How is it going?", ["Fine", "Not fine"], is_anonymous=False
    )
    assert message.poll is not None and not message.poll.is_anonymous
    sent = tg.messages(group.id)[-1]
    voter.vote(sent, [1])
    voter.vote(sent, [])
    answers = [u["poll_answer"] for u in tg._updates if "poll_answer" in u]
    assert [a["option_ids"] for a in answers] == [[1], []]
    assert answers[0]["option_persistent_ids"] == [sent.poll["options"][1]["persistent_id"]]  # type: ignore[index]
    closed = await api.stop_poll(group.id, message.message_id)
    assert closed.is_closed
    with pytest.raises(BadRequest, match=r"(?i)already been closed"):
        await api.stop_poll(group.id, message.message_id)


async def test_documents_round_trip(tg: FakeTelegram, api: Bot) -> None:
    tg.user(17, "Hu").send("/start")
    sent = await api.send_document(17, b"report body", filename="week.txt", caption="c")
    assert sent.document is not None and sent.document.file_name == "week.txt"
    file = await api.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"report body"


async def test_get_updates_offset_and_allowed_updates(tg: FakeTelegram, api: Bot) -> None:
    person = tg.user(18, "Io")
    group = tg.group(-100503, "U")
    person.send("/start")
    group.add_bot(by=person)
    updates = await api.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["/start"]
    assert all(u.my_chat_member is None for u in updates)
    updates = await api.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    assert len(updates) == 1 and updates[0].my_chat_member is not None
    assert await api.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_an_edit_arrives_as_edited_message(tg: FakeTelegram, api: Bot) -> None:
    person = tg.user(19, "Ida")
    group = tg.group(-100504, "E")
    sent = person.send("hello all", chat=group)
    person.edit(sent, "/checkin@synergy_test_bot now")
    first, second = await api.get_updates(allowed_updates=["message", "edited_message"])
    assert first.message is not None and second.edited_message is not None
    edited = second.edited_message
    assert (edited.chat_id, edited.message_id) == (group.id, first.message.message_id)
    assert edited.text == "/checkin@synergy_test_bot now" and edited.edit_date is not None
    assert [(e.type, e.length) for e in edited.entities] == [("bot_command", 25)]
    with pytest.raises(AssertionError):
        tg.user(20, "Other").edit(sent, "not mine")
