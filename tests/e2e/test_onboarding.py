"""End to end: the real bot polls the fake Telegram over HTTP; people invite, join, link
groups, are refused, and switch languages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from bot.domain.access import COMMANDS_BY_NAME
from bot.domain.invites import InviteState
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.i18n import Translator
from bot.renderers.access import render_role_refusal, render_stranger, render_wrong_chat
from bot.renderers.profile import render_join
from bot.services.people import JoinResult
from db.engine import Database
from tests.e2e.conftest import RunningBot

pytestmark = pytest.mark.usefixtures("bot")


def _token(text: str) -> str:
    match = re.search(r"https://t\.me/synergy_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, f"no invite link in {text!r}"
    return match.group(1)


async def _invite(coordinator: FakeUser, args: str) -> str:
    coordinator.send(f"/invite {args}")
    return _token((await coordinator.next_message()).text)


async def _coordinator(tg: FakeTelegram) -> FakeUser:
    """Li Wei, coordinator from the consortium file (language zh), after pressing Start."""
    li = tg.user(1001, "Li Wei", language_code="zh-hans")
    li.send("/start")
    await li.next_message()
    return li


async def test_invite_and_join_shows_stored_data_and_records_consent(
    tg: FakeTelegram, database: Database, en: Translator, zh: Translator
) -> None:
    li = await _coordinator(tg)
    li.send("/invite nbu student 2 3d")
    invite = await li.next_message()
    assert "宁波" not in invite.text and "Ningbo University" in invite.text
    assert "可使用 2 次" in invite.text  # the coordinator speaks Chinese
    token = _token(invite.text)
    assert len(token) <= 64

    wang = tg.user(3001, "Wang Fang", language_code="en")
    wang.send(f"/start {token}")
    joined = await wang.next_message()
    assert joined.text.startswith("Welcome! You have joined Ningbo University as a student.")
    assert "/mydata" in joined.text and "/forget" in joined.text

    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(3001)
        assert person is not None and person.name == "Wang Fang"
        assert person.consented_at is not None and person.can_message
        roles = [(m.party.key, m.role.value) for m in await repos.memberships.of_person(person.id)]
    assert roles == [("nbu", "student")]

    wang.send("/whoami")
    whoami = await wang.next_message()
    assert "Ningbo University" in whoami.text and "student" in whoami.text
    assert "Time zone: China Time (Asia/Shanghai)" in whoami.text

    # The person's private command menu now lists what a student may use, and not /invite.
    scope = json.dumps({"chat_id": 3001, "type": "chat"}, sort_keys=True)
    menu = {c["command"] for c in tg.commands[(scope, "")]}
    assert {"help", "whoami", "lang", "mydata"} <= menu and "invite" not in menu


async def test_used_expired_and_forged_invites_are_refused(
    tg: FakeTelegram, bot: RunningBot, en: Translator
) -> None:
    li = await _coordinator(tg)
    single = await _invite(li, "edtech contact")
    first, second = tg.user(3101, "First"), tg.user(3102, "Second")
    first.send(f"/start {single}")
    assert (await first.next_message()).text.startswith("Welcome!")
    second.send(f"/start {single}")
    assert (await second.next_message()).text == render_join(
        JoinResult(InviteState.USED_UP), en
    ).text
    first.send(f"/start {single}")
    assert (await first.next_message()).text == render_join(
        JoinResult(InviteState.ALREADY_USED), en
    ).text

    expiring = await _invite(li, "edtech contact 5 1d")
    bot.clock.advance(dt.timedelta(days=1, seconds=1))
    late = tg.user(3103, "Late")
    late.send(f"/start {expiring}")
    assert (await late.next_message()).text == render_join(JoinResult(InviteState.EXPIRED), en).text

    forger = tg.user(3104, "Forger")
    for forged in (single[:-1] + ("A" if single[-1] != "A" else "B"), "x" * 70, "<b>hi</b>"):
        forger.send(f"/start {forged}")
        assert (await forger.next_message()).text == render_join(
            JoinResult(InviteState.UNKNOWN), en
        ).text
    forger.send("/whoami")
    assert (await forger.next_message()).text == render_stranger(en).text


async def test_stranger_gets_only_the_explanation(
    tg: FakeTelegram, en: Translator, zh: Translator
) -> None:
    stranger = tg.user(4001, "Stranger", language_code="en")
    for text in ("/start", "hello", "/whoami", "/invite nbu student", "/help", "/mydata"):
        stranger.send(text)
        assert (await stranger.next_message()).text == render_stranger(en).text
    chinese = tg.user(4002, "陌生人", language_code="zh-hans")
    chinese.send("/start")
    reply = await chinese.next_message()
    assert reply.text == render_stranger(zh).text and "邀请链接" in reply.text


async def test_refusals_name_the_role_and_reveal_nothing(tg: FakeTelegram, en: Translator) -> None:
    zhang = tg.user(1002, "Zhang Min", language_code="en")  # contact and mentor of nbu
    zhang.send("/invite nbu student")
    refusal = await zhang.next_message()
    assert refusal.text == render_role_refusal(COMMANDS_BY_NAME["invite"], en).text
    assert (
        "coordinator" in refusal.text and "nbu" not in refusal.text and "http" not in refusal.text
    )
    zhang.send("/link")
    assert (await zhang.next_message()).text == render_wrong_chat(COMMANDS_BY_NAME["link"], en).text


async def test_bad_invite_commands_explain_themselves(tg: FakeTelegram) -> None:
    li = await _coordinator(tg)
    li.send("/invite nbx student")
    assert "nbx" in (reply := (await li.next_message()).text) and "nbu" in reply
    li.send("/invite nbu professor")
    assert "professor" in (await li.next_message()).text
    li.send("/invite nbu student 9999")
    assert "500" in (await li.next_message()).text
    li.send("/invite")
    assert "/invite nbu student 30 14d" in (await li.next_message()).text


async def test_group_added_linked_refused_and_removed(
    tg: FakeTelegram, database: Database, en: Translator
) -> None:
    li = await _coordinator(tg)
    group = tg.group(-1009000000001, "Bangkok site <team> & friends")
    group.add_bot(by=li)
    greeting = await group.next_message()
    assert "/link" in greeting.text

    zhang = tg.user(1002, "Zhang Min", language_code="en")
    zhang.send("/link@synergy_test_bot", chat=group)
    refusal = await group.next_message()
    assert refusal.text == render_role_refusal(COMMANDS_BY_NAME["link"], en).text
    assert refusal.reply_to is not None  # in a group, answers quote the command

    stranger = tg.user(4003, "Stranger", language_code="en")
    stranger.send("/whoami@synergy_test_bot", chat=group)
    assert "invite" in (await group.next_message()).text

    li.send("/link@synergy_test_bot bkk-school", chat=group)
    linked = await group.next_message()
    assert "Bangkok International School" in linked.text
    async with database.transaction() as repos:
        chat = await repos.chats.by_telegram_id(group.id)
        assert chat is not None and chat.linked and chat.active
        assert chat.title == "Bangkok site <team> & friends"
        party = await repos.parties.by_id(chat.party_id or 0)
        assert party is not None and party.key == "bkk-school"

    group.remove_bot(by=li)
    await tg.idle()

    async def inactive() -> bool:
        async with database.transaction() as repos:
            chat = await repos.chats.by_telegram_id(group.id)
            return chat is not None and not chat.active

    await _eventually(inactive)


async def test_unlink(tg: FakeTelegram, database: Database) -> None:
    li = await _coordinator(tg)
    group = tg.group(-1009000000002, "Main")
    group.add_bot(by=li)
    await group.next_message()
    li.send("/link", chat=group)
    await group.next_message()
    li.send("/unlink", chat=group)
    await group.next_message()
    async with database.transaction() as repos:
        chat = await repos.chats.by_telegram_id(group.id)
        assert chat is not None and not chat.linked and chat.active


async def test_language_switch_by_command_and_button(tg: FakeTelegram) -> None:
    zhang = tg.user(1002, "Zhang Min", language_code="en")
    zhang.send("/start")
    assert (await zhang.next_message()).text.startswith("Hello, Zhang Min!")
    zhang.send("/lang zh")
    assert (await zhang.next_message()).text == "从现在起，我将用中文与您交流。"
    zhang.send("/whoami")
    assert "所属合作方和角色" in (await zhang.next_message()).text

    zhang.send("/lang")
    picker = await zhang.next_message()
    assert [text for text, _ in picker.buttons] == ["English", "中文"]
    query = zhang.press(picker, "English")
    await zhang.callback_answer(query)
    edited = await tg.wait_for(
        lambda: tg._messages[(zhang.id, picker.message_id)]["text"].startswith("From now on")
    )
    assert edited
    zhang.send("/help")
    help_text = (await zhang.next_message()).text
    assert "/whoami" in help_text and "/invite" not in help_text

    zhang.send("/lang fr")
    assert "/lang zh" in (await zhang.next_message()).text
    zhang.send("/nonsense")
    assert "/help" in (await zhang.next_message()).text


async def test_forged_button_changes_nothing(tg: FakeTelegram, database: Database) -> None:
    zhang = tg.user(1002, "Zhang Min", language_code="en")
    zhang.send("/forget")
    confirm = await zhang.next_message()
    other = tg.user(2001, "Chen Jie", language_code="en")
    other.send("/start")
    await other.next_message()
    # Chen presses a button bound to Zhang (data copied from Zhang's message).
    query = other.press_data(confirm, confirm.buttons[0][1])
    answer = await other.callback_answer(query)
    assert "not for you" in answer.get("text", "")
    query = zhang.press_data(confirm, "fg:1002:maybe;drop")
    await tg.idle()
    async with database.transaction() as repos:
        assert await repos.people.by_telegram_id(1002) is not None


async def test_mydata_and_forget(tg: FakeTelegram, database: Database) -> None:
    li = await _coordinator(tg)
    chen = tg.user(2001, "Chen Jie", language_code="en")
    chen.send("/start")
    await chen.next_message()
    chen.send("/mydata")
    document = await chen.next_message()
    file_id = document.raw["document"]["file_id"]
    data = json.loads(tg.files[file_id][1])
    assert data["person"]["telegram_id"] == 2001
    assert data["memberships"] == [{"party": "nbu", "role": "student"}]
    assert data["placements"][0]["site"] == "bkk-school"

    chen.send("/forget")
    confirm = await chen.next_message()
    chen.press(confirm, "Yes, erase my data")
    notice = await li.next_message()
    assert "Chen Jie" in notice.text and "删除" in notice.text
    async with database.transaction() as repos:
        assert await repos.people.by_telegram_id(2001) is None
    chen.send("/whoami")
    assert "invite" in (await chen.next_message()).text


async def test_private_only_commands_refused_in_groups(tg: FakeTelegram, en: Translator) -> None:
    li = await _coordinator(tg)
    group = tg.group(-1009000000003, "G")
    group.add_bot(by=li)
    await group.next_message()
    zhang = tg.user(1002, "Zhang Min", language_code="en")
    zhang.send("/mydata", chat=group)
    assert (await group.next_message()).text == render_wrong_chat(
        COMMANDS_BY_NAME["mydata"], en
    ).text


async def _eventually(check: object, timeout: float = 5.0) -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():  # type: ignore[operator]
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
