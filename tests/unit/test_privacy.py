"""Personal data of weekly reports: /mydata holds it, /forget anonymises a student whose
scores feed the cohort's figures, and old report texts are erased after the retention."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.config import Settings
from bot.services.analytics import load_scores
from bot.services.consortium_io import import_file
from bot.services.people import ERASED_VOTER, erase_report_texts, forget_person, personal_data
from db.engine import Database
from db.models import (
    Assessment,
    Checkin,
    CheckinPoll,
    CheckinState,
    CheckinVote,
    PartyKind,
    ReportAttachment,
    ReportStatus,
    WeeklyReport,
)
from tests.conftest import SAMPLE_FILE
from tests.factories import submitted_report

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
W44, W45 = dt.date(2026, 10, 26), dt.date(2026, 11, 2)


async def _chen_with_a_scored_report(db_url: str, database: Database) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=NOW)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        zhang = await repos.people.by_telegram_id(1002)
        assert chen is not None and zhang is not None
        chen.consented_at = NOW
        report = await repos.reports.add(
            submitted_report(
                chen.id,
                W44,
                NOW,
                activities="Taught robotics at the school in Bangkok",
                hours=38.0,
                episode="A parent's request about photos",
                compliance=["child_privacy"],
                self_tech_rd=4,
                self_rule_adaptation=5,
            )
        )
        await repos.reports.add_attachment(
            ReportAttachment(
                report_id=report.id,
                kind="document",
                file_id="F1",
                file_unique_id="U1",
                name="plan.pdf",
                size=10,
                added_at=NOW,
            )
        )
        await repos.reports.add(
            WeeklyReport(
                student_id=chen.id,
                week=W45,
                status=ReportStatus.DRAFT,
                week_chosen=True,
                activities="half written",
                attachments_done=False,
            )
        )
        await repos.assessments.add(
            Assessment(
                student_id=chen.id,
                week=W44,
                party_kind=PartyKind.UNIVERSITY,
                report_id=report.id,
                mentor_id=zhang.id,
                tech_rd=70,
                cross_cultural=65,
                rule_adaptation=80,
                comment="Chen did well",
                source="bot",
                requested_at=NOW,
                completed_at=NOW,
            )
        )


async def test_mydata_holds_reports_and_scores(db_url: str, database: Database) -> None:
    await _chen_with_a_scored_report(db_url, database)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        zhang = await repos.people.by_telegram_id(1002)
        assert chen is not None and zhang is not None
        data = await personal_data(repos, chen)
        given = await personal_data(repos, zhang)
    first = data["weekly_reports"][0]
    assert first["activities"].startswith("Taught robotics") and first["files"] == ["plan.pdf"]
    assert data["weekly_reports"][1]["status"] == "draft"
    assert data["scores_received"][0]["tech_rd"] == 70
    assert data["scores_received"][0]["comment"] == "Chen did well"
    assert given["scores_given"][0]["party_kind"] == "university"


async def test_forget_anonymises_a_scored_student(db_url: str, database: Database) -> None:
    await _chen_with_a_scored_report(db_url, database)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        chen_id = chen.id
        assert await forget_person(repos, chen)
    async with database.transaction() as repos:
        assert await repos.people.by_telegram_id(2001) is None
        anonymous = await repos.people.by_id(chen_id)
        assert anonymous is not None and anonymous.telegram_id < 0
        assert anonymous.name is None and anonymous.consented_at is None
        assert await repos.memberships.of_person(chen_id) == []
        reports = await repos.reports.of_student(chen_id)
        assert [r.week for r in reports] == [W44]  # the draft is gone
        kept = await repos.reports.get(reports[0].id)
        assert kept is not None and kept.activities is None and kept.episode is None
        assert kept.attachments == [] and kept.hours == 38.0 and kept.self_tech_rd == 4
        (score,) = await repos.assessments.of_week(chen_id, W44)
        assert score.comment is None and score.tech_rd == 70
        assert len(await repos.placements.of_student(chen_id)) == 1  # for per-site figures
        frame = await load_scores(repos)
        assert frame["tech_rd"].tolist() == [70.0]


async def test_forget_takes_the_name_out_of_checkin_votes(db_url: str, database: Database) -> None:
    """A closed check-in keeps that the party answered, not who; a vote kept for a poll not
    known yet goes; /mydata lists the person's votes before."""
    await _chen_with_a_scored_report(db_url, database)
    async with database.transaction() as repos:
        checkin = Checkin(
            state=CheckinState.CLOSED,
            opened_at=NOW,
            closes_at=NOW,
            closed_at=NOW,
            summary={"parties": {"nbu": ["Chen Jie", "Zhang Min"], "edtech": []}},
        )
        repos.session.add(checkin)
        await repos.session.flush()
        poll = CheckinPoll(checkin_id=checkin.id, chat_id=-100, poll_id="P1")
        repos.session.add(poll)
        await repos.session.flush()
        for user, name in ((2001, "Chen Jie"), (1002, "Zhang Min")):
            repos.session.add(
                CheckinVote(
                    poll_id=poll.id, telegram_user_id=user, name=name, option_ids=[0], at=NOW
                )
            )
        await repos.checkins.keep_early_answer("P2", 2001, "Chen Jie", [1], NOW)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        data = await personal_data(repos, chen)
        assert data["checkin_votes"] == [
            {"checkin": checkin.id, "options": [0], "at": NOW.isoformat()}
        ]
        await forget_person(repos, chen)
    async with database.transaction() as repos:
        kept = await repos.checkins.get(checkin.id)
        assert kept is not None and kept.summary is not None
        assert kept.summary["parties"] == {"nbu": [ERASED_VOTER, "Zhang Min"], "edtech": []}
        votes = sorted(await repos.checkins.votes(checkin.id), key=lambda v: v.name)
        assert [(v.name, v.telegram_user_id > 0) for v in votes] == [
            ("Zhang Min", True),
            (ERASED_VOTER, False),
        ]
        assert await repos.checkins.take_early_answers(["P2"]) == []


async def test_forget_erases_someone_without_scores(db_url: str, database: Database) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=NOW)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        assert not await forget_person(repos, chen)
    async with database.transaction() as repos:
        assert await repos.people.by_telegram_id(2001) is None
        assert await repos.placements.all() == []


async def test_retention_erases_old_texts_once(db_url: str, database: Database) -> None:
    await _chen_with_a_scored_report(db_url, database)
    async with database.transaction() as repos:
        assert await erase_report_texts(repos, WeeklyReport.week < W45) == 1
    async with database.transaction() as repos:
        assert await erase_report_texts(repos, WeeklyReport.week < W45) == 0
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        old = await repos.reports.of_week(chen.id, W44)
        new = await repos.reports.of_week(chen.id, W45)
        assert old is not None and old.activities is None and old.attachments == []
        assert new is not None and new.activities == "half written"


async def test_practice_data_in_mydata_and_a_revenue_share_forgotten(
    db_url: str, database: Database
) -> None:
    from decimal import Decimal

    from bot.services import achievements
    from db.models import AchievementKind, Role, TrainingRecord
    from tests.factories import running_topic

    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=NOW)
    mentors = {PartyKind.UNIVERSITY: 1002, PartyKind.ENTERPRISE: 1101, PartyKind.RESEARCH: 1201}
    later = NOW + dt.timedelta(days=20)
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        edtech = await repos.parties.by_key("edtech")
        assert chen is not None and edtech is not None
        topic = await running_topic(repos, W45, [2001], mentors, {0: [2001]})
        await repos.training.add(
            TrainingRecord(
                student_id=chen.id,
                party_id=edtech.id,
                day=W45,
                minutes=450,
                note="PLC basics",
                recorded_at=NOW,
            )
        )
        recorded = await achievements.record(
            repos, chen, {Role.STUDENT}, topic.id, AchievementKind.PAPER, "Soil sensors", later
        )
        assert recorded.achievement is not None
        added = await achievements.add_revenue(
            repos, chen, recorded.achievement.id, "100", "CNY", None, later, "Asia/Shanghai"
        )
        assert added.reason == "added" and added.split is not None
        assert added.split.amounts[f"s{chen.id}"] == Decimal("15.00")  # 1 of 1 cycle: raised
        data = await personal_data(repos, chen)
        assert data["topic_applications"][0]["state"] == "accepted"
        assert data["training"] == [
            {"party": edtech.id, "day": "2026-11-02", "hours": 7.5, "note": "PLC basics"}
        ]
        assert data["revenue_shares"] == [
            {"achievement": 1, "percent": "15", "amount_minor_units": 1500, "currency": "CNY"}
        ]
        await forget_person(repos, chen)
    async with database.transaction() as repos:
        (revenue,) = await repos.achievements.revenues(1)
        names = [share.name for share in revenue.shares]
        assert "Chen Jie" not in names and ERASED_VOTER in names
        assert sum(share.amount_minor for share in revenue.shares) == 10000  # still adds up


async def test_mydata_and_forget_cover_what_a_person_wrote_into_shared_work(
    db_url: str, database: Database
) -> None:
    """Action items, topics, needs, team reports and score comments: /mydata lists them;
    /forget erases the words and the author, and keeps the rows the others need."""
    from bot.services.people import ERASED_TEXT
    from db.models import (
        ActionItem,
        Topic,
        TopicAssessment,
        TopicNeed,
        TopicReport,
        TrainingRecord,
    )
    from tests.factories import running_topic

    await _chen_with_a_scored_report(db_url, database)  # Chen will be anonymised
    mentors = {PartyKind.UNIVERSITY: 1002, PartyKind.ENTERPRISE: 1101, PartyKind.RESEARCH: 1201}
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        zhang = await repos.people.by_telegram_id(1002)
        edtech = await repos.parties.by_key("edtech")
        assert chen is not None and zhang is not None and edtech is not None
        topic = await running_topic(repos, W45, [2001], mentors, {0: [2001]})
        (report,) = (await repos.session.scalars(select(TopicReport))).all()
        report.author_id = chen.id
        for scored in await repos.session.scalars(select(TopicAssessment)):
            scored.comment = f"Comment of mentor {scored.mentor_id}"
        checkin = Checkin(state=CheckinState.CLOSED, opened_at=NOW, closes_at=NOW, closed_at=NOW)
        repos.session.add(checkin)
        await repos.session.flush()
        repos.session.add_all(
            [
                ActionItem(checkin_id=checkin.id, text="Zhang books the lab", author_id=zhang.id),
                Topic(party_id=topic.party_id, author_id=zhang.id, title="Half an idea"),
                TopicNeed(
                    topic_id=topic.id,
                    party_id=edtech.id,
                    person_id=zhang.id,
                    text="Sensors",
                    at=NOW,
                ),
                TrainingRecord(
                    student_id=chen.id,
                    party_id=edtech.id,
                    day=W45,
                    minutes=60,
                    note="Late again",
                    recorded_at=NOW,
                ),
            ]
        )
        await repos.session.flush()
        data = await personal_data(repos, zhang)
        assert [a["text"] for a in data["action_items"]] == ["Zhang books the lab"]
        assert [t["title"] for t in data["topics_written"]] == ["Half an idea"]
        assert [n["text"] for n in data["topic_needs"]] == ["Sensors"]
        assert data["topic_scores_given"][0]["comment"] == f"Comment of mentor {zhang.id}"
        zhang_id = zhang.id
        assert not await forget_person(repos, zhang)
        assert await forget_person(repos, chen)
    async with database.transaction() as repos:
        (item,) = (await repos.session.scalars(select(ActionItem))).all()
        assert item.text == ERASED_TEXT and item.author_id is None
        topics = (await repos.session.scalars(select(Topic))).all()
        assert [t.title for t in topics] == ["Smart irrigation for school gardens"]  # draft gone
        (need,) = (await repos.session.scalars(select(TopicNeed))).all()
        assert need.text == "Sensors" and need.person_id is None  # the party's need stays
        (report,) = (await repos.session.scalars(select(TopicReport))).all()
        assert report.progress is None and report.plans is None and report.author_id is None
        comments = {
            a.party_kind: a.comment for a in await repos.session.scalars(select(TopicAssessment))
        }
        assert comments[PartyKind.UNIVERSITY] is None  # Zhang's
        assert comments[PartyKind.ENTERPRISE] is not None
        notes = [r.note for r in await repos.session.scalars(select(TrainingRecord))]
        assert notes == [None]
        assert await repos.people.by_id(zhang_id) is None
