"""End to end: questions routed to the party's on-call contact, answered, escalated on a
controllable clock, held for quiet hours, refused (403), and carried across a restart."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, SentMessage
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


@pytest.fixture
async def liaison(settings: Settings, bot: RunningBot) -> None:
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    text = text.replace("chats:\n", ONCALL.split("oncall:")[0] + "chats:\n", 1)
    text += "oncall:" + ONCALL.split("oncall:")[1]
    await import_file(settings, text, now=bot.clock.now())


pytestmark = pytest.mark.usefixtures("liaison")


async def test_the_whole_life_of_a_request(tg: FakeTelegram, database: Database) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    group = await main_group(tg, chen)

    question = chen.send("/ask nbu When is the <mid-term> report due?", chat=group)
    routed = await group.next_message()
    assert "Zhang Min is on call" in routed.text and routed.reply_to == question["message_id"]

    delivery = await zhang.next_message()
    assert "&lt;mid-term&gt;" in delivery.text and "Chen Jie" in delivery.text
    assert "Alliance main group" in delivery.text
    assert [text for text, _ in delivery.buttons] == ["Acknowledge", "Answer", "Hand over"]

    zhang.send("Friday 17:00, Bangkok time.", reply_to=delivery)
    assert "on its way" in (await zhang.next_message()).text
    answer = await group.next_message()
    assert answer.reply_to == question["message_id"]
    assert "Friday 17:00, Bangkok time." in answer.text and "Zhang Min" in answer.text

    chen.send("Does that include the appendix?", chat=group, reply_to=answer)
    await group.next_message()  # "your follow-up went to ..."
    follow_up = await zhang.next_message()
    assert "Does that include the appendix?" in follow_up.text
    zhang.send_photo(b"\x89PNG appendix rules", caption="Yes, see the rules.")
    assert "understand" in (await zhang.next_message()).text  # not a reply: not an answer
    zhang.send("Yes: see section 4.", reply_to=follow_up)
    await zhang.next_message()
    second = await group.next_message()
    assert "see section 4" in second.text

    zhang.send_photo(b"\x89PNG section 4", caption="Here is the page.", reply_to=follow_up)
    await zhang.next_message()
    photo = await group.next_message()
    assert photo.raw["photo"][0]["file_id"] and "Here is the page." in photo.text
    assert photo.reply_to == question["message_id"]

    request_id = int(routed.text.split("#")[1].split()[0])
    chen.send(f"/history {request_id}", chat=group)
    story = (await group.next_message()).text
    assert "asked — Chen Jie" in story and "answered — Zhang Min" in story
    outsider = tg.user(1999, "Somebody else")  # not in the consortium: sees nothing
    outsider.send(f"/history {request_id}")
    assert "invite" in (await outsider.next_message()).text
    chen.send(f"/close {request_id}", chat=group)
    assert f"#{request_id}" in (await group.next_message()).text
    async with database.transaction() as repos:
        events = [e.kind for e in await repos.requests.events(request_id)]
    assert events == [
        "opened",
        "delivered",
        "answered",
        "follow_up",
        "answered",
        "answered",
        "closed",
    ]


async def test_escalation_on_the_clock_until_acknowledged(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1003, "Wang Lei")
    li = await started(tg, 1001, "Li Wei", "zh")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/ask nbu Can I change my placement dates?")
    await chen.next_message()
    await zhang.next_message()

    bot.clock.advance(dt.timedelta(minutes=29))
    await _quiet_for(tg, wang.id)
    bot.clock.advance(dt.timedelta(minutes=2))
    escalated = await wang.next_message()
    assert "still unacknowledged" in escalated.text
    bot.clock.advance(dt.timedelta(hours=1, minutes=30))
    to_coordinator = await li.next_message()
    assert "仍未确认" in to_coordinator.text  # in the coordinator's language

    query = li.press(to_coordinator, "确认")
    assert "确认" in (await li.callback_answer(query))["text"]
    bot.clock.advance(dt.timedelta(hours=5))
    await _quiet_for(tg, li.id, wang.id, zhang.id)


async def test_a_contact_who_never_pressed_start(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    wang = await started(tg, 1003, "Wang Lei")
    li = await started(tg, 1001, "Li Wei", "en")
    chen = await started(tg, 2001, "Chen Jie")
    tg.user(1002, "Zhang Min")  # on call, but never pressed Start
    chen.send("/ask nbu Who signs the safety form?")
    await chen.next_message()
    alert = await li.next_message()
    assert "Zhang Min" in alert.text and "https://t.me/synergy_test_bot" in alert.text
    moved_on = await wang.next_message()  # the next step ran at once
    assert "Who signs the safety form?" in moved_on.text
    async with database.transaction() as repos:
        zhang = await repos.people.by_telegram_id(1002)
        assert (
            zhang is not None
            and not zhang.can_message
            and "Forbidden" in (zhang.message_error or "")
        )


async def test_quiet_hours_hold_a_question_until_morning(tg: FakeTelegram, bot: RunningBot) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    bot.clock.set(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC))  # 23:00 in Shanghai
    chen.send("/ask nbu Is the lab open tomorrow?")
    held = await chen.next_message()
    assert "08:00" in held.text and "/ask!" in held.text
    await _quiet_for(tg, zhang.id)
    chen.send("/ask! nbu The lab is flooded, whom do I call?")
    await chen.next_message()
    urgent = await zhang.next_message()
    assert "URGENT" in urgent.text and "flooded" in urgent.text
    bot.clock.set(dt.datetime(2026, 11, 3, 0, 1, tzinfo=dt.UTC))  # 08:01 in Shanghai
    morning = await zhang.next_message()
    assert "Is the lab open tomorrow?" in morning.text


async def test_an_override_takes_the_duty(tg: FakeTelegram) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1003, "Wang Lei")
    chen = await started(tg, 2001, "Chen Jie")
    zhang.send("/override nbu 1003 2026-11-02T08:00 2026-11-02T18:00")
    assert "Wang Lei covers" in (await zhang.next_message()).text
    chen.send("/oncall")
    listing = await chen.next_message()
    assert (
        "Wang Lei now (covering)" in listing.text
        and "Zhang Min from Nov 2, 2026, 18:00 (China Time)" in (listing.text)
    )
    chen.send("/ask nbu Where do I send receipts?")
    assert "Wang Lei is on call" in (await chen.next_message()).text
    assert "receipts" in (await wang.next_message()).text
    chen.send("/override nbu 1003 2026-11-02T08:00 2026-11-02T18:00")
    assert "coordinator" in (await chen.next_message()).text  # students may not


async def test_a_restart_between_two_escalation_steps(tg: FakeTelegram, bot: RunningBot) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1003, "Wang Lei")
    li = await started(tg, 1001, "Li Wei", "en")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/ask nbu Are visas covered by the grant?")
    await chen.next_message()
    await zhang.next_message()
    await bot.stop()
    # Both steps (30m: the next contact, 2h: coordinators) fell due while the bot was down;
    # the steps' next round (2h30m) has not.
    bot.clock.advance(dt.timedelta(hours=2, minutes=10))
    await bot.start()
    assert "visas" in (await wang.next_message()).text
    assert "visas" in (await li.next_message()).text
    await _quiet_for(tg, wang.id, li.id, zhang.id)
    assert len(tg.messages(wang.id)) == 2 and len(tg.messages(li.id)) == 2  # welcome + one


async def test_asking_without_a_party_offers_buttons_and_hand_over(tg: FakeTelegram) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1003, "Wang Lei")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/ask How do I extend my stay?")
    picker = await chen.next_message()
    other = await started(tg, 2002, "Someone")
    other.press(picker, "Ningbo University")
    chen.press(picker, "Ningbo University")
    await tg.wait_for(
        lambda: "Zhang Min is on call" in tg._messages[(chen.id, picker.message_id)]["text"]
    )
    delivery = await zhang.next_message()
    assert "How do I extend my stay?" in delivery.text
    zhang.press(delivery, "Hand over")
    handed = await wang.next_message()
    assert "handed over to you" in handed.text
    wang.press(handed, "Answer")
    prompt = await wang.next_message()
    wang.send("Ask the international office.", reply_to=prompt)
    await wang.next_message()
    assert "international office" in (await chen.next_message()).text


async def test_requests_lists_and_counts(tg: FakeTelegram, bot: RunningBot) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    li = await started(tg, 1001, "Li Wei", "en")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/ask nbu First question?")
    await chen.next_message()
    first = await zhang.next_message()
    chen.send("/ask nbu Second question?")
    await chen.next_message()
    await zhang.next_message()
    bot.clock.advance(dt.timedelta(minutes=10))
    zhang.press(first, "Acknowledge")
    await tg.wait_for(lambda: tg.count_calls("answerCallbackQuery") >= 1)
    zhang.send("/requests")
    listing = (await zhang.next_message()).text
    assert "First question?" in listing and "Second question?" in listing
    assert "acknowledged" in listing and "waiting" in listing
    li.send("/requests export")
    export = await li.next_message()
    rows = tg.files[export.raw["document"]["file_id"]][1].decode("utf-8-sig").splitlines()
    assert rows[0] == "request,party,asked_at,state,urgent,event_at,event,person,detail"
    assert [row.split(",")[6] for row in rows[1:]] == [
        "opened",
        "delivered",
        "acknowledged",
        "opened",
        "delivered",
    ]
    zhang.send("/requests export")
    assert "Only coordinators" in (await zhang.next_message()).text
    li.send("/requests")
    figures = (await li.next_message()).text
    assert "nbu：2 个问题，10分钟 / —，0%" in figures  # Li Wei reads Chinese
    chen.send("/requests")
    assert "coordinator" in (await chen.next_message()).text


async def _attempts_recorded(database: Database, attempts: int) -> None:
    """Wait until the bot has recorded this many failed attempts of its one pending message
    (the back-off counts from then, on the bot's clock)."""

    async def recorded(repos: Repos) -> bool:
        rows = await repos.outbox.due(dt.datetime.max.replace(tzinfo=dt.UTC))
        return [row.attempts for row in rows] == [attempts]

    await until(database, recorded, f"recording attempt {attempts}")


async def _quiet_for(tg: FakeTelegram, *chat_ids: int, seconds: float = 0.4) -> None:
    """Nothing new reaches these chats for a while (several scheduler ticks)."""
    import asyncio

    before = {chat: len(tg.messages(chat)) for chat in chat_ids}
    await asyncio.sleep(seconds)
    after = {chat: len(tg.messages(chat)) for chat in chat_ids}
    assert after == before, f"unexpected messages: {after} vs {before}"


def _text(message: SentMessage) -> str:
    return message.text


async def test_a_failed_delivery_is_retried_and_arrives_once(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    tg.fail("sendMessage", status=502, description="Bad Gateway", chat_id=zhang.id, times=2)
    chen.send("/ask nbu Is the canteen open on Sunday?")
    await chen.next_message()
    await _attempts_recorded(database, 1)
    await _quiet_for(tg, zhang.id)  # backing off: 2 s on the bot's clock
    bot.clock.advance(dt.timedelta(seconds=3))
    await _attempts_recorded(database, 2)
    await _quiet_for(tg, zhang.id)  # backing off: 4 s
    bot.clock.advance(dt.timedelta(seconds=5))
    assert "canteen" in (await zhang.next_message()).text
    await _quiet_for(tg, zhang.id)
    assert len(tg.messages(zhang.id)) == 2  # the welcome and exactly one delivery
    await until(database, outbox_settled, "recording the delivery as sent")
    await _quiet_for(tg, zhang.id)  # and not sent again


async def test_a_timed_out_delivery_is_sent_again_once(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    """Telegram does not answer within the bot's read timeout (5 s, PTB's default): the
    request is given up, backed off and sent again, and the question arrives once."""
    import asyncio

    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    tg.fail("sendMessage", status=0, delay=30, chat_id=zhang.id)  # hangs, never answers
    chen.send("/ask nbu Where do I collect my visa letter?")
    await chen.next_message()
    await asyncio.sleep(5.0)  # the read timeout
    await _attempts_recorded(database, 1)
    async with database.transaction() as repos:
        (row,) = await repos.outbox.due(dt.datetime.max.replace(tzinfo=dt.UTC))
        assert row.error is not None and "timed out" in row.error.lower(), row.error
    await _quiet_for(tg, zhang.id)  # backing off: 2 s on the bot's clock
    bot.clock.advance(dt.timedelta(seconds=3))
    assert "visa letter" in (await zhang.next_message()).text
    await _quiet_for(tg, zhang.id)
    assert len(tg.messages(zhang.id)) == 2  # the welcome and exactly one delivery


async def test_a_429_is_waited_out(tg: FakeTelegram) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    tg.fail("sendMessage", status=429, retry_after=1, chat_id=zhang.id)
    chen.send("/ask nbu Parking permits?")
    await chen.next_message()
    assert "Parking permits?" in (await zhang.next_message()).text
    assert len(tg.messages(zhang.id)) == 2
