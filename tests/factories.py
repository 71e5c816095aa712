"""Rows that several tests need, complete and valid, with the fields a test cares about
given by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from db.models import ReportStatus, WeeklyReport


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
