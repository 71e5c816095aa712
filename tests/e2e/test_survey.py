"""End to end: a talent-demand survey answered by two parties' contacts and summarised per
party; a module's review by the contacts of the three parties that built it, its figures
(means per question and party, Cronbach's alpha) worked out by hand here, the change requests
and the change recorded against them; the export, /mydata and /forget."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re

import openpyxl
from sqlalchemy import func, select

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from bot.services.consortium_io import import_file
from bot.services.people import forget_person
from db.engine import Database
from db.models import Outbox
from tests.e2e.conftest import RunningBot, message_with, outbox_settled, started, until
from tests.factories import consortium_with_reviewers


async def test_a_demand_survey_answered_by_two_parties_and_summarised(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await import_file(settings, consortium_with_reviewers(), now=bot.clock.now())
    li = await started(tg, 1001, "Li Wei", language="zh")  # the coordinator, reads Chinese
    tan = await started(tg, 1102, "Tan Wei Ming")
    ong = await started(tg, 1103, "Ong Mei")
    niran = await started(tg, 1302, "Niran Suk", language="zh")

    tan.send("/survey send anything")
    assert "/survey is only for: coordinator." in (await tan.next_message()).text
    li.send("/survey send " + ", ".join(f"skill {i}" for i in range(11)))
    assert "一次调研最多 10 项技能" in (await li.next_message()).text
    li.send("/survey send data protection law, cross-cultural communication，project management")
    assert "调研 1 已发送给企业和海外实习基地的 3 位联系人" in (await li.next_message()).text

    # The enterprise's first contact ticks two skills and writes another need.
    ask = await _next_with(tan, "Talent-demand survey")
    assert "GlobalEd Tech Ltd" in ask.text
    assert [text for text, _ in ask.buttons] == [
        "▫️ data protection law",
        "▫️ cross-cultural communication",
        "▫️ project management",
        "Done",
    ]
    tans_first = ask.buttons[0][1]
    ask = await tan.press_and_read(ask, "▫️ data protection law")
    ask = await tan.press_and_read(ask, "▫️ project management")
    assert "✅ project management" in [text for text, _ in ask.buttons]
    prompt = await tan.press_and_read(ask, "Done")
    assert "data protection law, project management" in prompt.text
    tan.send("x" * 1001)
    assert "within 1000 characters" in (await tan.next_message()).text
    tan.send("Python for data pipelines")
    assert "the answer for GlobalEd Tech Ltd is saved" in (await tan.next_message()).text

    # The overseas site's contact, in Chinese, ticks one skill (after a change of mind).
    ask = await _next_with(niran, "人才需求调研")
    ask = await niran.press_and_read(ask, "▫️ data protection law")
    ask = await niran.press_and_read(ask, "✅ data protection law")
    ask = await niran.press_and_read(ask, "▫️ cross-cultural communication")
    prompt = await niran.press_and_read(ask, "完成")
    done = await niran.press_and_read(prompt, "没有其他需求")
    assert "Bangkok International School的答复已保存" in done.text
    # Ong never answers; a press on someone else's answer is refused.
    ong_ask = await _next_with(ong, "Talent-demand survey")
    forged = ong.press_data(ong_ask, tans_first)
    assert (await ong.callback_answer(forged))["text"]

    li.send("/survey results")
    summary = (await message_with(tg, li.id, "人才需求调研 1")).text
    blocks = {block.split("</b>")[0]: block for block in summary.split("\n\n")}
    edtech = blocks["<b>GlobalEd Tech Ltd"]
    bkk = blocks["<b>Bangkok International School"]
    totals = blocks["<b>所有合作方（按需求从多到少）"].split("</b>")[1]
    assert "2 位联系人中 1 位已答复" in edtech
    assert "data protection law：1" in edtech and "project management：1" in edtech
    assert "cross-cultural communication：0" in edtech
    assert "其他需求：Python for data pipelines" in edtech
    assert "1 位联系人中 1 位已答复" in bkk and "cross-cultural communication：1" in bkk
    assert "data protection law：0" in bkk and "其他需求" not in bkk
    lines = [line.strip() for line in totals.strip().splitlines()]
    assert lines == [
        "data protection law：1",
        "cross-cultural communication：1",
        "project management：1",
    ]


_TITLE = {False: "Review of the module", True: "课程模块评价"}


def _review_of(tg: FakeTelegram, chat_id: int) -> SentMessage | None:
    return next((m for m in tg.messages(chat_id) if "Review of the module" in m.text), None)


async def test_a_module_reviewed_with_its_figures_and_the_loop_closed(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await import_file(settings, consortium_with_reviewers(), now=bot.clock.now())
    li = await started(tg, 1001, "Li Wei")
    zhang = await started(tg, 1002, "Zhang Min")  # contact of the lead, Ningbo University
    tan = await started(tg, 1102, "Tan Wei Ming")
    ong = await started(tg, 1103, "Ong Mei")
    niran = await started(tg, 1302, "Niran Suk", language="zh")

    # Before the session ends, nobody is asked; at its end, each builder's contact once.
    bot.clock.set(dt.datetime(2026, 11, 10, 2, 59, tzinfo=dt.UTC))
    await asyncio.sleep(0.3)
    await until(database, outbox_settled, "the outbox drained")
    assert _review_of(tg, zhang.id) is None
    bot.clock.set(dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC))
    # Ratings (relevance, teaching, practice, organisation) and what should change.
    answers = {
        zhang: ((4, 5, 4, 3), None),
        tan: ((5, 4, 5, 4), "More cases from real audits"),
        ong: ((3, 3, 4, 2), "Start earlier in the term"),
        niran: ((2, 3, 2, 3), "Shorter sessions"),
    }
    for person, (scores, change) in answers.items():
        zh = person is niran  # the overseas site's contact reads Chinese
        review = await _next_with(person, _TITLE[zh])
        assert (
            "第 1 题（共 4 题）：内容相关性" if zh else "Question 1 of 4: Content relevance"
        ) in (review.text)
        for score in scores:
            review = await person.press_and_read(review, str(score))
        assert ("应如何改进" if zh else "What should change") in review.text
        if change is None:
            done = await person.press_and_read(review, "Nothing to change")
            assert "your review of Cross-cultural Educational Project Management" in done.text
        else:
            person.send(change)
            assert ("已保存" if zh else "is saved") in (await person.next_message()).text
    await asyncio.sleep(0.3)
    await until(database, outbox_settled, "the outbox drained")
    async with database.transaction() as repos:  # exactly once, however many ticks passed
        sent = await repos.session.execute(
            select(Outbox.chat_id, func.count())
            .where(Outbox.purpose == "survey.review")
            .group_by(Outbox.chat_id)
        )
        assert dict(sent.all()) == {p.id: 1 for p in answers}
    assert _review_of(tg, li.id) is None  # the coordinator's party did not build it

    # By hand. Means: relevance (4+5+3+2)/4 = 3.50, teaching (5+4+3+3)/4 = 3.75,
    # practice (4+5+4+2)/4 = 3.75, organisation (3+4+2+3)/4 = 3.00, overall 14/4 = 3.50.
    # Alpha: item variances 5/3, 2.75/3, 4.75/3, 2/3 (sum 14.5/3); totals 16, 18, 12, 10
    # have variance 40/3; alpha = 4/3 * (1 - 14.5/40) = 0.85.
    # GlobalEd (Tan, Ong): 4.00, 3.50, 4.50, 3.00, overall 3.75; two raters: no alpha.
    zhang.send("/review pm")  # a contact may read the loop (Li, the coordinator, reads Chinese)
    loop = (await _next_with(zhang, "reviews answered")).text
    assert "4 of 4 reviews answered" in loop
    everyone = loop.split("<b>All parties</b>")[1]
    assert "4 raters · mean 3.50" in everyone
    assert (
        "Content relevance 3.50 · Teaching quality 3.75 · Practical value 3.75 · "
        "Organisation 3.00" in everyone
    )
    assert "Cronbach's alpha: 0.85" in everyone
    edtech = loop.split("<b>GlobalEd Tech Ltd</b>")[1].split("<b>")[0]
    assert "2 raters · mean 3.75" in edtech
    assert "Content relevance 4.00 · Teaching quality 3.50 · Practical value 4.50" in edtech
    assert "Cronbach" not in edtech  # a party's own alpha only where it can be worked out
    requests = dict(
        (text, int(number)) for number, text in re.findall(r"#(\d+) [^:]+: ([^(]+?) \(open\)", loop)
    )
    assert set(requests) == {
        "More cases from real audits",
        "Start earlier in the term",
        "Shorter sessions",
    }
    assert "No change recorded yet." in loop

    # The lead's contact records the next run's change against two requests.
    tan.send("/review pm change Anything")
    assert "not yours to answer or change" in (await tan.next_message()).text
    zhang.send("/review pm change #999 Anything")
    assert "not a change request of this module" in (await zhang.next_message()).text
    audits, shorter = requests["More cases from real audits"], requests["Shorter sessions"]
    zhang.send(f"/review pm change #{audits} #{shorter} Two audit cases; 90-minute sessions")
    closed = (await zhang.next_message()).text
    assert f"#{audits} GlobalEd Tech Ltd: More cases from real audits (answered)" in closed
    assert "Start earlier in the term (open)" in closed
    assert f"Two audit cases; 90-minute sessions (answers #{audits}, #{shorter})" in closed

    # /export has the reviews and the change; /mydata Tan's review; /forget his words.
    li.send("/export")
    book = openpyxl.load_workbook(io.BytesIO(await _document(tg, li.id, ".xlsx")), read_only=True)
    # Li reads Chinese: the sheets and their headers are his, the module by its title.
    rows = list(book["课程评价"].iter_rows(values_only=True))
    head = rows[0]
    by_party = sorted(
        (
            r[head.index("合作方")],
            r[head.index("内容相关性（1–5）")],
            r[head.index("组织安排（1–5）")],
        )
        for r in rows[1:]
    )
    assert by_party == [("bkk-school", 2, 3), ("edtech", 3, 2), ("edtech", 5, 4), ("nbu", 4, 3)]
    assert {r[head.index("标题")] for r in rows[1:]} == {"跨文化教育项目管理"}
    changes = list(book["课程修改"].iter_rows(values_only=True))
    assert changes[1][:3] == (
        "跨文化教育项目管理",
        "Two audit cases; 90-minute sessions",
        f"{audits},{shorter}",
    )
    tan.send("/mydata")
    data = json.loads(await _document(tg, tan.id, ".json"))
    assert data["course_reviews"][0]["change_requested"] == "More cases from real audits"
    assert data["course_reviews"][0]["relevance"] == 5
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(1102)
        assert person is not None
        await forget_person(repos, person)
    li.send("/review pm")
    after = (await message_with(tg, li.id, "份评价中")).text
    assert "4 位评分人 · 平均 3.50" in after  # the party keeps its scores
    assert "More cases from real audits" not in after
    assert f"#{audits} GlobalEd Tech Ltd：（已删除）（已回答）" in after


async def test_a_leftover_no_other_needs_keeps_the_need_typed(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await import_file(settings, consortium_with_reviewers(), now=bot.clock.now())
    li = await started(tg, 1001, "Li Wei", language="zh")
    tan = await started(tg, 1102, "Tan Wei Ming")
    niran = await started(tg, 1302, "Niran Suk", language="zh")
    li.send("/survey send data protection law, project management")
    await _next_with(li, "调研 1 已发送")

    # Tan writes another need; the prompt above still shows No other needs.
    prompt = await tan.press_and_read(await _next_with(tan, "Talent-demand survey"), "Done")
    tan.send("Python for data pipelines")
    assert "is saved" in (await tan.next_message()).text
    pressed = await tan.callback_answer(tan.press(prompt, "No other needs"))
    assert pressed.get("text") == "You have already answered; your answer is kept."
    # Niran taps No other needs twice (the message still has it when the second tap goes).
    prompt = await niran.press_and_read(await _next_with(niran, "人才需求调研"), "完成")
    first, second = niran.press(prompt, "没有其他需求"), niran.press(prompt, "没有其他需求")
    assert "text" not in await niran.callback_answer(first)  # the prompt becomes the thanks
    assert (await niran.callback_answer(second)).get("text") == "您已经答复过了，您的答复保持不变。"
    await message_with(tg, niran.id, "Bangkok International School的答复已保存")

    li.send("/survey results")
    summary = (await _next_with(li, "人才需求调研 1")).text
    edtech = summary.split("<b>GlobalEd Tech Ltd")[1].split("\n\n")[0]
    assert "其他需求：Python for data pipelines" in edtech


async def test_a_leftover_nothing_to_change_keeps_the_request_and_its_change(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await import_file(settings, consortium_with_reviewers(), now=bot.clock.now())
    zhang = await started(tg, 1002, "Zhang Min")  # contact of the lead, Ningbo University
    tan = await started(tg, 1102, "Tan Wei Ming")
    bot.clock.set(dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC))  # the module has ended

    prompt = await _next_with(tan, "Review of the module")
    for score in (5, 4, 5, 4):
        prompt = await tan.press_and_read(prompt, str(score))
    tan.send("More cases from real audits")
    assert "is saved" in (await tan.next_message()).text
    review = await _next_with(zhang, "Review of the module")
    for score in (4, 5, 4, 3):
        review = await zhang.press_and_read(review, str(score))
    # Zhang taps Nothing to change twice (the message still has it when the second tap goes).
    first, second = (
        zhang.press(review, "Nothing to change"),
        zhang.press(review, "Nothing to change"),
    )
    assert "text" not in await zhang.callback_answer(first)  # the question becomes the thanks
    assert (await zhang.callback_answer(second)).get("text") == (
        "You have already answered; your answer is kept."
    )
    zhang.send("/review pm")
    number = re.findall(
        r"#(\d+) GlobalEd Tech Ltd: More cases from real audits \(open\)",
        (await _next_with(zhang, "reviews answered")).text,
    )[0]
    zhang.send(f"/review pm change #{number} Two audit cases")
    assert "(answered)" in (await zhang.next_message()).text

    # The leftover button under Tan's question changes nothing.
    pressed = await tan.callback_answer(tan.press(prompt, "Nothing to change"))
    assert pressed.get("text") == "You have already answered; your answer is kept."
    zhang.send("/review pm")
    loop = (await _next_with(zhang, "reviews answered")).text
    assert "2 of 4 reviews answered" in loop
    assert f"#{number} GlobalEd Tech Ltd: More cases from real audits (answered)" in loop
    assert f"Two audit cases (answers #{number})" in loop


async def test_no_other_needs_on_one_survey_leaves_the_other_surveys_question_open(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await import_file(settings, consortium_with_reviewers(), now=bot.clock.now())
    li = await started(tg, 1001, "Li Wei", language="zh")  # the coordinator, reads Chinese
    tan = await started(tg, 1102, "Tan Wei Ming")
    li.send("/survey send data protection law, project management")
    await _next_with(li, "调研 1 已发送")
    li.send("/survey send intercultural mediation, budgeting")
    await _next_with(li, "调研 2 已发送")
    first = await _next_with(tan, "Talent-demand survey")
    second = await _next_with(tan, "Talent-demand survey")
    assert "▫️ intercultural mediation" in [text for text, _ in second.buttons]

    # Tan presses Done on both, then No other needs on the first: the bot still waits for
    # what the second survey's party needs, and takes it.
    first = await tan.press_and_read(first, "Done")
    await tan.press_and_read(second, "Done")
    done = await tan.press_and_read(first, "No other needs")
    assert "the answer for GlobalEd Tech Ltd is saved" in done.text
    tan.send("Python for data pipelines")
    assert "the answer for GlobalEd Tech Ltd is saved" in (await tan.next_message()).text

    li.send("/survey results 2")
    results = (await _next_with(li, "人才需求调研 2")).text
    assert "其他需求：Python for data pipelines" in results
    li.send("/survey results 1")
    assert "其他需求" not in (await _next_with(li, "人才需求调研 1")).text


# A second module built by GlobalEd Tech, ended before the first.
TWO_MODULES = (
    consortium_with_reviewers()
    + """  - key: ds
    title: {en: International Educational Data Security Regulations, zh: 国际教育数据安全法规}
    lead: nbu
    parties: [edtech]
    sessions:
      - {start: 2026-11-10 07:00, length: 1h, place: Room 6, speaker: 1002}
"""
)


async def test_nothing_to_change_on_one_module_leaves_the_other_modules_question_open(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await import_file(settings, TWO_MODULES, now=bot.clock.now())
    zhang = await started(tg, 1002, "Zhang Min")  # contact of the lead, Ningbo University
    tan = await started(tg, 1102, "Tan Wei Ming")
    bot.clock.set(dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC))  # both modules have ended
    reviews = {}
    for _ in range(2):
        review = await _next_with(tan, "Review of the module")
        reviews["Data Security" in review.text] = review
    pm, ds = reviews[False], reviews[True]

    # Tan rates both in full, then presses Nothing to change under the first: the bot still
    # waits for what should change in the second, and takes it.
    for score in (5, 4, 5, 4):
        pm = await tan.press_and_read(pm, str(score))
    for score in (3, 3, 4, 3):
        ds = await tan.press_and_read(ds, str(score))
    assert "What should change" in pm.text and "What should change" in ds.text
    done = await tan.press_and_read(pm, "Nothing to change")
    assert "your review of Cross-cultural Educational Project Management is saved" in done.text
    tan.send("Fewer slides, more audit cases")
    thanks = (await tan.next_message()).text
    assert "your review of International Educational Data Security Regulations" in thanks

    zhang.send("/review ds")
    loop = (await _next_with(zhang, "reviews answered")).text
    assert "GlobalEd Tech Ltd: Fewer slides, more audit cases (open)" in loop
    zhang.send("/review pm")
    assert "Fewer slides" not in (await _next_with(zhang, "reviews answered")).text


async def _next_with(person: FakeUser, text: str) -> SentMessage:
    """The next message to this person that contains `text`, those before it read."""
    while True:
        message = await person.next_message()
        if text in message.text:
            return message


async def _document(tg: FakeTelegram, chat_id: int, suffix: str) -> bytes:
    def found() -> SentMessage | None:
        return next(
            (
                m
                for m in tg.messages(chat_id)
                if m.raw.get("document", {}).get("file_name", "").endswith(suffix)
            ),
            None,
        )

    message: SentMessage = await tg.wait_for(found)
    return tg.files[message.raw["document"]["file_id"]][1]
