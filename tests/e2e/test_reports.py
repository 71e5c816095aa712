"""End to end: a weekly report written in a guided conversation (with a bad and a good
attachment and a restart in the middle), scored by the four parties' mentors, fed back to
the student, corrected before scoring, and the reminders on a controllable clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from db.engine import Database
from db.models import ReportStatus, WeeklyReport
from tests.e2e.conftest import RunningBot, started

W44, W45 = dt.date(2026, 10, 26), dt.date(2026, 11, 2)
MENTORS = {
    "university": (1002, "Zhang Min"),
    "enterprise": (1101, "Wang Fang"),
    "research": (1201, "Liu Yang"),
    "overseas_site": (1301, "Somchai Prasert"),
}
ACTIVITIES = "Taught two robotics lessons and prepared the science fair with the host teachers."


async def _mentors(tg: FakeTelegram) -> dict[str, FakeUser]:
    return {kind: await started(tg, tid, name) for kind, (tid, name) in MENTORS.items()}


async def _mark(database: Database, week: dt.date, status: ReportStatus) -> None:
    """A week already settled for Chen Jie (so that /report goes straight to another)."""
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        await repos.reports.add(
            WeeklyReport(
                student_id=chen.id,
                week=week,
                status=status,
                week_chosen=True,
                attachments_done=True,
            )
        )


async def _write_report(chen: FakeUser, hours: str = "38") -> SentMessage:
    """/report through to the review screen (last week's, when two are open)."""
    chen.send("/report")
    first = await chen.next_message()
    if "(last week)" in str(first.buttons):
        first = await chen.press_and_read(first, first.buttons[0][0])
    assert "1/7" in first.text
    chen.send(ACTIVITIES)
    assert "2/7" in (await chen.next_message()).text
    chen.send(hours)
    episode = await chen.next_message()
    rules = await chen.press_and_read(episode, "Nothing this week")
    problems = await chen.press_and_read(rules, "Next")
    rating = await chen.press_and_read(problems, "No problems")
    for value in ("4", "3", "5"):
        rating = await chen.press_and_read(rating, value)
    review = await chen.press_and_read(rating, "Done (0 files)")
    assert "Please check your report" in review.text
    return review


async def _score(
    mentor: FakeUser, values: tuple[int, int, int], comment: str | None, files: int = 1
) -> str:
    request = await mentor.next_message()
    assert "Weekly report from Chen Jie" in request.text
    for _ in range(files):
        assert (await mentor.next_message()).raw.get("document")
    step = await mentor.press_and_read(request, "Score this report")
    for value in values:
        if str(value) in [text for text, _ in step.buttons]:
            step = await mentor.press_and_read(step, str(value))
        else:
            mentor.send(str(value))
            step = await mentor.next_message()
    if comment is None:
        step = await mentor.press_and_read(step, "No comment")
    else:
        mentor.send(comment)
        step = await mentor.next_message()
    assert "Your scores" in step.text
    return (await mentor.press_and_read(step, "Save")).text


async def test_a_report_from_draft_to_four_scores(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    mentors = await _mentors(tg)
    chen = await started(tg, 2001, "Chen Jie")

    chen.send("/report")
    question = await chen.next_message()
    assert [text for text, _ in question.buttons] == [
        "2026-W44 (last week)",
        "2026-W45 (this week)",
    ]
    step = await chen.press_and_read(question, "2026-W45 (this week)")
    assert "1/7" in step.text and "2026-W45" in step.text
    chen.send("Taught.")
    assert "at least 20 characters" in (await chen.next_message()).text
    chen.send(ACTIVITIES)
    assert "2/7" in (await chen.next_message()).text
    chen.send("lots")
    assert "number from 0 to 80" in (await chen.next_message()).text
    chen.send("37,5")
    assert "3/7" in (await chen.next_message()).text

    await bot.restart()  # the draft lives in the database, the conversation too
    chen.send("A parent asked us not to photograph her child; we agreed on <no photos>.")
    rules = await chen.next_message()
    assert "4/7" in rules.text
    rules = await chen.press_and_read(rules, "Data protection")
    rules = await chen.press_and_read(rules, "Child privacy")
    assert "✓ Child privacy" in [text for text, _ in rules.buttons]
    chen.send("Blurred the pupils' faces in the fair's photos.")
    rules = await chen.next_message()
    assert "Your note: Blurred" in rules.text
    next_data = dict(rules.buttons)["Next"]
    problems = await chen.press_and_read(rules, "Next")
    assert "5/7" in problems.text
    query = chen.press_data(problems, next_data)  # an old button: refused, nothing changes
    assert "no longer valid" in (await chen.callback_answer(query))["text"]
    chen.send("The lab's 3D printer is broken.")
    rating = await chen.next_message()
    assert "6/7" in rating.text and "Technology R&amp;D" in rating.text
    rating = await chen.press_and_read(rating, "4")
    chen.send("3")  # typed works as well
    rating = await chen.next_message()
    files = await chen.press_and_read(rating, "5")
    assert "7/7" in files.text

    chen.send_document("setup.exe", b"MZ" * 100)
    refused = await chen.next_message()
    assert "cannot be attached" in refused.text and "your draft is safe" in refused.text
    chen.send_document("lesson-plan.pdf", b"%PDF-1.7 plan", mime_type="application/pdf")
    added = await chen.next_message()
    assert "File added to your draft (1 so far)" in added.text
    review = await chen.press_and_read(added, "Done (1 file)")
    assert "37.5" in review.text and "&lt;no photos&gt;" in review.text
    assert "Data protection, Child privacy" in review.text and "3D printer" in review.text

    # Another person cannot press the student's buttons.
    query = mentors["university"].press_data(review, review.buttons[0][1])
    assert (await mentors["university"].callback_answer(query))["text"] == (
        "This button is not for you."
    )
    done = await chen.press_and_read(review, "Submit")
    assert "submitted. Thank you!" in done.text and "4 mentors" in done.text

    # Each mentor gets the report and its file, and scores it.
    saved = await _score(mentors["university"], (70, 65, 80), "Good care for the pupils' privacy.")
    assert "Saved" in saved
    feedback = await chen.next_message()
    assert "university mentor Zhang Min (Ningbo University)" in feedback.text
    assert "Technology R&amp;D: 70 (competent)" in feedback.text
    assert "Good care for the pupils" in feedback.text
    saved = await _score(mentors["enterprise"], (75, 70, 80), None)
    assert [m.raw["document"]["file_name"] for m in tg.messages(1101) if m.raw.get("document")] == [
        "lesson-plan.pdf"
    ]
    saved = await _score(mentors["research"], (95, 70, 80), None)
    assert "the university mentor gave 70, 25 points from yours" in saved
    await _score(mentors["overseas_site"], (80, 90, 85), "Great with the kids")
    feedbacks = [await chen.next_message() for _ in range(3)]
    assert "overseas site mentor Somchai Prasert" in feedbacks[-1].text

    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        report = await repos.reports.of_week(student.id, W45)
        assert report is not None and report.status is ReportStatus.SUBMITTED
        assert report.hours == 37.5 and not report.late
        assert [a.name for a in report.attachments] == ["lesson-plan.pdf"]
        scores = await repos.assessments.of_report(report.id)
        assert sorted((a.party_kind.value, a.tech_rd) for a in scores) == [
            ("enterprise", 75),
            ("overseas_site", 80),
            ("research", 95),
            ("university", 70),
        ]
        assert all(a.completed_at is not None for a in scores)


async def test_correction_before_scoring_and_not_after(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    await _mark(database, W44, ReportStatus.MISSING)
    mentors = await _mentors(tg)
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/report")
    assert "1/7" in (await chen.next_message()).text
    chen.send("/cancel")
    cancelled = await chen.next_message()
    assert "Your draft is saved" in cancelled.text
    assert [text for text, _ in cancelled.buttons] == ["Discard the draft"]
    chen.send("Taught two robotics lessons today.")  # no conversation now: not taken
    assert "did not understand" in (await chen.next_message()).text
    review = await _write_report(chen)  # /report continues the same draft
    assert "submitted" in (await chen.press_and_read(review, "Submit")).text
    await mentors["enterprise"].next_message()

    chen.send("/report")
    offer = await chen.next_message()
    assert "You can still correct it" in offer.text
    review = await chen.press_and_read(offer, "Correct it")
    assert "Discard" not in [text for text, _ in review.buttons]  # corrected, not discarded
    query = chen.press_data(review, f"rp:{review.buttons[0][1].split(':')[1]}:dis")
    assert "no longer valid" in (await chen.callback_answer(query))["text"]  # not on it
    query = chen.press(cancelled, "Discard the draft")  # the old button of /cancel
    assert "corrected, not discarded" in (await chen.callback_answer(query))["text"]
    hours = await chen.press_and_read(review, "Edit: hours")
    assert "2/7" in hours.text
    chen.send("41")
    review = await chen.next_message()
    assert "Please check your report" in review.text and "41" in review.text
    # Meanwhile a mentor's Score button finds the report being corrected.
    old_request = tg.messages(1101)[-1]
    mentors["enterprise"].press(old_request, "Score this report")
    assert "correcting this report" in (await mentors["enterprise"].next_message()).text
    done = await chen.press_and_read(review, "Submit the correction")
    assert "corrected report" in done.text
    corrected = await mentors["enterprise"].next_message()
    assert "Chen Jie corrected the weekly report" in corrected.text and "41" in corrected.text

    # The first score closes the report for corrections.
    step = await mentors["enterprise"].press_and_read(corrected, "Score this report")
    await mentors["enterprise"].press_and_read(step, "70")
    chen.send("/report")
    assert "can no longer be changed" in (await chen.next_message()).text


async def test_reminders_follow_the_students_clock(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    # Mon 2 Nov, 01:00 UTC = 08:00 in Bangkok. Chen joins now: last week's reminder (Fri)
    # came before, so it is recorded without a message.
    chen = await started(tg, 2001, "Chen Jie")
    zhang = await started(tg, 1002, "Zhang Min")
    bot.clock.advance(dt.timedelta(hours=1, minutes=1))  # 09:01 in Bangkok
    again = await chen.next_message()
    assert "Reminder: your report for week 2026-W44" in again.text
    assert "Mon, Nov 2, 12:00" in again.text  # the deadline in the student's time
    bot.clock.advance(dt.timedelta(hours=3))  # 12:01: overdue
    late = await chen.next_message()
    assert "is late" in late.text

    await bot.restart()
    bot.clock.advance(dt.timedelta(minutes=5))
    await tg.idle()
    # Fri 6 Nov 17:00 in Bangkok: this week's reminder; nothing repeated after the restart.
    bot.clock.set(dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC))
    friday = await chen.next_message()
    assert "Time for your weekly report for week 2026-W45" in friday.text
    # Sun 8 Nov 17:00 UTC = Mon 9 Nov 00:00 in Bangkok: week 44 is now missing.
    bot.clock.set(dt.datetime(2026, 11, 8, 17, 0, tzinfo=dt.UTC))
    missing = await chen.next_message()
    assert (
        "2026-W44 (Oct 26\u2009–\u2009Nov 1) was not submitted and is recorded as missing"
        in missing.text
    )
    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        report = await repos.reports.of_week(student.id, W44)
        assert report is not None and report.status is ReportStatus.MISSING

    # A late report for week 45 (due Mon 9 Nov 12:00) is still taken, and marked late.
    bot.clock.set(dt.datetime(2026, 11, 9, 6, 0, tzinfo=dt.UTC))
    assert "report for week 2026-W45" in (await chen.next_message()).text
    review = await _write_report(chen)
    assert "2026-W45" in review.text
    done = await chen.press_and_read(review, "Submit")
    assert "(late)" in done.text
    request = await zhang.next_message()
    # Mentors are reminded of reports waiting more than three days, once.
    bot.clock.advance(dt.timedelta(days=3, minutes=2))
    reminder = await zhang.next_message()
    assert "waiting for your scores" in reminder.text
    assert [text for text, _ in reminder.buttons] == ["Score this report"]
    bot.clock.advance(dt.timedelta(days=1))
    await tg.idle()
    assert tg.unread(1002) == [] and request.text
    assert len(tg.unread(2001)) == 0


async def test_saving_one_weeks_scores_leaves_the_other_weeks_scoring_open(
    tg: FakeTelegram, bot: RunningBot, database: Database
) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    for week in ("2026-W44", "2026-W45"):  # last week's first, then this week's
        review = await _write_report(chen)
        assert week in review.text
        assert "submitted" in (await chen.press_and_read(review, "Submit")).text
    w44, w45 = await zhang.next_message(), await zhang.next_message()
    assert "2026-W44" in w44.text and "2026-W45" in w45.text

    # Zhang scores week 44 up to Save, starts week 45, then saves week 44: the bot still
    # waits for week 45's first score, and takes it typed.
    step = await zhang.press_and_read(w44, "Score this report")
    for value in ("70", "60", "80"):
        step = await zhang.press_and_read(step, value)
    confirm = await zhang.press_and_read(step, "No comment")
    assert "Your scores" in confirm.text
    assert "Score 1/3" in (await zhang.press_and_read(w45, "Score this report")).text
    assert "Saved" in (await zhang.press_and_read(confirm, "Save")).text
    zhang.send("75")
    assert "Score 2/3" in (await zhang.next_message()).text

    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        scores = {
            week: sorted(
                (a.party_kind.value, a.tech_rd, a.completed_at is not None)
                for a in await repos.assessments.of_week(student.id, week)
                if a.tech_rd is not None
            )
            for week in (W44, W45)
        }
    assert scores == {W44: [("university", 70, True)], W45: [("university", 75, False)]}


@pytest.mark.parametrize("ending", ["Submit", "Discard"])
async def test_ending_one_draft_leaves_the_correction_of_another_open(
    tg: FakeTelegram, bot: RunningBot, database: Database, ending: str
) -> None:
    await _mark(database, W44, ReportStatus.MISSING)
    chen = await started(tg, 2001, "Chen Jie")
    review = await _write_report(chen)
    assert "submitted" in (await chen.press_and_read(review, "Submit")).text
    chen.send("/report")
    offer = await chen.next_message()
    assert "You can still correct it" in offer.text

    # A week on, Chen writes week 46 up to its review, then takes the offer to correct week
    # 45 and asks to change its hours. Week 46's buttons still work: submitting or
    # discarding it leaves the bot waiting for week 45's hours, which it takes.
    bot.clock.set(dt.datetime(2026, 11, 9, 6, 0, tzinfo=dt.UTC))  # Mon 13:00 in Bangkok
    w46 = await _write_report(chen)
    assert "2026-W46" in w46.text
    correction = await chen.press_and_read(offer, "Correct it")
    assert "2026-W45" in correction.text
    assert "2/7" in (await chen.press_and_read(correction, "Edit: hours")).text
    if ending == "Submit":
        assert "submitted" in (await chen.press_and_read(w46, "Submit")).text
    else:
        confirm = await chen.press_and_read(w46, "Discard")
        assert "discarded" in (await chen.press_and_read(confirm, "Yes, discard")).text
    chen.send("41")
    review = await chen.next_message()
    assert "Please check your report for week 2026-W45" in review.text and "41" in review.text

    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        corrected = await repos.reports.of_week(student.id, W45)
        assert corrected is not None and corrected.hours == 41
