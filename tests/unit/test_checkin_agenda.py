"""What a check-in's agenda counts of the weekly reports: the weeks due in the last four
weeks (in each student's zone), the reports submitted for them and how many late, and the
mentors' scores still waiting. The agenda reads these through the check-in's repository."""

from __future__ import annotations

import datetime as dt

from bot.services.checkin import ReportStats, recent_reports
from bot.services.context import ServiceContext
from db.models import Assessment, PartyKind, Placement, ReportStatus
from db.repositories import Repos
from tests.factories import add_party, add_person, submitted_report

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)  # a Friday
MONDAY = dt.date(2026, 10, 5)


def week(n: int) -> dt.date:
    return MONDAY + dt.timedelta(weeks=n)


async def test_agenda_counts_the_weeks_due_in_the_last_four_weeks(repos: Repos) -> None:
    site = await add_party(repos, "site", PartyKind.ENTERPRISE, timezone="Europe/Berlin")
    joined = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    chen = await add_person(repos, 2001, "Chen Jie", consented_at=joined)
    liu = await add_person(repos, 2002, "Liu Yang", consented_at=joined)  # no placement
    await repos.placements.add(
        Placement(
            student_id=chen.id, site_id=site.id, start_date=week(0), end_date=dt.date(2026, 12, 31)
        )
    )
    # The default calendar's deadline is the next Monday at 12:00 (Berlin, the site's zone):
    # the weeks of 19 Oct, 26 Oct, 2 Nov and 9 Nov fall due after 23 Oct (four weeks ago)
    # and before now; 12 Oct's fell due before, 16 Nov's is still to come.
    before = await repos.reports.add(submitted_report(chen.id, week(1), NOW))
    late = await repos.reports.add(submitted_report(chen.id, week(2), NOW))
    late.late = True
    await repos.reports.add(submitted_report(chen.id, week(4), NOW))
    draft = await repos.reports.add(submitted_report(chen.id, week(5), NOW))
    draft.status, draft.submitted_at = ReportStatus.DRAFT, None
    await repos.reports.add(submitted_report(liu.id, week(4), NOW))
    waiting = (
        (before, PartyKind.ENTERPRISE, True),
        (late, PartyKind.ENTERPRISE, False),
        (late, PartyKind.UNIVERSITY, False),
    )
    for report, kind, done in waiting:
        await repos.assessments.add(
            Assessment(
                student_id=chen.id,
                week=report.week,
                party_kind=kind,
                report_id=report.id,
                source="bot",
                requested_at=NOW,
                completed_at=NOW if done else None,
                **({"tech_rd": 70, "cross_cultural": 70, "rule_adaptation": 70} if done else {}),
            )
        )
    await repos.flush()

    stats = await recent_reports(ServiceContext(repos, NOW, "UTC"))

    assert stats == ReportStats(expected=4, submitted=2, late=1, waiting=2)


async def test_agenda_counts_nothing_without_placements(repos: Repos) -> None:
    assert await recent_reports(ServiceContext(repos, NOW, "UTC")) == ReportStats(0, 0, 0, 0)
