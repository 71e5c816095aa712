"""Downloads (coordinators): the XLSX workbook and CSV archive of /export, and a student's
credit transcript (XLSX or printable HTML) of /transcript, built by the same services and
renderers as the commands."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.domain.time import first_zone, local_today
from bot.renderers.credits import transcript_html, transcript_xlsx
from bot.renderers.export import workbook as export_workbook
from bot.services import analytics, export
from bot.services import credits as credit_service
from bot.web.api.base import Answer, ApiRequest, BadInput, FileAnswer, Refused, view
from db.models import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("export-xlsx", "export-csv", "transcript-xlsx", "transcript-html")


async def listing(request: ApiRequest) -> Answer:
    """What can be downloaded here."""
    return Answer({"files": list(KINDS)})


async def _export(request: ApiRequest, kind: str) -> Answer:
    found = await analytics.cohort(request.repos, request.now, request.default_tz)
    sheets = await export.every_table(request.ctx, found)
    stamp = local_today(request.now, request.caller.timezone).isoformat()
    if kind == "export-xlsx":
        content = await asyncio.to_thread(export_workbook, sheets, request.t)
        return Answer(file=FileAnswer(f"synergy-{stamp}.xlsx", content, XLSX))
    content = await asyncio.to_thread(export.csv_zip, sheets)
    return Answer(file=FileAnswer(f"synergy-{stamp}-csv.zip", content, "application/zip"))


async def _transcript(request: ApiRequest, kind: str) -> Answer:
    student_id = request.query_int("id")
    student = await request.repos.people.by_telegram_id(student_id) if student_id else None
    roles = (
        {m.role for m in await request.repos.memberships.of_person(student.id)}
        if student
        else set()
    )
    if student is None or Role.STUDENT not in roles:
        raise Refused
    found = await credit_service.of_student(request.repos, student, request.now, request.default_tz)
    consortium = await request.repos.consortium.get()
    issued = local_today(request.now, first_zone(consortium, default=request.default_tz))
    stem = f"transcript-{student.telegram_id}-{issued.isoformat()}"
    if kind == "transcript-xlsx":
        content = await asyncio.to_thread(transcript_xlsx, found, request.t, issued)
        return Answer(file=FileAnswer(f"{stem}.xlsx", content, XLSX))
    name = consortium.name if consortium else ""
    html = await asyncio.to_thread(
        transcript_html, found, request.t, issued, name, request.caller.language
    )
    return Answer(file=FileAnswer(f"{stem}.html", html, "text/html"))


async def download(request: ApiRequest) -> Answer:
    """?what=export-xlsx|export-csv|transcript-xlsx|transcript-html[&id=STUDENT]."""
    what = request.http.query.get("what", "")
    if what not in KINDS:
        raise BadInput(request.t.gettext("This address is not valid."))
    if what.startswith("export"):
        return await _export(request, what)
    return await _transcript(request, what)


def build_routes() -> list[web.RouteDef]:
    return [view("downloads", listing), view("downloads", download, path="file")]
