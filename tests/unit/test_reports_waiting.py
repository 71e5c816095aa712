"""How many of a student's submitted reports wait for scores (/progress shows it)."""

from __future__ import annotations

import datetime as dt

from db.models import Assessment, PartyKind, Person, ReportStatus
from db.repositories import Repos
from tests.factories import add_person, submitted_report

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
WEEKS = [dt.date(2026, 10, 26) + dt.timedelta(weeks=n) for n in range(4)]


async def _scores(
    repos: Repos, student: Person, report_id: int, week: dt.date, kind: PartyKind, done: bool
) -> None:
    await repos.assessments.add(
        Assessment(
            student_id=student.id,
            week=week,
            party_kind=kind,
            report_id=report_id,
            source="bot",
            requested_at=NOW,
            completed_at=NOW if done else None,
            **({"tech_rd": 70, "cross_cultural": 70, "rule_adaptation": 70} if done else {}),
        )
    )


async def test_reports_waiting_counts_each_submitted_report_with_scores_missing_once(
    repos: Repos,
) -> None:
    chen = await add_person(repos, 2001, "Chen Jie")
    other = await add_person(repos, 2002, "Liu Yang")
    assert await repos.assessments.reports_waiting(chen.id) == 0

    # week 1: both parties still to score (counts once); week 2: one of two still to score;
    # week 3: all scored; week 4: a draft with a request already made (not submitted).
    plan = [
        [(PartyKind.UNIVERSITY, False), (PartyKind.ENTERPRISE, False)],
        [(PartyKind.UNIVERSITY, True), (PartyKind.ENTERPRISE, False)],
        [(PartyKind.UNIVERSITY, True), (PartyKind.ENTERPRISE, True)],
        [(PartyKind.UNIVERSITY, False)],
    ]
    for week, scores in zip(WEEKS, plan, strict=True):
        report = await repos.reports.add(submitted_report(chen.id, week, NOW))
        if week == WEEKS[3]:
            report.status = ReportStatus.DRAFT
        for kind, done in scores:
            await _scores(repos, chen, report.id, week, kind, done)
    theirs = await repos.reports.add(submitted_report(other.id, WEEKS[0], NOW))
    await _scores(repos, other, theirs.id, WEEKS[0], PartyKind.UNIVERSITY, False)
    await repos.session.flush()

    assert await repos.assessments.reports_waiting(chen.id) == 2
    assert await repos.assessments.reports_waiting(other.id) == 1
