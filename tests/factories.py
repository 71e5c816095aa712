"""Rows that several tests need, complete and valid, with the fields a test cares about
given by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from db.models import (
    ApplicationState,
    Membership,
    Party,
    PartyKind,
    Person,
    ReportStatus,
    Role,
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicMentor,
    TopicReport,
    TopicState,
    WeeklyReport,
)
from db.repositories import Repos
from tests.conftest import SAMPLE_FILE


async def add_party(
    repos: Repos,
    key: str,
    kind: PartyKind = PartyKind.UNIVERSITY,
    name: str | None = None,
    **fields: Any,
) -> Party:
    """A party, saved; named after its key in capitals (`nbu`: NBU) unless given a name."""
    return await repos.parties.add(Party(key=key, name=name or key.upper(), kind=kind, **fields))


async def add_person(repos: Repos, telegram_id: int, name: str, **fields: Any) -> Person:
    """A person the bot knows, saved."""
    return await repos.people.add(Person(telegram_id=telegram_id, name=name, **fields))


async def add_membership(repos: Repos, person: Person, party: Party, role: Role) -> Membership:
    """`person` in `party` in `role`, saved."""
    return await repos.memberships.add(person.id, party.id, role)


def submitted_report(
    student_id: int, week: dt.date, submitted_at: dt.datetime, **fields: Any
) -> WeeklyReport:
    """A weekly report with every part answered, submitted on time."""
    values: dict[str, Any] = {
        "activities": "Robotics club",
        "hours": 30.0,
        "episode": "",
        "compliance": [],
        "problems": "",
        "self_tech_rd": 3,
        "self_cross_cultural": 3,
        "self_rule_adaptation": 3,
        **fields,
    }
    return WeeklyReport(
        student_id=student_id,
        week=week,
        status=ReportStatus.SUBMITTED,
        week_chosen=True,
        attachments_done=True,
        submitted_at=submitted_at,
        late=False,
        **values,
    )


async def running_topic(
    repos: Repos,
    started_on: dt.date,
    team: list[int],
    mentors: dict[PartyKind, int],
    reports: dict[int, list[int]],
    scored: bool = True,
) -> Topic:
    """Topic #1 of the sample's research institute, running since `started_on` with the
    students (Telegram ids) of `team` and the mentors (Telegram ids) of each kind; each
    cycle of `reports` has a submitted report by the members (Telegram ids) listed, scored
    by every mentor when `scored`."""
    ai_lab = await repos.parties.by_key("ai-lab")
    assert ai_lab is not None
    people = await repos.people.by_telegram_ids([*team, *mentors.values()])
    moment = dt.datetime.combine(started_on, dt.time(2), dt.UTC)
    topic = await repos.topics.add(
        Topic(
            party_id=ai_lab.id,
            state=TopicState.RUNNING,
            title="Smart irrigation for school gardens",
            summary="Soil sensors for school gardens.",
            skills="Python",
            team_size=len(team),
            deadline=started_on,
            cycle_days=14,
            published_at=moment,
            started_on=started_on,
        )
    )
    for telegram_id in team:
        await repos.topics.add_application(
            TopicApplication(
                topic_id=topic.id,
                student_id=people[telegram_id].id,
                state=ApplicationState.ACCEPTED,
                applied_at=moment,
                decided_at=moment,
            )
        )
    for kind, telegram_id in mentors.items():
        membership = next(m for m in await repos.memberships.of_person(people[telegram_id].id))
        await repos.topics.set_mentor(
            TopicMentor(
                topic_id=topic.id,
                party_kind=kind,
                person_id=people[telegram_id].id,
                party_id=membership.party_id,
            )
        )
    for number, members in reports.items():
        submitted = moment + dt.timedelta(days=14 * number + 10)
        report = await repos.topics.add_report(
            TopicReport(
                topic_id=topic.id,
                cycle=number,
                status=ReportStatus.SUBMITTED,
                progress="Built and calibrated the sensors.",
                plans="Field test.",
                contributors=[people[m].id for m in members],
                contributors_done=True,
                submitted_at=submitted,
            )
        )
        for kind, telegram_id in mentors.items():
            await repos.topics.add_assessment(
                TopicAssessment(
                    report_id=report.id,
                    party_kind=kind,
                    mentor_id=people[telegram_id].id,
                    tech_rd=70,
                    cross_cultural=70,
                    rule_adaptation=70,
                    comment="",
                    requested_at=submitted,
                    completed_at=submitted + dt.timedelta(hours=5) if scored else None,
                )
            )
    return topic


# Zhao Lei studies in Berlin before leaving for Bangkok in January: a culture-and-policy
# session, then nothing from 16 November until the placement (a seven-week gap).
COURSES = """
  - {telegram_id: 2002, name: Zhao Lei, party: nbu, roles: [student], timezone: Europe/Berlin,
     language: zh}
courses:
  - key: data-security
    title: {en: International Educational Data Security Regulations, zh: 国际教育数据安全法规}
    lead: nbu
    parties: [edtech]
    credits_per_hour: 0.5
    sessions:
      - {start: 2026-11-10 16:00, length: 2h, link: "https://meet.example/ds-1", speaker: 1002}
  - key: culture
    title: {en: Thai culture and education policy, zh: 泰国文化与教育政策}
    lead: nbu
    parties: [bkk-school]
    phase: pre_departure
    sessions:
      - {start: 2026-11-12 15:00, length: 90m, place: Room 101, speaker: 1002,
         attendees: {students: [2002]}}
pace: {session_reminders: [24h, 1h], warn_ahead: 7d, return_weeks: 1}
"""


def consortium_with_courses() -> str:
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    people, _, rest = text.partition("chats:")
    placements = (
        "  - {student: 2002, site: bkk-school, start: 2027-01-04, end: 2027-03-31,\n"
        "     mentors: {university: 1002}}\n"
    )
    courses, _, pace = COURSES.partition("courses:")
    rest = rest.replace("reports:", placements + "reports:", 1)
    return people + courses.lstrip("\n") + "chats:" + rest + "courses:" + pace


# Contacts of the enterprise (two) and of the overseas site, and a module built by the
# university (the lead), the enterprise and the overseas site, whose one session ends on
# Tue 10 Nov 2026 at 03:00 UTC (09:00-11:00 in Ningbo).
REVIEWERS = """
  - {telegram_id: 1102, name: Tan Wei Ming, party: edtech, roles: [contact]}
  - {telegram_id: 1103, name: Ong Mei, party: edtech, roles: [contact]}
  - {telegram_id: 1302, name: Niran Suk, party: bkk-school, roles: [contact], language: zh}
"""
REVIEWED_COURSE = """
courses:
  - key: pm
    title: {en: Cross-cultural Educational Project Management, zh: 跨文化教育项目管理}
    lead: nbu
    parties: [edtech, bkk-school]
    sessions:
      - {start: 2026-11-10 09:00, length: 2h, place: Room 5, speaker: 1002}
"""


def consortium_with_reviewers() -> str:
    people, _, rest = SAMPLE_FILE.read_text(encoding="utf-8").partition("chats:")
    return people + REVIEWERS.lstrip("\n") + "chats:" + rest + REVIEWED_COURSE
