"""End to end: a button acts only on the message it was made for and for the person it was
shown to, every press is answered, and an edited message never runs its command again
(issue 24, findings 4 and 5)."""

from __future__ import annotations

import pytest

from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from db.engine import Database
from db.repositories import Repos
from tests.e2e.conftest import main_group, started

pytestmark = pytest.mark.usefixtures("bot")


async def _requests(database: Database) -> list[tuple[int | None, str]]:
    async with database.transaction() as repos:
        return [(r.asker_id, r.question) for r in await repos.requests.open_requests()]


async def _person_id(repos: Repos, telegram_id: int) -> int:
    person = await repos.people.by_telegram_id(telegram_id)
    assert person is not None
    return person.id


async def _answered_question(
    tg: FakeTelegram, chen: FakeUser, zhang: FakeUser, group: FakeGroup
) -> SentMessage:
    """Chen asks in the group, Zhang answers: the answer as the group sees it."""
    chen.send("/ask nbu When is the mid-term report due?", chat=group)
    await group.next_message()  # routed
    delivery = await zhang.next_message()
    zhang.send("Friday 17:00.", reply_to=delivery)
    await zhang.next_message()  # "on its way"
    answer = await group.next_message()
    assert "Friday 17:00." in answer.text and not answer.buttons
    return answer


async def test_own_buttons_pressed_on_the_contacts_answer_change_nothing(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    answer = await _answered_question(tg, chen, zhang, group)

    # Chen's own /lang and /forget data (valid for Chen), sent on the contact's answer.
    for data in ("lg:zh", "fg:2001:yes"):
        query = chen.press_data(answer, data)
        assert (await chen.callback_answer(query)).get("text") == "This button is no longer valid."
    assert tg.message(group.id, answer.message_id).text == answer.text
    assert tg.edits.get((group.id, answer.message_id), 0) == 0
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(2001)
        assert person is not None and person.language != "zh"


async def test_a_party_choice_replayed_on_another_reply_opens_nothing(
    tg: FakeTelegram, database: Database
) -> None:
    await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    wang = await started(tg, 1101, "Wang Fang")
    group = await main_group(tg, chen)
    chen.send("/ask When is the deadline?", chat=group)
    choice = await group.next_message()
    nbu = next(data for _, data in choice.buttons if data.endswith(":2001"))
    wang.send("/ask nbu Our budget is cut by half, keep it quiet", chat=group)
    routed = await group.next_message()
    assert "#1" in routed.text

    query = chen.press_data(routed, nbu)  # Chen's party choice, on the reply to Wang
    assert (await chen.callback_answer(query)).get("text") == "This button is no longer valid."
    async with database.transaction() as repos:
        wang_id = await _person_id(repos, 1101)
    assert await _requests(database) == [(wang_id, "Our budget is cut by half, keep it quiet")]
    # The choice still works on the message it was made for.
    opened = await chen.press_and_read(choice, "Ningbo University")
    assert "#2" in opened.text
    assert len(await _requests(database)) == 2


async def test_someone_elses_button_in_a_group_is_refused(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    chen.send("/lang", chat=group)
    choice = await group.next_message()
    chinese = next(text for text, data in choice.buttons if data == "lg:zh")

    query = zhang.press(choice, chinese)  # a button shown to Chen
    assert (await zhang.callback_answer(query)).get("text") == "This button is not for you."
    assert tg.edits.get((group.id, choice.message_id), 0) == 0
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(1002)
        assert person is not None and person.language != "zh"
    edited = await chen.press_and_read(choice, chinese)  # Chen's own press works
    assert edited.message_id == choice.message_id
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(2001)
        assert person is not None and person.language == "zh"


async def test_every_press_is_answered(tg: FakeTelegram) -> None:
    chen = await started(tg, 2001, "Chen Jie", language="zh")
    chen.send("/lang")
    choice = await chen.next_message()
    for data in ("garbage", "zz:1", "lg:zh:extra", "lg:xx"):
        query = chen.press_data(choice, data)
        answer = await chen.callback_answer(query, timeout=5)
        assert answer["text"] == "此按钮已失效。"  # "no longer valid", in Chen's language
    assert tg.edits.get((chen.id, choice.message_id), 0) == 0


async def test_an_edited_ask_does_not_reach_the_contacts_again(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    question = chen.send("/ask nbu When is the reprot due?", chat=group)
    await group.next_message()
    assert "reprot" in (await zhang.next_message()).text
    chen.edit(question, "/ask nbu When is the report due?")
    chen.send("/ask nbu A second question", chat=group)  # after the edit, in the same chat
    routed = await group.next_message()
    assert "#2" in routed.text and routed.reply_to != question["message_id"]
    assert "second question" in (await zhang.next_message()).text
    assert [q for _, q in await _requests(database)] == [
        "When is the reprot due?",
        "A second question",
    ]
    assert not tg.unread(group.id)

    # In a private chat the person hears that the edit changed nothing.
    private = chen.send("/ask nbu Is the lab open on Sunday?")
    assert "#3" in (await chen.next_message()).text
    chen.edit(private, "/ask nbu Is the lab open on Saturday?")
    assert "your edit changed nothing" in (await chen.next_message()).text
    assert len(await _requests(database)) == 3


async def test_text_edited_into_a_command_runs_nothing(
    tg: FakeTelegram, database: Database
) -> None:
    li = await started(tg, 1001, "Li Wei")  # a coordinator, reads Chinese
    group = await main_group(tg, li)
    hello = li.send("hello all", chat=group)
    li.edit(hello, "/checkin")
    li.send("/checkin next", chat=group)  # after the edit, in the same chat
    await group.next_message()
    assert not tg.unread(group.id)
    # The same in a private chat; Li hears, in Chinese, that the edit changed nothing.
    hello = li.send("hello")
    assert "/help" in (await li.next_message()).text
    li.edit(hello, "/checkin")
    assert "您的修改没有改变任何内容" in (await li.next_message()).text
    async with database.transaction() as repos:
        assert await repos.checkins.open_one() is None
