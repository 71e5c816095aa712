"""End to end: mandatory participation. A research mentor who scored none of the weeks
asked of them is reminded, then their institute's contact is told, then the coordinators,
each once and a delay apart, on a controllable clock; the institute is flagged in /cohort
and in the digest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_file
from db.engine import Database
from db.models import Assessment, PartyKind
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, message_with, started
from tests.factories import submitted_report

RULES = (
    "participation: {required: [research, overseas_site], mentor_share: 50, "
    "counted_after: 7d, min_weeks: 2, escalate_after: 3d}\n"
)
CONTACT = "  - {telegram_id: 1202, name: Zhao Lei, party: ai-lab, roles: [contact]}\n"
WEEKS = [dt.date(2026, 9, 28), dt.date(2026, 10, 5), dt.date(2026, 10, 12)]


async def _weeks_asked(database: Database) -> None:
    """Three weeks of Chen Jie's reports: the university mentor scored each, the research
    mentor none."""
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        zhang = await repos.people.by_telegram_id(1002)
        liu = await repos.people.by_telegram_id(1201)
        assert chen and zhang and liu
        for week in WEEKS:
            asked = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(2), dt.UTC)
            report = await repos.reports.add(submitted_report(chen.id, week, asked))
            for kind, mentor, done in (
                (PartyKind.UNIVERSITY, zhang, True),
                (PartyKind.RESEARCH, liu, False),
            ):
                scores = dict.fromkeys(("tech_rd", "cross_cultural", "rule_adaptation"), 70)
                await repos.assessments.add(
                    Assessment(
                        student_id=chen.id,
                        week=week,
                        party_kind=kind,
                        report_id=report.id,
                        mentor_id=mentor.id,
                        requested_at=asked,
                        reminded_at=asked + dt.timedelta(days=3),  # long ago
                        completed_at=asked + dt.timedelta(days=1) if done else None,
                        **(scores if done else {}),
                    )
                )


async def test_a_mentor_below_the_share_then_the_contact_then_the_coordinators(
    tg: FakeTelegram, bot: RunningBot, database: Database, settings: Settings, clock: ManualClock
) -> None:
    liu = await started(tg, 1201, "Liu Yang")
    zhao = await started(tg, 1202, "Zhao Lei")
    li = await started(tg, 1001, "Li Wei", language="zh")
    zhang = await started(tg, 1002, "Zhang Min")
    text = SAMPLE_FILE.read_text(encoding="utf-8").replace("chats:\n", CONTACT + "chats:\n")
    await import_file(settings, text + RULES, now=clock.now())
    await _weeks_asked(database)

    # The next sweep (once a minute): the mentor is reminded, no one else.
    clock.advance(dt.timedelta(minutes=2))
    reminder = await liu.next_message()
    assert reminder.text == (
        "You have scored 0 of the 3 weekly reports you were asked to score (0%); the "
        "consortium asks every mentor to score at least 50%. Please score the reports "
        "waiting for you."
    )
    clock.advance(dt.timedelta(days=1))
    await tg.idle()
    assert tg.unread(zhao.id) == [] and tg.unread(li.id) == [] and tg.unread(liu.id) == []

    # Three days after: their institute's contact (the university mentor, above the share,
    # is told nothing).
    clock.advance(dt.timedelta(days=2, minutes=2))
    told = await zhao.next_message()
    assert told.text == (
        "Mentor Liu Yang (Institute of Educational AI) has scored 0 of 3 weekly reports (0%), "
        "below the least share of 50%, and was reminded. Please make sure your party's "
        "mentor scores them."
    )
    await tg.idle()
    assert tg.unread(li.id) == [] and tg.unread(liu.id) == []

    # Three days after that: the coordinators, in their language; then nothing more.
    clock.advance(dt.timedelta(days=3, minutes=2))
    told = await li.next_message()
    assert told.text.startswith(
        "导师 Liu Yang（Institute of Educational AI）在 3 份周报中只评了 0 份（0%），"
        "低于最低比例 50%，已提醒该导师。"
    )
    for _ in range(2):
        clock.advance(dt.timedelta(days=3, minutes=2))
        await tg.idle()
    assert tg.unread(li.id) == [] and tg.unread(zhao.id) == [] and tg.unread(liu.id) == []
    assert tg.unread(zhang.id) == []

    # The institute is flagged in /cohort and in the digest.
    flag = "评分周数比例低于最低要求（50%）的导师：Liu Yang 3 周中评了 0 周（0%）"
    li.send("/cohort")
    cohort = await li.next_message()
    assert f"<b>Institute of Educational AI</b> ⚠ {flag}" in cohort.text
    li.send("/digest 2026-10")
    digest = await message_with(tg, li.id, "月度简报")  # after the charts of /cohort
    summary, *sections = digest.text.split("\n\n")
    assert "Institute of Educational AI" in summary
    assert sections[0].startswith("<b>Institute of Educational AI</b>")
    assert flag in sections[0]
    assert not any(flag in section for section in sections[1:])
    async with database.transaction() as repos:
        liu_person = await repos.people.by_telegram_id(1201)
        assert liu_person is not None
        alert = await repos.participation.alert_of(liu_person.id)
        assert alert is not None and (alert.step, alert.scored, alert.due) == ("coordinators", 0, 3)

    # /export lists the mentor below the share.
    li.send("/export")
    archive = await _last_file(tg, li.id, "-csv.zip")
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        below = list(csv.DictReader(io.StringIO(files.read("mentors_below_share.csv").decode())))
    assert [(r["mentor"], r["party"], r["weeks_scored"], r["weeks_asked"]) for r in below] == [
        ("Liu Yang", "Institute of Educational AI", "0", "3")
    ]


async def _last_file(tg: FakeTelegram, chat_id: int, suffix: str) -> bytes:
    """The contents of the file named `...suffix` the bot sends to this chat."""

    def sent() -> str | None:
        for message in tg.messages(chat_id):
            document = message.raw.get("document") or {}
            if str(document.get("file_name", "")).endswith(suffix):
                return str(document["file_id"])
        return None

    file_id: str = await tg.wait_for(sent)
    return tg.files[file_id][1]
