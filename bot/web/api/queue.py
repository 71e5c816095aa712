"""Reports to score (mentors): the queue, the longest-waiting first; a report with its
files and the assessment manual in force (as the chat's scoring steps show it); and
scoring in the page with the chat's rules and effects: the same service
(`bot.services.scoring.WEEKLY`), the student told through the outbox in the same
transaction, a disagreement with another party flagged, and a second Save changing nothing.

An assessment that is not the caller's, or is gone, is the same 403."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date, format_datetime
from telegram.error import TelegramError

from bot.context import BotApplication
from bot.domain.capability import DIMS
from bot.domain.manual import Manual
from bot.domain.reports import DIMENSIONS, MAX_COMMENT, InputProblem, parse_score
from bot.i18n import Translator
from bot.outbox.reports import ReportOutbox
from bot.renderers.manual import manual_text, version_line
from bot.renderers.reports import render_problem
from bot.services import reports as report_service
from bot.services import scoring
from bot.services.scoring import WEEKLY
from bot.web.api.base import (
    JSON,
    Answer,
    ApiRequest,
    BadInput,
    FileAnswer,
    Refused,
    services_of,
    view,
)
from db.models import Assessment, WeeklyReport

log = logging.getLogger(__name__)
MAX_FILE = 20 * 1024 * 1024  # what a bot may download (getFile)


async def queue(request: ApiRequest) -> Answer:
    """The reports waiting for the caller's scores."""
    language = request.caller.language
    rows = await request.repos.dashboard.queue_of(request.person.id)
    return Answer(
        {
            "reports": [
                {
                    "assessment": assessment.id,
                    "student": {"id": student.telegram_id, "name": student.name or ""},
                    "week": report.week.isoformat(),
                    "label": format_date(report.week, "medium", locale=language),
                    "kind": assessment.party_kind.value,
                    "waiting_since": format_datetime(
                        assessment.requested_at or report.submitted_at or request.now,
                        "medium",
                        tzinfo=ZoneInfo(request.caller.timezone),
                        locale=language,
                    ),
                    "late": bool(report.late),
                }
                for assessment, report, student in rows
            ]
        }
    )


async def _mine(request: ApiRequest, assessment_id: int | None) -> scoring.WeeklyScoring:
    if assessment_id is None:
        raise Refused
    found = await WEEKLY.open_assessment(request.ctx, request.person, assessment_id)
    if found.reason in {"not_yours", "gone"}:
        raise Refused
    return found


def _report_json(report: WeeklyReport, request: ApiRequest) -> JSON:
    return {
        "week": report.week.isoformat(),
        "label": format_date(report.week, "medium", locale=request.caller.language),
        "activities": report.activities or "",
        "hours": report.hours,
        "episode": report.episode or "",
        "problems": report.problems or "",
        "compliance_note": report.compliance_note or "",
        "self": {d: getattr(report, f"self_{d}") for d in DIMS},
        "late": bool(report.late),
    }


def _manual_json(manual: Manual, t: Translator) -> JSON:
    """The manual in force in the reader's language, as the chat shows it while scoring
    (`bot.renderers.manual`): its version line, each level's bounds and name, and per
    dimension one descriptor per level, lowest first. Plain text: the page sets it as text."""
    return {
        "version": manual.version,
        "title": version_line(manual, t),
        "levels": [
            {
                "low": level.low,
                "high": level.high,
                "bounds": bounds,
                "name": manual_text(level.name, t),
            }
            for bounds, level in zip(manual.bounds(), manual.levels, strict=True)
        ],
        "descriptors": {d: [manual_text(text, t) for text in manual.descriptors[d]] for d in DIMS},
    }


def _scores(assessment: Assessment) -> JSON:
    return {d: getattr(assessment, d) for d in DIMS}


async def report(request: ApiRequest) -> Answer:
    """One report to score (?assessment=ID): its texts, files, the scores so far and the
    manual in force (the one a Save now scores under)."""
    found = await _mine(request, request.query_int("assessment"))
    assert found.assessment is not None and found.report is not None
    assert found.subject is not None
    files = await request.repos.dashboard.attachments(found.report.id)
    return Answer(
        {
            "assessment": found.assessment.id,
            "state": found.reason,  # ok, done, correcting
            "student": {"id": found.subject.telegram_id, "name": found.subject.name or ""},
            "report": _report_json(found.report, request),
            "scores": _scores(found.assessment),
            "comment": found.assessment.comment or "",
            "manual": _manual_json(found.manual, request.t),
            "files": [
                {"id": f.id, "name": f.name or f.kind, "kind": f.kind, "size": f.size}
                for f in files
            ],
        }
    )


def _parse(request: ApiRequest, body: JSON) -> tuple[dict[str, int], str]:
    t = request.t
    given: Any = body.get("scores")
    if not isinstance(given, dict):
        raise BadInput(t.gettext("Each score is a whole number from 0 to 100."))
    values = {}
    for dim in DIMENSIONS:
        raw = given.get(dim.value)
        try:
            values[dim.value] = parse_score(str(raw) if raw is not None else "")
        except InputProblem as problem:
            raise BadInput(render_problem(problem, t)) from None
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise BadInput(t.gettext("This address is not valid."))
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(render_problem(InputProblem("too_long", MAX_COMMENT), t))
    return values, comment


async def score(request: ApiRequest) -> Answer:
    """POST {assessment, scores: {dimension: 0-100}, comment}: save as Save does in chat."""
    body = await request.body()
    assessment_id = body.get("assessment")
    found = await _mine(request, assessment_id if isinstance(assessment_id, int) else None)
    if found.reason == "done":
        return Answer({"state": "already"})
    if found.reason == "correcting":
        return Answer({"state": "correcting"})
    assessment, weekly, student = found.assessment, found.report, found.subject
    assert assessment is not None and weekly is not None and student is not None
    values, comment = _parse(request, body)
    for dimension, value in values.items():
        scoring.set_score(assessment, dimension, value)
    assessment.comment = comment
    others = await WEEKLY.complete(request.ctx, request.person, found)
    outbox = ReportOutbox(services_of(request.http), request.repos, request.now)
    await outbox.feedback(assessment, weekly, student, request.person, found.manual)
    request.drain = True
    threshold = (await report_service.rules(request.repos)).model.disagreement
    flagged = [
        {"dimension": d, "kind": other.party_kind.value, "theirs": getattr(other, d)}
        for other in others
        for d in DIMS
        if getattr(other, d) is not None and abs(values[d] - getattr(other, d)) > threshold
    ]
    return Answer({"state": "saved", "disagreements": flagged})


async def file(request: ApiRequest) -> Answer:
    """A file of a report to score (?assessment=ID&file=ID), fetched from Telegram."""
    found = await _mine(request, request.query_int("assessment"))
    assert found.report is not None
    wanted = request.query_int("file")
    attachment = next(
        (a for a in await request.repos.dashboard.attachments(found.report.id) if a.id == wanted),
        None,
    )
    if attachment is None:
        raise Refused
    file_id, name = attachment.file_id, attachment.name or f"{attachment.kind}-{attachment.id}"
    is_photo = attachment.kind == "photo"

    async def fetch(application: BotApplication) -> FileAnswer | None:
        try:
            telegram_file = await application.bot.get_file(file_id)
            content = bytes(await telegram_file.download_as_bytearray())
        except TelegramError:
            log.warning("a report's file could not be fetched from Telegram", exc_info=True)
            return None
        kind = "image/jpeg" if is_photo else "application/octet-stream"
        return FileAnswer(name if not is_photo else f"{name}.jpg", content[:MAX_FILE], kind)

    return Answer(fetch=fetch)


def build_routes() -> list[web.RouteDef]:
    return [
        view("queue", queue),
        view("queue", report, path="report"),
        view("queue", file, path="file"),
        view("queue", score, method="POST", path="score"),
    ]
