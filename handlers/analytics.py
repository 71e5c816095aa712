"""Capability tracking: /progress, /cohort, /credits and /export."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from telegram import Update
from telegram.ext import BaseHandler

from bot import callbacks
from bot.context import BotContext
from bot.domain.capability import DIMS
from bot.i18n import Translator
from bot.renderers.analytics import (
    render_cohort,
    render_credits,
    render_pick_student,
    render_progress,
)
from bot.renderers.charts import grouped_bars, progress_chart, usable
from bot.renderers.reports import dimension_name
from bot.services import analytics, export
from bot.services.reports import local_today
from db.models import Person, Role
from handlers.base import Reply, Request, button, command


def _zone(request: Request) -> str:
    return request.context.services.settings.default_timezone


def _chart_text(request: Request, render: Callable[[Translator], str]) -> str:
    """A chart's text in the reader's language, or from the English catalog when this
    machine has no font for the reader's script."""
    english = request.context.services.translations.for_language("en")
    return usable(render(request.t), render(english))


def _labels(request: Request) -> dict[str, str]:
    return {d: _chart_text(request, partial(dimension_name, d)) for d in DIMS}


async def _visible_students(request: Request) -> list[Person] | None:
    """The students whose figures the caller may see (None: every student)."""
    caller = request.caller
    if Role.COORDINATOR in caller.roles:
        return None
    assert caller.person is not None
    visible = [caller.person] if Role.STUDENT in caller.roles else []
    if Role.MENTOR in caller.roles:
        for student_id in await request.repos.assessments.mentored_by(caller.person.id):
            person = await request.repos.people.by_id(student_id)
            if person is not None and person not in visible:
                visible.append(person)
    return visible


async def progress(request: Request) -> Reply:
    """/progress [TELEGRAM_ID]: a student's own; mentors their students; coordinators any."""
    t = request.t
    if request.caller.person is None or not request.caller.is_member:
        return Reply(alert=t.gettext("This button is not for you."))
    visible = await _visible_students(request)
    if request.args:
        wanted = request.args[0]
        person = (
            await request.repos.people.by_telegram_id(int(wanted)) if wanted.isdigit() else None
        )
        allowed = person is not None and (visible is None or person in visible)
        if not allowed or person is None:
            return Reply(text=t.gettext("You can see the progress of your own students only."))
        return await _progress_of(request, person)
    if visible is not None and len(visible) == 1:
        return await _progress_of(request, visible[0])
    candidates = visible
    if candidates is None:
        infos = await analytics.students(request.repos, _zone(request))
        candidates = [info.person for info in infos.values()]
    if not candidates:
        return Reply(text=t.gettext("No student is placed abroad yet."))
    return Reply.of(render_pick_student(candidates, t))


async def progress_button(request: Request) -> Reply:
    request.args = [request.args[0]]
    reply = await progress(request)
    return reply


async def _progress_of(request: Request, student: Person) -> Reply:
    found = await analytics.progress(request.repos, student.id, request.now, _zone(request))
    if found is None:
        return Reply(text=request.t.gettext("No placement abroad is recorded for this student."))
    reply = Reply(text=render_progress(found, request.t))
    if not found.joint.empty:
        title = usable(student.name or str(student.telegram_id), str(student.telegram_id))
        joint, labels = found.joint, _labels(request)
        reply.photos.append(await asyncio.to_thread(progress_chart, joint, title, labels))
    return reply


async def cohort(request: Request) -> Reply:
    """/cohort: the whole cohort per party, site and collaboration model, with charts."""
    found = await analytics.cohort(request.repos, request.now, _zone(request))
    reply = Reply(text=render_cohort(found, request.t))
    labels = _labels(request)
    if not found.by_model.empty:
        title = _chart_text(request, lambda t: t.gettext("Improvement per collaboration model"))
        reply.photos.append(
            await asyncio.to_thread(grouped_bars, found.by_model, "model", "points", title, labels)
        )
    if not found.by_party.empty:
        title = _chart_text(request, lambda t: t.gettext("Current level per party"))
        reply.photos.append(
            await asyncio.to_thread(grouped_bars, found.by_party, "party", "current", title, labels)
        )
    return reply


async def credits(request: Request) -> Reply:
    """/credits: a student's own; a coordinator's, everybody's."""
    infos = await analytics.students(request.repos, _zone(request))
    policy = await analytics.rules(request.repos)
    person = request.caller.person
    everybody = Role.COORDINATOR in request.caller.roles
    chosen = [info for info in infos.values() if everybody or info.person == person]
    rows = [
        (
            info.person,
            analytics.credits_of(
                info, local_today(request.now, info.zone), policy.credits_per_month
            ),
        )
        for info in sorted(chosen, key=lambda i: i.person.name or "")
    ]
    return Reply(text=render_credits(rows, everybody, request.t))


async def export_command(request: Request) -> Reply:
    """/export: XLSX workbook and CSV files of reports, scores and aggregates."""
    found = await analytics.cohort(request.repos, request.now, _zone(request))
    reports = list(await request.repos.reports.submitted())
    sheets = export.tables(found, reports, request.now)
    workbook, archive = await asyncio.gather(
        asyncio.to_thread(export.workbook, sheets), asyncio.to_thread(export.csv_zip, sheets)
    )
    stamp = request.now.strftime("%Y-%m-%d")
    text = request.t.gettext(
        "The export of {date}: reports, scores and aggregates, as a workbook and as CSV files."
    ).format(date=stamp)
    return Reply(
        text=text,
        files=[(f"synergy-{stamp}.xlsx", workbook), (f"synergy-{stamp}-csv.zip", archive)],
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("progress", progress),
        command("cohort", cohort),
        command("credits", credits),
        command("export", export_command),
        button(callbacks.Action.PROGRESS, progress_button),
    ]
