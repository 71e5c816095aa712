"""End to end: numbers and limits people can type past. A number is read once, in
`bot.domain.numbers`, with bounds: `²` (a digit to `str.isdigit()`, not to `int()`) and
20-digit numbers (past every database column) get the command's own answer, never "something
went wrong"; a day holds 24 hours of training; only a party's contacts take its on-call
duty; a check-in stays open for two weeks at most."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.services.consortium_io import import_file, import_scores_file
from db.engine import Database
from tests.conftest import SAMPLE_FILE, START
from tests.e2e.conftest import RunningBot, started
from tests.e2e.test_analytics import history
from tests.e2e.test_reports import ACTIVITIES

HUGE = "99999999999999999999"  # 20 digits: past BIGINT, and past INTEGER by far
FAILED = ("something went wrong", "出了问题")

# Another party's contact, for the on-call duty.
TAN = "  - {telegram_id: 1102, name: Tan Wei, party: edtech, roles: [contact]}\n"


@pytest.fixture
async def with_tan(settings: Settings, bot: RunningBot) -> None:
    text = SAMPLE_FILE.read_text(encoding="utf-8").replace("chats:\n", TAN + "chats:\n", 1)
    await import_file(settings, text, now=bot.clock.now())


async def _answer(person: FakeUser, command: str) -> str:
    person.send(command)
    text = (await person.next_message()).text
    assert not any(failure in text for failure in FAILED), f"{command}: {text}"
    return text


async def test_odd_numbers_get_the_commands_own_answer(tg: FakeTelegram, bot: RunningBot) -> None:
    li = await started(tg, 1001, "Li Wei", "en")
    zhang = await started(tg, 1002, "Zhang Min")
    wang = await started(tg, 1101, "Wang Fang")
    chen = await started(tg, 2001, "Chen Jie")
    for number in ("²", HUGE, "#" + HUGE, "2147483648"):
        assert "/close NUMBER" in await _answer(chen, f"/close {number}")
        assert "/history NUMBER" in await _answer(chen, f"/history {number}")
        assert "/done NUMBER" in await _answer(chen, f"/done {number}")
        assert "own students" in await _answer(zhang, f"/progress {number}")
        training = await _answer(wang, f"/training {number} 8")
        assert "/training STUDENT_ID" in training or "not a student" in training
        assert "up to 24" in await _answer(wang, f"/training 2001 {number}")
        await _answer(li, f"/transcript {number}")
        await _answer(chen, f"/topicreport {number}")
        await _answer(zhang, f"/topic {number}")
        assert "/achievement" in await _answer(chen, f"/achievement {number} paper A study")
        assert "/revenue" in await _answer(zhang, f"/revenue {number} 100")
        await _answer(zhang, f"/revenue 1 {number}{number}")
        assert "known people" in await _answer(zhang, f"/rotation nbu {number}")
        cover = f"/override nbu {number} 2026-12-01T09 2026-12-02T09"
        assert "Usage" in await _answer(zhang, cover)
        await _answer(li, f"/checkin schedule 15 09:00 {number}h")


async def test_odd_numbers_in_a_button_are_answered(tg: FakeTelegram, bot: RunningBot) -> None:
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/lang")
    menu = await chen.next_message()
    for data in (f"rp:{HUGE}:fix", f"sc:{HUGE}:go", f"tp:{HUGE}:app", f"lw:{HUGE}", "ap:x:2001"):
        answer = await chen.callback_answer(chen.press_data(menu, data))
        assert not any(failure in str(answer.get("text")) for failure in FAILED), data


async def test_a_day_holds_twenty_four_hours_of_training(tg: FakeTelegram, bot: RunningBot) -> None:
    wang = await started(tg, 1101, "Wang Fang")
    await started(tg, 2001, "Chen Jie")
    assert "up to 24" in await _answer(wang, "/training 2001 400 2026-11-01")
    assert "up to 24" in await _answer(wang, "/training 2001 25 2026-11-01")
    assert "Recorded 20 hours" in await _answer(wang, "/training 2001 20 2026-11-01")
    refused = await _answer(wang, "/training 2001 4,5 2026-11-01 again")
    assert "Nothing was recorded" in refused
    assert "already has 20 hours of training on Nov 1, 2026" in refused and "4.5" in refused
    assert "Recorded 4 hours" in await _answer(wang, "/training 2001 4 2026-11-01")
    assert "Nothing was recorded" in await _answer(wang, "/training 2001 0.5 2026-11-01")
    assert "In all: 32 hours" in await _answer(wang, "/training 2001 8 2026-10-31")


@pytest.mark.usefixtures("with_tan")
async def test_only_the_partys_contacts_take_its_duty(tg: FakeTelegram, database: Database) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    li = await started(tg, 1001, "Li Wei", "en")
    async with database.transaction() as repos:
        tan = await repos.people.by_telegram_id(1102)
        assert tan is not None
    refused = await _answer(zhang, "/rotation nbu 1002 2001 1102")
    assert "Only Ningbo University's own contacts" in refused
    assert "Chen Jie, Tan Wei" in refused and "Zhang Min" not in refused
    # Li Wei reads Chinese (the consortium file says so).
    refused = await _answer(li, "/override nbu 1101 2026-12-01T09:00 2026-12-05T18:00")
    assert "Ningbo University" in refused and "Wang Fang" in refused
    refused = await _answer(li, "/override edtech 1002 2026-12-01T09:00 2026-12-02T09:00")
    assert "GlobalEd Tech Ltd" in refused and "Zhang Min" in refused
    covers = await _answer(li, "/override edtech 1102 2026-12-01T09:00 2026-12-02T09:00")
    assert "Tan Wei" in covers and "Zhang Min" not in covers
    async with database.transaction() as repos:
        edtech = await repos.parties.by_key("edtech")
        assert edtech is not None
        covering = await repos.oncall.overrides(edtech.id, START)
        assert [o.person_id for o in covering] == [tan.id]
    assert "On-call order of Ningbo University: Zhang Min." in await _answer(
        zhang, "/rotation nbu 1002"
    )


async def test_a_checkin_stays_open_two_weeks_at_most(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    li = await started(tg, 1001, "Li Wei", "en")  # who reads Chinese
    async with database.transaction() as repos:
        before = await repos.checkins.policy()
        open_for = before.open_for if before else None
    for period in ("99999h", "15d", "²h", HUGE + "h", "0h"):
        refused = await _answer(li, f"/checkin schedule first mon 10:00 {period}")
        assert "1小时" in refused and "14天" in refused, period
    await _answer(li, "/checkin schedule first mon 10:00 30m")  # not a period it reads
    async with database.transaction() as repos:
        after = await repos.checkins.policy()
        assert (after.open_for if after else None) == open_for
    await _answer(li, "/checkin schedule first mon 10:00 14d")
    async with database.transaction() as repos:
        policy = await repos.checkins.policy()
        assert policy is not None and policy.open_for == dt.timedelta(days=14).total_seconds()


async def test_a_nul_character_is_stored_as_a_replacement(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    """PostgreSQL's text cannot hold U+0000: the question failed there, and was lost."""
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    routed = await _answer(chen, "/ask nbu Is the lab\x00 open on Sunday?")
    assert "Zhang Min" in routed
    delivery = await zhang.next_message()
    assert "Is the lab\ufffd open on Sunday?" in delivery.text
    async with database.transaction() as repos:
        asked = await repos.requests.get(1)
        assert asked is not None and asked.question == "Is the lab\ufffd open on Sunday?"


async def test_a_name_with_dollar_signs_is_drawn_as_written(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    """Matplotlib read `$...$` in a name as TeX: one it could not parse failed /progress."""
    await import_scores_file(settings, history())
    async with database.transaction() as repos:
        chen_row = await repos.people.by_telegram_id(2001)
        assert chen_row is not None
        chen_row.name = "Chen $^^$ Jie $5 & $10"
    chen = await started(tg, 2001, "Chen Jie")
    await _answer(chen, "/progress")
    chart = await chen.next_message()
    assert chart.raw.get("photo")


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


async def test_a_document_is_judged_by_its_type_and_first_bytes(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/report")
    step = await chen.next_message()
    if "(last week)" in str(step.buttons):
        step = await chen.press_and_read(step, step.buttons[0][0])
    chen.send(ACTIVITIES)
    await chen.next_message()
    chen.send("38")
    episode = await chen.next_message()
    rules = await chen.press_and_read(episode, "Nothing this week")
    problems = await chen.press_and_read(rules, "Next")
    rating = await chen.press_and_read(problems, "No problems")
    for value in ("4", "3", "5"):
        rating = await chen.press_and_read(rating, value)
    assert "7/7" in rating.text
    for name, content, declared in [
        ("plan.exe.pdf", EXE, "application/x-msdownload"),  # a program, by its declared type
        ("plan.pdf", EXE, "application/pdf"),  # a program, by its first bytes
        ("notes.txt", EXE, "text/plain"),
        ("slides.pptx", b"%PDF-1.7", "application/octet-stream"),
    ]:
        chen.send_document(name, content, mime_type=declared)
        refused = (await chen.next_message()).text
        assert "cannot be attached" in refused, name
    chen.send_document("notes.txt", "Lesson notes, 第一周".encode(), mime_type="text/plain")
    assert "File added to your draft (1 so far)" in (await chen.next_message()).text
    chen.send_document("plan.pdf", b"%PDF-1.7 plan", mime_type="application/octet-stream")
    assert "File added to your draft (2 so far)" in (await chen.next_message()).text


async def test_an_answer_with_a_program_is_refused(tg: FakeTelegram, bot: RunningBot) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    await _answer(chen, "/ask nbu Which form do I need for the lab?")
    delivery = await zhang.next_message()
    zhang.send_document(
        "form.exe.pdf", EXE, mime_type="application/x-msdownload", reply_to=delivery
    )
    assert "cannot be attached" in (await zhang.next_message()).text
    zhang.send_document(
        "form.pdf", b"%PDF-1.4 form", mime_type="application/pdf", reply_to=delivery
    )
    assert "on its way" in (await zhang.next_message()).text
    answer = await chen.next_message()
    assert answer.raw["document"]["file_name"] == "form.pdf"
    assert not [m for m in tg.messages(chen.id) if "form.exe" in str(m.raw)]
