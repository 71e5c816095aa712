"""End to end: a research topic from its guided writing and publication, through a need,
the coordinator's announcement in the group, students' applications and the institute's
answers, the team's start with three mentors, to the team's first cycle report (written
across a restart) scored by the three mentors, and the reminders of the next cycle."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser
from bot.services.consortium_io import import_file
from db.engine import Database
from db.models import ApplicationState, PartyKind, ReportStatus, TopicState
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, main_group, message_with, started
from tests.factories import running_topic

SUMMARY = (
    "Can low-cost soil sensors and an open dashboard help Bangkok's school gardens use less "
    "water? The team builds the sensors, runs a term-long field test and writes it up."
)


def team_file() -> str:
    """The sample consortium with a research contact, an enterprise contact and a second
    student."""
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    text = text.replace(
        "{telegram_id: 1201, name: Liu Yang, party: ai-lab, roles: [mentor]}",
        "{telegram_id: 1201, name: Liu Yang, party: ai-lab, roles: [contact, mentor]}",
    )
    text = text.replace(
        "{telegram_id: 1101, name: Wang Fang, party: edtech, roles: [mentor]}",
        "{telegram_id: 1101, name: Wang Fang, party: edtech, roles: [contact, mentor]}",
    )
    return text.replace(
        "chats:",
        "  - {telegram_id: 2002, name: Mei Lin, party: nbu, roles: [student]}\nchats:",
    )


async def with_team(settings: Settings, bot: RunningBot) -> None:
    await import_file(settings, team_file(), now=bot.clock.now())


async def publish_topic(liu: FakeUser) -> None:
    """Liu Yang writes and publishes topic #1 (with two bad answers on the way)."""
    liu.send("/topic new")
    assert "New research topic (1/5)" in (await liu.next_message()).text
    liu.send("Smart irrigation")
    assert "2/5" in (await liu.next_message()).text
    liu.send(SUMMARY)
    assert "3/5" in (await liu.next_message()).text
    liu.send("Python, electronics, Thai")
    assert "4/5" in (await liu.next_message()).text
    liu.send("many")
    assert "number from 1 to 20" in (await liu.next_message()).text
    liu.send("2")
    assert "5/5" in (await liu.next_message()).text
    liu.send("2026-13-01")
    assert "YYYY-MM-DD" in (await liu.next_message()).text
    liu.send("2026-10-30")
    assert "That day has passed" in (await liu.next_message()).text
    liu.send("2026-11-20")
    check = await liu.next_message()
    assert "Please check the topic" in check.text and "apply by Nov 20, 2026" in check.text
    again = await liu.press_and_read(check, "Edit the title")  # any part can be asked again
    assert "Send its title" in again.text
    liu.send("Smart irrigation for school gardens")
    check = await liu.next_message()
    assert "<b>Smart irrigation for school gardens</b>" in check.text
    assert "Team of up to 2 students" in check.text  # the rest is kept
    published = await liu.press_and_read(check, "Publish")
    assert "Topic #1 is published" in published.text


async def test_a_topic_from_publication_to_a_scored_team_report(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await with_team(settings, bot)
    li = await started(tg, 1001, "Li Wei", language="zh")
    liu = await started(tg, 1201, "Liu Yang")
    wang = await started(tg, 1101, "Wang Fang")
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    mei = await started(tg, 2002, "Mei Lin")
    group = await main_group(tg, by=li)

    # A mentor without a research contact role cannot publish.
    zhang.send("/topic new")
    assert "Only the contacts of a research institute" in (await zhang.next_message()).text
    await publish_topic(liu)

    # The coordinator (who reads Chinese) is told, and announces it in the linked group.
    notice = await li.next_message()
    assert "Smart irrigation for school gardens" in notice.text
    announced = await li.press_and_read(notice, notice.buttons[0][0])
    assert "#1" in announced.text
    card = await group.next_message()
    assert "New research topic #1" in card.text and "Institute of Educational AI" in card.text
    li.send("/topic announce 1")
    assert "#1" in (await li.next_message()).text  # once only
    assert tg.unread(group.id) == []

    # An enterprise attaches a need; the institute hears of it. A student cannot.
    wang.send("/topic need 1 A field test at our Bangkok partner school in January")
    assert "Your need is attached to topic #1" in (await wang.next_message()).text
    need = await liu.next_message()
    assert "GlobalEd Tech Ltd attached a need to topic #1" in need.text
    chen.send("/topic need 1 I need a laptop")
    assert "Only the contacts of an enterprise" in (await chen.next_message()).text

    # Students apply: from the group's button (answered privately) and by command.
    query = chen.press(card, "Apply")
    assert "Your application for topic #1" in (await chen.callback_answer(query))["text"]
    application = await liu.next_message()
    assert "Chen Jie applies to join the team of topic #1" in application.text
    query = chen.press(card, "Apply")
    assert "already applied" in (await chen.callback_answer(query))["text"]
    query = zhang.press(card, "Apply")
    assert "Only students can apply" in (await zhang.callback_answer(query))["text"]
    mei.send("/topic apply 1")
    assert "is sent to Institute of Educational AI" in (await mei.next_message()).text
    second = await liu.next_message()

    # Only the institute answers; each application once.
    query = zhang.press(application, "Accept")  # in Liu's private chat: only Liu can press
    assert "not for you" in (await zhang.callback_answer(query))["text"]
    accepted = await liu.press_and_read(application, "Accept")
    assert "Chen Jie is in the team of topic #1" in accepted.text
    assert "Welcome to the team of topic #1" in (await chen.next_message()).text
    decline = dict(second.buttons)["Decline"]
    await liu.press_and_read(second, "Accept")
    assert "Welcome" in (await mei.next_message()).text
    query = liu.press_data(second, decline)  # the button gone from the message
    assert "no longer valid" in (await liu.callback_answer(query))["text"]

    # The team starts with one mentor of each kind; a wrong mentor is named.
    liu.send("/topic start 1 1002 2001 1201")
    assert "enterprise 2001 is not a mentor" in (await liu.next_message()).text
    liu.send("/topic start 1 1002 1101 1201")
    assert "has started" in (await liu.next_message()).text
    for person in (chen, mei, zhang, wang, liu):
        start = await person.next_message()
        assert "Topic #1 Smart irrigation for school gardens has started" in start.text
    assert "the first report is due Nov 16, 2026, 12:00" in start.text

    liu.send("/topics")
    listing = await liu.next_message()
    assert "#1 Smart irrigation for school gardens" in listing.text
    assert "running, team of 2" in listing.text

    # Chen writes the team's report; the draft survives a restart.
    chen.send("/topicreport")
    first = await chen.next_message()
    assert "1/3" in first.text and "Nov 2\u2009–\u200915" in first.text
    chen.send("Built it.")
    assert "at least 20 characters" in (await chen.next_message()).text
    chen.send("Built four sensor prototypes and calibrated them against the lab's reference.")
    assert "2/3" in (await chen.next_message()).text
    await bot.restart()
    mei.send("/topicreport")
    assert "Chen Jie is writing this cycle's report" in (await mei.next_message()).text
    chen.send("Install two sensors in the school garden; we need the site's permission.")
    who = await chen.next_message()
    assert "3/3" in who.text
    assert [text for text, _ in who.buttons] == ["✓ Chen Jie", "✓ Mei Lin", "Done"]
    who = await chen.press_and_read(who, "✓ Mei Lin")
    assert [text for text, _ in who.buttons][:2] == ["✓ Chen Jie", "✗ Mei Lin"]
    review = await chen.press_and_read(who, "Done")
    assert "Took part: Chen Jie" in review.text and "four sensor prototypes" in review.text
    done = await chen.press_and_read(review, "Submit")
    assert "is submitted. 3 mentors will score it" in done.text
    assert "Chen Jie submitted the report of topic #1" in (await mei.next_message()).text

    # The three mentors score it as they score weekly reports; the team sees each score.
    for mentor, values in ((zhang, (70, 60, 65)), (wang, (80, 65, 70)), (liu, (90, 70, 75))):
        request = await mentor.next_message()
        assert "Report of topic #1" in request.text and "Took part: Chen Jie" in request.text
        step = await mentor.press_and_read(request, "Score this report")
        assert "Score 1/3" in step.text
        for value in values:
            if str(value) in [text for text, _ in step.buttons]:
                step = await mentor.press_and_read(step, str(value))
            else:
                mentor.send(str(value))
                step = await mentor.next_message()
        step = await mentor.press_and_read(step, "No comment")
        saved = await mentor.press_and_read(step, "Save")
        assert "Saved; the team will see your scores" in saved.text
        for member in (chen, mei):
            feedback = await member.next_message()
            assert "scored the report of topic #1 Smart irrigation for school gardens, cycle 1" in (
                feedback.text
            )
    assert "Technology R&amp;D: 90" in feedback.text
    liu.send("/topic 1")
    card = await liu.next_message()
    # The joint score as for weekly reports: the parties' (equally weighted) mean.
    assert (
        "Cycle 1: Technology R&amp;D 80, Cross-cultural operation 65, International rule "
        "adaptation 70 (3 of 3 mentors)"
    ) in card.text
    assert "Need of GlobalEd Tech Ltd: A field test" in card.text

    async with database.transaction() as repos:
        topic = await repos.topics.get(1)
        assert topic is not None and topic.state is TopicState.RUNNING
        applications = await repos.topics.applications(1)
        assert [a.state for a in applications] == [ApplicationState.ACCEPTED] * 2
        (report,) = await repos.topics.reports(1)
        chen_person = await repos.people.by_telegram_id(2001)
        assert chen_person is not None
        assert report.status is ReportStatus.SUBMITTED and not report.late
        assert report.contributors == [chen_person.id]
        scores = await repos.topics.assessments(report.id)
        assert sorted((a.party_kind.value, a.tech_rd) for a in scores) == [
            ("enterprise", 80),
            ("research", 90),
            ("university", 70),
        ]

    # The next cycle (16 Nov - 29 Nov) is due Mon 30 Nov 12:00 in Shanghai: the team is
    # reminded two days before, and told when it is missing; each message once.
    bot.clock.set(dt.datetime(2026, 11, 28, 4, 1, tzinfo=dt.UTC))
    remind = await mei.next_message()
    assert "Nov 16\u2009–\u200929 is due Nov 30, 2026, 12:00" in remind.text
    bot.clock.set(dt.datetime(2026, 11, 30, 4, 1, tzinfo=dt.UTC))
    missing = await mei.next_message()
    assert "was not submitted and is recorded as missing" in missing.text
    bot.clock.advance(dt.timedelta(minutes=5))
    await tg.idle()
    assert tg.unread(mei.id) == []

    # Only the institute (or a coordinator) closes it; the team is told, and nothing more is due.
    chen.send("/topic close 1")
    assert (
        "Only the publishing party's contacts"
        in (await message_with(tg, chen.id, "can close a topic")).text
    )
    liu.send("/topic close 1")
    assert "is closed; its record stays" in (await message_with(tg, liu.id, "its record")).text
    assert "no more reports are due" in (await mei.next_message()).text
    mei.send("/topicreport")
    assert "not in the team of a running research topic" in (await mei.next_message()).text
    bot.clock.set(dt.datetime(2026, 12, 12, 4, 1, tzinfo=dt.UTC))  # cycle 3's reminder time
    await tg.idle()
    bot.clock.advance(dt.timedelta(minutes=2))
    await tg.idle()
    assert tg.unread(mei.id) == []


async def test_submitting_one_topics_report_leaves_the_other_topics_report_open(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await with_team(settings, bot)
    mentors = {PartyKind.UNIVERSITY: 1002, PartyKind.ENTERPRISE: 1101, PartyKind.RESEARCH: 1201}
    async with database.transaction() as repos:  # Chen in the teams of topics #1 and #2
        for _ in range(2):
            await running_topic(repos, bot.clock.now().date(), [2001], mentors, {})
    chen = await started(tg, 2001, "Chen Jie")
    chen.send("/topicreport")
    choice = await chen.next_message()
    assert [text[:2] for text, _ in choice.buttons] == ["#1", "#2"]

    # Chen writes topic #1's report up to its review, starts topic #2's, then submits #1's:
    # the bot still waits for #2's progress, and takes it.
    chen.send("/topicreport 1")
    assert "1/3" in (await chen.next_message()).text
    chen.send("Built four sensor prototypes and calibrated them against the lab's reference.")
    assert "2/3" in (await chen.next_message()).text
    chen.send("Install two sensors in the school garden; we need the site's permission.")
    review = await chen.press_and_read(await chen.next_message(), "Done")
    chen.send("/topicreport 2")
    assert "1/3" in (await chen.next_message()).text
    assert "is submitted" in (await chen.press_and_read(review, "Submit")).text
    chen.send("Surveyed the garden's soil and chose the places for the sensors.")
    assert "2/3" in (await chen.next_message()).text

    async with database.transaction() as repos:
        (report,) = await repos.topics.reports(2)
        assert report.progress is not None and report.progress.startswith("Surveyed")
