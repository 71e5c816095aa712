"""End to end: a group sees nothing a member of it may not see, and /mydata and /forget
cover the liaison questions a person asked or handled (issue 24, finding 6).

A command whose answer is personal (`/requests`, `/progress`, `/credits`, ...) sent in a
group is answered in the caller's private chat, and the group is told so in the caller's
language; a caller who never pressed Start is shown the way to the private chat instead."""

from __future__ import annotations

import json

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from bot.services.consortium_io import import_file
from db.engine import Database
from db.repositories import Repos
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, main_group, outbox_settled, started, until

ONCALL = """\
  - {telegram_id: 1003, name: Wang Lei, party: nbu, roles: [contact]}
oncall:
  nbu: {rotation: [1002, 1003], handoff: "mon 09:00", period: weekly, starts_on: 2026-11-02,
        escalation: [{after: 30m, notify: next}, {after: 2h, notify: coordinators}]}
"""
QUESTION = "Is my visa extension approved?"
BOT_LINK = "https://t.me/synergy_test_bot"


@pytest.fixture
async def liaison(settings: Settings, bot: RunningBot) -> None:
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    text = text.replace("chats:\n", ONCALL.split("oncall:")[0] + "chats:\n", 1)
    text += "oncall:" + ONCALL.split("oncall:")[1]
    await import_file(settings, text, now=bot.clock.now())


pytestmark = pytest.mark.usefixtures("liaison")


async def _asked_privately(chen: FakeUser, zhang: FakeUser) -> tuple[int, SentMessage]:
    """Chen asks nbu a question in his private chat; Zhang (on call) gets it."""
    chen.send(f"/ask nbu {QUESTION}")
    routed = await chen.next_message()
    delivery = await zhang.next_message()
    assert QUESTION in delivery.text
    return int(routed.text.split("#")[1].split()[0]), delivery


async def _quiet(tg: FakeTelegram, database: Database) -> None:
    await tg.idle()
    await until(database, outbox_settled, "the outbox settling")


def _group_texts(tg: FakeTelegram, group: FakeGroup) -> str:
    return "\n".join(m.text for m in tg.messages(group.id))


async def test_requests_in_a_group_are_answered_in_private(
    tg: FakeTelegram, database: Database
) -> None:
    """/requests lists questions asked anywhere: in a group, the list goes to the caller."""
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, zhang)
    await _asked_privately(chen, zhang)

    zhang.send("/requests", chat=group)
    note = await group.next_message()
    assert "private chat" in note.text and "Zhang Min" in note.text
    listing = await zhang.next_message()
    assert "Open questions" in listing.text and "visa" in listing.text

    li = await started(tg, 1001, "Li Wei", "zh")
    li.send("/requests export", chat=group)
    assert "私聊" in (await group.next_message()).text  # in the caller's language
    export = await li.next_message()
    rows = tg.files[export.raw["document"]["file_id"]][1].decode("utf-8-sig")
    assert "opened" in rows
    await _quiet(tg, database)
    assert "visa" not in _group_texts(tg, group)
    assert not any(m.raw.get("document") for m in tg.messages(group.id))


async def test_progress_and_credits_in_a_group_go_to_the_caller(
    tg: FakeTelegram, database: Database
) -> None:
    """A student's scores and credits reach only who asked, whoever else is in the group."""
    li = await started(tg, 1001, "Li Wei", "zh")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, li)

    li.send("/progress 2001", chat=group)
    assert "私聊" in (await group.next_message()).text
    progress = await li.next_message()
    assert "Chen Jie" in progress.text
    chen.send("/credits", chat=group)
    note = await group.next_message()
    assert "private chat" in note.text and "Chen Jie" in note.text
    credits = await chen.next_message()
    assert "credit" in credits.text.lower()
    await _quiet(tg, database)
    said = _group_texts(tg, group)
    assert progress.text not in said and credits.text not in said
    assert not any(m.raw.get("photo") for m in tg.messages(group.id))


async def test_other_personal_answers_in_a_group_go_to_the_caller(
    tg: FakeTelegram, database: Database
) -> None:
    """Every group-usable command whose answer is personal: the group gets a note only."""
    li = await started(tg, 1001, "Li Wei", "zh")
    group = await main_group(tg, li)
    for command in ("/whoami", "/cohort", "/achievements", "/checkins export"):
        li.send(command, chat=group)
        note = await group.next_message()
        assert "私聊" in note.text, command
        private = await li.next_message()
        assert private.text not in note.text, command
    wang = await started(tg, 1101, "Wang Fang")  # an enterprise's mentor records training
    wang.send("/training 2001 2 PLC basics", chat=group)
    assert "private chat" in (await group.next_message()).text
    recorded = await wang.next_message()
    assert "Chen Jie" in recorded.text
    await _quiet(tg, database)
    assert "Chen Jie" not in _group_texts(tg, group)


async def test_a_caller_who_never_pressed_start_is_shown_the_way(
    tg: FakeTelegram, database: Database
) -> None:
    """Telegram refuses (403) a private message to someone who never pressed Start: the
    group learns how to open the private chat, and nothing of the answer."""
    zhang = await started(tg, 1002, "Zhang Min")
    group = await main_group(tg, zhang)
    li = tg.user(1001, "Li Wei", language_code="zh")  # never pressed Start
    li.send("/credits", chat=group)
    note = await group.next_message()
    assert BOT_LINK in note.text and "Li Wei" in note.text
    await _quiet(tg, database)
    assert tg.messages(li.id) == []
    assert "Chen Jie" not in _group_texts(tg, group)

    li.send("/start")  # the link opens the private chat; Start, then the command again
    await li.next_message()
    li.send("/credits", chat=group)
    assert "Chen Jie" in (await li.next_message()).text


async def test_history_of_a_private_question_asked_in_a_group_goes_private(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)
    request_id, _ = await _asked_privately(chen, zhang)
    chen.send(f"/history {request_id}", chat=group)
    assert "private chat" in (await group.next_message()).text
    assert "visa" in (await chen.next_message()).text

    chen.send("/ask nbu When is the mid-term report due?", chat=group)
    routed = await group.next_message()
    asked_here = int(routed.text.split("#")[1].split()[0])
    await zhang.next_message()
    chen.send(f"/history {asked_here}", chat=group)  # asked in this group: stays here
    assert "mid-term" in (await group.next_message()).text
    await _quiet(tg, database)
    assert "visa" not in _group_texts(tg, group)


async def test_the_checkin_agenda_shows_only_the_groups_own_questions(
    tg: FakeTelegram, database: Database
) -> None:
    li = await started(tg, 1001, "Li Wei")
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, li)
    li.send("/link", chat=group)
    await group.next_message()
    request_id, _ = await _asked_privately(chen, zhang)
    li.send("/checkin")
    await li.next_message()
    agenda = await group.next_message()
    assert f"#{request_id}" in agenda.text and "visa" not in agenda.text


async def _mydata(tg: FakeTelegram, person: FakeUser) -> dict[str, object]:
    person.send("/mydata")
    document = await person.next_message()
    data: dict[str, object] = json.loads(tg.files[document.raw["document"]["file_id"]][1])
    return data


async def test_mydata_holds_the_questions_asked_and_handled(
    tg: FakeTelegram, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    request_id, delivery = await _asked_privately(chen, zhang)
    zhang.send("Yes, it was approved on Monday.", reply_to=delivery)
    await zhang.next_message()
    answer = await chen.next_message()
    chen.send("Thank you! And the fee?", reply_to=answer)
    await chen.next_message()
    await zhang.next_message()

    asked = (await _mydata(tg, chen))["liaison_questions_asked"]
    assert isinstance(asked, list) and len(asked) == 1
    assert asked[0]["id"] == request_id and asked[0]["question"] == QUESTION
    said = [e["text"] for e in asked[0]["events"] if e.get("text")]
    assert said == ["Yes, it was approved on Monday.", "Thank you! And the fee?"]
    handled = (await _mydata(tg, zhang))["liaison_questions_handled"]
    assert isinstance(handled, list) and handled[0]["id"] == request_id
    assert [e["text"] for e in handled[0]["events"] if e.get("text")] == [
        "Yes, it was approved on Monday."
    ]
    assert "question" not in handled[0]  # the asker's words are the asker's


async def _forget(person: FakeUser) -> None:
    person.send("/forget")
    confirm = await person.next_message()
    assert "erased" in (await person.press_and_read(confirm, "Yes, erase my data")).text.lower()


async def test_forget_takes_words_and_names_out_of_history_and_export(
    tg: FakeTelegram, database: Database
) -> None:
    li = await started(tg, 1001, "Li Wei")
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1003, "Wang Lei")
    chen = await started(tg, 2001, "Chen Jie")
    request_id, delivery = await _asked_privately(chen, zhang)
    zhang.press(delivery, "Hand over")
    handed = await wang.next_message()
    wang.send("Yes, it was approved on Monday.", reply_to=handed)
    await wang.next_message()
    answer = await chen.next_message()
    chen.send("Thank you! And the fee?", reply_to=answer)
    await chen.next_message()
    await wang.next_message()
    still_open, _ = await _asked_privately(chen, zhang)
    await _quiet(tg, database)

    await _forget(chen)
    await li.next_message()  # coordinators are told
    await _forget(wang)
    await li.next_message()
    await _quiet(tg, database)

    zhang.send(f"/history {request_id}")
    story = (await zhang.next_message()).text
    assert "(erased)" in story and "visa" not in story
    zhang.send("/requests")
    listing = (await zhang.next_message()).text
    assert f"#{still_open}" in listing and "(erased)" in listing and "visa" not in listing
    li.send("/requests export")
    export = await li.next_message()
    rows = tg.files[export.raw["document"]["file_id"]][1].decode("utf-8-sig")
    assert f"{request_id},nbu" in rows and "handed_over" in rows  # the question existed
    for gone in ("visa", "fee", "Chen Jie", "Wang Lei"):
        assert gone not in rows, gone

    async def no_words_left(repos: Repos) -> bool:
        found = await repos.requests.get(request_id)
        events = await repos.requests.events(request_id)
        return (
            found is not None
            and "visa" not in found.question
            and all("fee" not in (e.detail or "") for e in events)
            and all("Wang Lei" not in (e.detail or "") for e in events)
        )

    await until(database, no_words_left, "the words leaving the database")
