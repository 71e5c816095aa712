"""The Student view (the student, their mentors, coordinators): the dimensions over the
weeks with each party's scores and comments, the reports with their state, and credits by
source. The figures are /progress's (`bot.services.analytics.progress`) and /credits'.

Whose page a caller may open is /progress's rule (`analytics.visible_students`); anyone
else's, or no one's, is the same 403."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web
from babel.dates import format_date

from bot import lazy
from bot.domain.capability import DIMS
from bot.services import analytics
from bot.services import credits as credit_service
from bot.services.dashboard import change_json
from bot.web.api.base import JSON, Answer, ApiRequest, Refused, view
from db.models import Person, Role

PICK_LIMIT = 200  # the Cohort view's roster searches the rest

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")


async def _student(request: ApiRequest) -> Person:
    """The student asked for (?id=TELEGRAM_ID, else the caller), if the caller may see them."""
    wanted = request.query_int("id")
    visible = await analytics.visible_students(request.repos, request.person, request.caller.roles)
    if wanted is None or wanted == request.person.telegram_id:
        person: Person | None = request.person
    else:
        person = await request.repos.people.by_telegram_id(wanted)
    if person is None or (visible is not None and person not in visible):
        raise Refused
    return person


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


async def _pick(request: ApiRequest, visible: list[Person] | None) -> Answer:
    """Whom a mentor or coordinator may open (a coordinator finds the rest in the Cohort)."""
    if visible is None:
        infos = await analytics.students(request.repos, request.default_tz)
        visible = [info.person for info in infos.values()]
    people = sorted(visible, key=lambda p: ((p.name or "").casefold(), p.telegram_id))
    return Answer(
        {
            "pick": [
                {"id": p.telegram_id, "name": p.name or str(p.telegram_id)}
                for p in people[:PICK_LIMIT]
            ],
            "total": len(people),
        }
    )


async def page(request: ApiRequest) -> Answer:
    """One student's page; without ?id= a person who is no student picks one."""
    if request.query_int("id") is None and Role.STUDENT not in request.caller.roles:
        visible = await analytics.visible_students(
            request.repos, request.person, request.caller.roles
        )
        return await _pick(request, visible)
    student = await _student(request)
    found = await analytics.progress(request.repos, student.id, request.now, request.default_tz)
    if found is None:  # no placement: the same answer as a student one may not see
        raise Refused
    language = request.caller.language
    dims: JSON = {}
    row: Any
    for row in found.capability.itertuples(index=False):
        dims[str(row.dimension)] = {
            **(change_json(row.baseline, row.current) or {}),
            "weeks": int(row.weeks),
        }
    weeks: dict[str, JSON] = {}
    for row in found.joint.sort_values("week").itertuples(index=False):
        day: dt.date = pd.Timestamp(row.week).date()
        weeks[day.isoformat()] = {
            "week": day.isoformat(),
            "label": format_date(day, "medium", locale=language),
            "joint": {d: _number(getattr(row, d)) for d in DIMS},
            "parties": [],
        }
    for assessment in await request.repos.dashboard.scores_of(student.id):
        key = assessment.week.isoformat()
        entry = weeks.setdefault(
            key,
            {
                "week": key,
                "label": format_date(assessment.week, "medium", locale=language),
                "joint": {},
                "parties": [],
            },
        )
        entry["parties"].append(
            {
                "kind": assessment.party_kind.value,
                "scores": {d: _number(getattr(assessment, d)) for d in DIMS},
                "comment": assessment.comment or "",
            }
        )
    reports = [
        {
            "week": report.week.isoformat(),
            "label": format_date(report.week, "medium", locale=language),
            "status": report.status.value,
            "late": bool(report.late),
        }
        for report in sorted(
            await request.repos.reports.of_student(student.id), key=lambda r: r.week
        )
    ]
    credits = await credit_service.of_student(
        request.repos, student, request.now, request.default_tz
    )
    taking_part = found.participation
    return Answer(
        {
            "student": {
                "id": student.telegram_id,
                "name": student.name or str(student.telegram_id),
            },
            "dims": dims,
            "weeks": [weeks[key] for key in sorted(weeks)],
            "participation": {
                "expected": taking_part.expected,
                "submitted": taking_part.submitted,
                "late": taking_part.late,
            },
            "pending": found.pending,
            "flagged": found.flagged,
            "reports": reports,
            "credits": {
                "overseas": float(credits.overseas),
                "overseas_planned": float(credits.overseas_planned),
                "training": float(credits.training_earned),
                "research": float(credits.research_earned),
                "total": float(credits.total),
            },
        }
    )


def build_routes() -> list[web.RouteDef]:
    return [view("student", page)]
