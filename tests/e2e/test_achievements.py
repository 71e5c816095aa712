"""End to end: an achievement of a topic's team with revenue at both sides of the
students' 50% threshold (shares to the cent, with rounding that needs care), a credit
transcript mixing months abroad, enterprise training and research cycles, and the monthly
digest that flags a party weak two months in a row."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import openpyxl

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram, SentMessage
from db.engine import Database
from db.models import (
    Assessment,
    Checkin,
    CheckinState,
    LiaisonRequest,
    PartyKind,
    RequestState,
)
from tests.e2e.conftest import RunningBot, message_with, started
from tests.e2e.test_topics import with_team
from tests.factories import running_topic

NOV2 = dt.date(2026, 11, 2)
MENTORS = {PartyKind.UNIVERSITY: 1002, PartyKind.ENTERPRISE: 1101, PartyKind.RESEARCH: 1201}


def amounts(text: str) -> dict[str, str]:
    """`• NAME (...): 7.5% = 75.00 CNY` lines as {NAME: "75.00 CNY"}."""
    return {
        name: amount
        for name, amount in re.findall(
            r"• (.+?) ?[(（][^)）]*[)）](?:: |：)[\d.]+% = ([\d,.]+ [A-Z]{3})", text
        )
    }


async def test_revenue_split_at_both_sides_of_the_threshold(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await with_team(settings, bot)
    async with database.transaction() as repos:
        # Two cycles will be due by 30 Nov; Chen took part in the first, Mei in none.
        await running_topic(repos, NOV2, [2001, 2002], MENTORS, {0: [2001]})
    li = await started(tg, 1001, "Li Wei", language="zh")
    chen = await started(tg, 2001, "Chen Jie")
    mei = await started(tg, 2002, "Mei Lin")
    liu = await started(tg, 1201, "Liu Yang")
    await started(tg, 1002, "Zhang Min")
    await started(tg, 1101, "Wang Fang")

    chen.send("/achievement 1 invention Soil sensor")
    assert "patent, software, product, paper or standard" in (await chen.next_message()).text
    chen.send("/achievement 1 patent Low-cost soil moisture sensor")
    recorded = await chen.next_message()
    assert 'Achievement #1 patent "Low-cost soil moisture sensor" is recorded.' in recorded.text
    assert "Institute of Educational AI (research institute)" in recorded.text
    assert "Members: Chen Jie, Mei Lin" in recorded.text
    liu.send("/revenue 1 1000 CNY")
    assert "/revenue is only for: coordinator" in (await liu.next_message()).text

    # Mon 16 Nov 13:00 in Shanghai: one cycle due; Chen 1 of 1, Mei 0 of 1: 50%, raised.
    bot.clock.set(dt.datetime(2026, 11, 16, 5, 0, tzinfo=dt.UTC))
    li.send("/revenue 1 1000.005 CNY")
    assert "该币种有 2 位小数" in (await li.next_message()).text  # CNY has two decimals
    li.send("/revenue 1 1000 CNY licence fee")
    split = await li.next_message()
    assert "50%" in split.text
    # Students 15% (7.5% each); the parties' 85% in proportion to 40:30:20, whose exact
    # shares end in thirds and ninths: each part rounded down (377.77, 283.33, 188.88), and
    # the two cents left go to the largest remainders (university .888, research .777).
    assert amounts(split.text) == {
        "Institute of Educational AI": "377.78 CNY",
        "GlobalEd Tech Ltd": "283.33 CNY",
        "Ningbo University": "188.89 CNY",
        "Chen Jie": "75.00 CNY",
        "Mei Lin": "75.00 CNY",
    }
    posted = await message_with(tg, mei.id, "Revenue from #1 patent")
    assert "It reaches 50%, so the students' share is raised to 15%." in posted.text
    assert amounts(posted.text) == amounts(split.text)
    assert "Note: licence fee" in posted.text
    for contact in (1002, 1101, 1201):  # each sharing party's contact
        assert amounts((await message_with(tg, contact, "Revenue from #1")).text)

    # Mon 30 Nov: two cycles due, no report for the second: (1/2 + 0) / 2 = 25%, below.
    bot.clock.set(dt.datetime(2026, 11, 30, 5, 0, tzinfo=dt.UTC))
    li.send("/revenue 1 333.33")  # the consortium's currency (CNY)
    split = await li.next_message()
    assert "25%" in split.text
    # 10%: 5% each. Rounded down: 133.33, 99.99, 66.66, 16.66, 16.66 = 333.30; the three
    # cents left go to the largest remainders: the enterprise (.9 of a cent), then the two
    # students (.65 each) before the university (.6).
    assert amounts(split.text) == {
        "Institute of Educational AI": "133.33 CNY",
        "GlobalEd Tech Ltd": "100.00 CNY",
        "Ningbo University": "66.66 CNY",
        "Chen Jie": "16.67 CNY",
        "Mei Lin": "16.67 CNY",
    }

    def second() -> SentMessage | None:
        posts = [m for m in tg.messages(mei.id) if "Revenue from #1" in m.text]
        return posts[1] if len(posts) > 1 else None

    below = await tg.wait_for(second)
    assert "It is below 50%, so the students' share stays 10%." in below.text

    async with database.transaction() as repos:
        revenues = await repos.achievements.revenues(1)
        assert [(r.amount_minor, r.currency, r.raised) for r in revenues] == [
            (100000, "CNY", True),
            (33333, "CNY", False),
        ]
        for revenue in revenues:
            assert sum(s.amount_minor for s in revenue.shares) == revenue.amount_minor
        assert revenues[0].participation == "1/2" and revenues[1].participation == "1/4"
    chen.send("/achievements")
    listing = await message_with(tg, chen.id, "Revenue 333.33 CNY")
    assert "Revenue 1,000.00 CNY" in listing.text


async def test_a_credit_transcript_mixes_all_three_sources(
    tg: FakeTelegram, bot: RunningBot, settings: Settings, database: Database
) -> None:
    await with_team(settings, bot)
    async with database.transaction() as repos:
        # Two cycles scored (accepted), the third waits for scores: two research credits.
        # Mei Lin is in the first team but took part in neither cycle.
        await running_topic(repos, NOV2, [2001, 2002], MENTORS, {0: [2001], 1: [2001]})
        await running_topic(repos, NOV2, [2001], MENTORS, {0: [2001]}, scored=False)
    li = await started(tg, 1001, "Li Wei", language="zh")
    wang = await started(tg, 1101, "Wang Fang")
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    # Mon 30 Nov: September and October are the full months abroad so far (4 credits).
    bot.clock.set(dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC))

    zhang.send("/training 2001 8")
    await message_with(tg, zhang.id, "Only the contacts and mentors of an enterprise")
    # The mentors also hear that the unscored report waits for her; her answers come among.
    wang.send("/training 2001 500")
    await message_with(tg, wang.id, "up to 24")
    wang.send("/training 2001 8 2026-12-24")
    await message_with(tg, wang.id, "not come yet")
    wang.send("/training 9999 8")
    await message_with(tg, wang.id, "not a student")
    wang.send("/training 2001 20 2026-11-20 PLC basics")
    first = await message_with(tg, wang.id, "Recorded 20 hours")
    assert "of training at GlobalEd Tech Ltd for Chen Jie on Nov 20, 2026" in first.text
    assert "In all: 20 hours; credits earned: 0." in first.text
    wang.send("/training 2001 22,5")
    await message_with(tg, wang.id, "In all: 42.5 hours; credits earned: 1.")
    notice = await message_with(tg, chen.id, "recorded 22.5 hours of your training")
    assert "42.5 hours; credits earned: 1." in notice.text

    chen.send("/credits")
    mine = await message_with(tg, chen.id, "Credits in all: 7")
    assert "Credits: 4 earned (2 full months abroad), 10 for the whole stay" in mine.text
    assert "Enterprise training: 1 earned (42.5 hours; 2.5 toward the next credit)" in mine.text
    assert "Research topics: 2 earned (2 accepted report cycles)" in mine.text

    li.send("/credits")
    everybody = (await li.next_message()).text
    assert "Chen Jie：共 7（海外 4，培训 1，科研 2）" in everybody
    assert "Mei Lin：已获得 0，计划 0" in everybody  # in a team, no credit yet
    li.send("/transcript 1101")  # a mentor has no transcript
    assert "不是联盟的学生" in (await li.next_message()).text
    li.send("/transcript 2001")
    await li.next_message()  # the caption
    workbook, page = await li.next_message(), await li.next_message()
    _, xlsx = tg.files[workbook.raw["document"]["file_id"]]
    name = workbook.raw["document"]["file_name"]
    assert name.startswith("transcript-2001-2026-11-30") and name.endswith(".xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    sources = [row[0] for row in rows[4:-1]]
    assert sources == ["海外实践", "企业培训", "企业培训", "企业培训", "研究课题", "研究课题"]
    assert rows[-1][0] == "合计" and rows[-1][4] == 7
    credit_column = [row[4] for row in rows[4:-1] if row[4] is not None]
    assert sum(credit_column) == 7  # each source's credits add up to the total
    _, html = tg.files[page.raw["document"]["file_id"]]
    text = html.decode()
    assert '<html lang="zh">' in text and "学分成绩单" in text and "Chen Jie" in text
    assert "PLC basics" in text and "2026-11-02 – 2026-11-15" in text
    assert "<td>7</td>" in text


async def test_the_monthly_digest_flags_a_party_weak_two_months_running(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, database: Database
) -> None:
    from bot.services.consortium_io import import_file
    from tests.conftest import SAMPLE_FILE

    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=clock.now())
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        liu = await repos.people.by_telegram_id(1201)
        parties = {p.key: p for p in await repos.parties.all()}
        assert chen is not None and liu is not None
        # A check-in each month that the research institute missed.
        for day in (dt.date(2026, 10, 5), dt.date(2026, 11, 2)):
            opened = dt.datetime.combine(day, dt.time(2), dt.UTC)
            repos.session.add(
                Checkin(
                    scheduled_for=day,
                    state=CheckinState.CLOSED,
                    opened_at=opened,
                    closes_at=opened + dt.timedelta(days=3),
                    closed_at=opened + dt.timedelta(days=3),
                    summary={
                        "parties": {
                            "nbu": ["Li Wei"],
                            "edtech": ["Wang Fang"],
                            "bkk-school": ["Somchai Prasert"],
                            "ai-lab": [],
                        }
                    },
                )
            )
        # In November: two questions to the institute never acknowledged, one to the
        # university acknowledged in 10 minutes; a report its mentor scored after 5 days.
        nov = dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.UTC)
        for party, acknowledged in (("ai-lab", None), ("ai-lab", None), ("nbu", 10)):
            repos.session.add(
                LiaisonRequest(
                    party_id=parties[party].id,
                    chat_id=-1001234567890,
                    question_message_id=1,
                    question="Can we use the lab on Friday?",
                    state=RequestState.CLOSED,
                    opened_at=nov,
                    delivered_at=nov,
                    acknowledged_at=(
                        nov + dt.timedelta(minutes=acknowledged) if acknowledged else None
                    ),
                    closed_at=nov + dt.timedelta(days=1),
                )
            )
        repos.session.add(
            Assessment(
                student_id=chen.id,
                week=dt.date(2026, 11, 9),
                party_kind=PartyKind.RESEARCH,
                mentor_id=liu.id,
                tech_rd=70,
                cross_cultural=70,
                rule_adaptation=70,
                requested_at=nov,
                completed_at=nov + dt.timedelta(days=5),
            )
        )
    # The bot starts on 2 Nov: October, its first month, is recorded without being sent.
    bot = RunningBot(settings, clock)
    await bot.start()
    try:
        li = await started(tg, 1001, "Li Wei", language="zh")
        october = {}
        for _ in range(100):  # the first tick runs as the bot starts
            async with database.transaction() as repos:
                october = await repos.digests.of_month(dt.date(2026, 10, 1))
            if october:
                break
            await asyncio.sleep(0.1)
        assert october[parties["ai-lab"].id].below == ["checkin_attendance"]
        assert october[parties["nbu"].id].below == []
        assert tg.messages(li.id)[1:] == []

        # 1 Dec 09:00 in Shanghai: November's digest, the institute flagged.
        clock.set(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC))
        digest = await li.next_message()  # one message: the summary, then each party
        summary, *sections = digest.text.split("\n\n")
        assert summary == (
            "<b>月度简报，2026年11月：4 个合作方。已标记：Institute of Educational AI。</b>"
        )
        flagged = sections[0]  # the flagged party first
        assert flagged.startswith("<b>Institute of Educational AI</b>\n⚠")
        assert "例会出席：1 次例会中 0%（阈值 50%） ✗" in flagged
        assert "2 个问题的中位时间 从未，2 个从未确认" in flagged
        assert "按时评分的报告：1 份中 0%（阈值 70%） ✗" in flagged
        assert len(sections) == 4
        assert not any("⚠" in m or "✗" in m for m in sections[1:])
        university = next(m for m in sections if "Ningbo University" in m)
        assert "1 个问题的中位时间 10分钟" in university
        clock.advance(dt.timedelta(minutes=5))
        await tg.idle()
        assert tg.unread(li.id) == []  # sent once

        # On demand, the same; a wrong month is refused.
        li.send("/digest 2026-11")
        assert (await li.next_message()).text == digest.text
        li.send("/digest 2027-02")
        assert "还未到" in (await li.next_message()).text
        async with database.transaction() as repos:
            november = await repos.digests.of_month(dt.date(2026, 11, 1))
            assert november[parties["ai-lab"].id].flagged
            assert not november[parties["nbu"].id].flagged
    finally:
        await bot.stop()
