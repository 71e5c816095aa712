"""End to end: texts longer than Telegram takes in one piece arrive whole. A caption too long
for its photo follows the photo as a message (and one that fits is no longer cut); a weekly
report or a topic report longer than one message reaches the student and every mentor in
several messages, the buttons under the last, and is scored (issue 24, findings 2 and 3)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.config import Settings
from bot.domain.telegram_text import plain_text, telegram_length
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from db.engine import Database
from db.models import Outbox, OutboxState, PartyKind, ReportStatus
from tests.e2e.conftest import RunningBot, main_group, outbox_settled, started, until
from tests.e2e.test_topics import with_team
from tests.factories import running_topic


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


W45 = dt.date(2026, 11, 2)
# Each part within its own limit (3,000, 2,000, 2,000), together 7,000 and more.
ACTIVITIES = ("Taught robotics & coding to <grade 5>; prepared the fair. " * 51)[:2990].strip()
EPISODE = ("A parent asked us not to photograph her child & we agreed. " * 33)[:1990].strip()
PROBLEMS = ("The lab's 3D printer & the <Wi-Fi> are broken again. " * 37)[:1990].strip()


async def test_a_long_weekly_report_is_reviewed_and_scored_whole(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    mentors = {
        tid: await started(tg, tid, name)
        for tid, name in ((1002, "Zhang Min"), (1101, "Wang Fang"))
    }
    await started(tg, 1201, "Liu Yang")
    await started(tg, 1301, "Somchai Prasert")
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/report")
    step = await chen.next_message()
    step = await chen.press_and_read(step, "2026-W45 (this week)")
    chen.send(ACTIVITIES)
    assert "2/7" in (await chen.next_message()).text
    chen.send("38")
    assert "3/7" in (await chen.next_message()).text
    chen.send(EPISODE)
    rules = await chen.next_message()
    await chen.press_and_read(rules, "Next")  # no rules this week
    chen.send(PROBLEMS)
    rating = await chen.next_message()
    for value in ("4", "3", "5"):
        rating = await chen.press_and_read(rating, value)

    # The review screen: the pressed message becomes its first piece, the rest follow.
    first = await chen.press_and_read(rating, "Done (0 files)")
    assert "Please check your report" in first.text and not first.buttons
    review = await _until_buttons(chen, first)
    assert len(review) == 2
    shown = _shown(review)
    assert ACTIVITIES in shown and EPISODE in shown and PROBLEMS in shown
    done = await chen.press_and_read(review[-1], "Submit")
    assert "4 mentors will score it" in done.text

    # Every mentor gets it whole, and can score it.
    for tid, mentor in mentors.items():
        request = await _until_buttons(mentor, await mentor.next_message())
        shown = _shown(request)
        assert "Weekly report from Chen Jie" in shown and "as the " in shown
        assert ACTIVITIES in shown and EPISODE in shown and PROBLEMS in shown
        step = await mentor.press_and_read(request[-1], "Score this report")
        for value in ("70", "80", "90"):
            step = await mentor.press_and_read(step, value)
        step = await mentor.press_and_read(step, "No comment")
        assert "Saved" in (await mentor.press_and_read(step, "Save")).text
        assert "scored your report" in (await chen.next_message()).text, tid
    await until(database, outbox_settled, "the outbox settling")
    assert await _failed_sends(database) == []
    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        report = await repos.reports.of_week(student.id, W45)
        assert report is not None and report.status is ReportStatus.SUBMITTED
        scored = [a for a in await repos.assessments.of_report(report.id) if a.completed_at]
        assert len(scored) == 2


PROGRESS = "Built four sensor prototypes & calibrated them <against the lab's>. " * 44
PLANS = "Install two sensors in the school garden & ask for the site's permission. " * 26
PROGRESS, PLANS = PROGRESS[:2990].strip(), PLANS[:1990].strip()  # 3,000 and 2,000 at most


async def test_a_long_topic_report_is_reviewed_and_scored_whole(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await with_team(settings, bot)
    mentor_ids = {PartyKind.UNIVERSITY: 1002, PartyKind.ENTERPRISE: 1101, PartyKind.RESEARCH: 1201}
    async with database.transaction() as repos:
        await running_topic(repos, W45, [2001, 2002], mentor_ids, {})
    zhang = await started(tg, 1002, "Zhang Min")
    await started(tg, 1101, "Wang Fang")
    await started(tg, 1201, "Liu Yang")
    chen = await started(tg, 2001, "Chen Jie")
    mei = await started(tg, 2002, "Mei Lin")

    chen.send("/topicreport")
    assert "1/3" in (await chen.next_message()).text
    chen.send(PROGRESS)
    assert "2/3" in (await chen.next_message()).text
    chen.send(PLANS)
    who = await chen.next_message()
    first = await chen.press_and_read(who, "Done")
    review = await _until_buttons(chen, first)
    assert len(review) == 2
    shown = _shown(review)
    assert PROGRESS in shown and PLANS in shown and "Took part: Chen Jie, Mei Lin" in shown
    done = await chen.press_and_read(review[-1], "Submit")
    assert "3 mentors will score it" in done.text
    assert "Chen Jie submitted the report" in (await mei.next_message()).text

    request = await _until_buttons(zhang, await zhang.next_message())
    shown = _shown(request)
    assert "Report of topic #1" in shown and PROGRESS in shown and PLANS in shown
    step = await zhang.press_and_read(request[-1], "Score this report")
    for value in ("70", "60", "70"):
        step = await zhang.press_and_read(step, value)
    step = await zhang.press_and_read(step, "No comment")
    assert "Saved" in (await zhang.press_and_read(step, "Save")).text
    assert "scored the report of topic #1" in (await mei.next_message()).text
    await until(database, outbox_settled, "the outbox settling")
    assert await _failed_sends(database) == []
