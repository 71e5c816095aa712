"""Capability tracking and credits: /progress, /cohort, /credits, /training, /transcript,
/export and the coordinators' /digest."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.digest import month_of, previous_month
from bot.domain.reports import InputProblem
from bot.domain.time import first_zone, local_today
from bot.i18n import dates
from bot.outbox.reports import ReportOutbox
from bot.renderers import esc, plural
from bot.renderers.analytics import render_cohort, render_pick_student, render_progress
from bot.renderers.charts import model_chart, party_chart, progress_chart
from bot.renderers.credits import (
    render_everybody,
    render_student_credits,
    render_training_added,
    render_training_day_full,
    render_training_refusal,
    transcript_html,
    transcript_xlsx,
)
from bot.renderers.dashboard import with_open
from bot.renderers.digest import render_digest
from bot.renderers.export import workbook as export_workbook
from bot.renderers.reports import render_problem
from bot.services import analytics, export
from bot.services import credits as credit_service
from bot.services import digest as digest_service
from bot.telegram import callbacks
from db.models import Person, Role
from handlers.base import Reply, Request, button, command


async def progress(request: Request) -> Reply:
    """/progress [TELEGRAM_ID]: a student's own; mentors their students; coordinators any."""
    t = request.t
    if request.caller.person is None or not request.caller.is_member:
        return Reply(alert=t.gettext("This button is not for you."))
    visible = await analytics.visible_students(
        request.repos, request.caller.person, request.caller.roles
    )
    if request.args:
        wanted = numbers.telegram_id(request.args[0])
        person = await request.repos.people.by_telegram_id(wanted) if wanted else None
        allowed = person is not None and (visible is None or person in visible)
        if not allowed or person is None:
            return Reply(text=t.gettext("You can see the progress of your own students only."))
        return await _progress_of(request, person)
    if visible is not None and len(visible) == 1:
        return await _progress_of(request, visible[0])
    candidates = visible
    if candidates is None:
        infos = await analytics.students(request.repos, request.ctx.default_tz)
        candidates = [info.person for info in infos.values()]
    if not candidates:
        return Reply(text=t.gettext("No student is placed abroad yet."))
    return Reply.of(render_pick_student(candidates, t))


async def progress_button(request: Request) -> Reply:
    """A student chosen from /progress's list (pressed in a group: the answer goes private)."""
    request.args = [request.args[0]]
    reply = await progress(request)
    reply.private = True
    return reply


async def _progress_of(request: Request, student: Person) -> Reply:
    found = await analytics.progress(request.repos, student.id, request.now, request.ctx.default_tz)
    if found is None:
        return Reply(text=request.t.gettext("No placement abroad is recorded for this student."))
    reply = Reply(text=render_progress(found, request.t))
    if not found.joint.empty:
        name = student.name or str(student.telegram_id)
        reply.photos.append(await asyncio.to_thread(progress_chart, found.joint, name, request.t))
    return reply


async def cohort(request: Request) -> Reply:
    """/cohort: the whole cohort per party, site and collaboration model, with charts."""
    found = await analytics.cohort(request.repos, request.now, request.ctx.default_tz)
    url = request.context.services.settings.webapp_url
    reply = Reply(text=render_cohort(found, request.t), keyboard=with_open(None, url, request.t))
    if not found.by_model.empty:
        reply.photos.append(await asyncio.to_thread(model_chart, found.by_model, request.t))
    if not found.by_party.empty:
        reply.photos.append(await asyncio.to_thread(party_chart, found.by_party, request.t))
    return reply


SHOWN = 50  # students listed by /credits; /transcript and /export have everyone


async def credits(request: Request) -> Reply:
    """/credits: a student's own, by source; a coordinator's, everybody's."""
    person = request.caller.person
    assert person is not None
    zone = request.ctx.default_tz
    if Role.COORDINATOR not in request.caller.roles:  # what it shows, not who may ask
        found = await credit_service.of_student(request.repos, person, request.now, zone)
        return Reply(text=render_student_credits(found, request.t))
    everybody = await credit_service.students_with_credits(request.repos, zone)
    shown = await credit_service.of_students(request.repos, everybody[:SHOWN], request.now, zone)
    return Reply(text=render_everybody(shown, len(everybody), request.t))


async def training(request: Request) -> Reply:
    """/training STUDENT_ID HOURS [YYYY-MM-DD] [NOTE]: an enterprise records training hours."""
    t, person = request.t, request.caller.person
    assert person is not None
    args = request.args
    student_id = numbers.telegram_id(args[0]) if len(args) >= 2 else None
    if student_id is None:
        return Reply(text=render_training_refusal("usage", t))
    today = await request.ctx.today()
    rest = args[2:]
    try:
        minutes = credit_service.parse_training_hours(args[1])
        day = today
        if rest and rest[0][:1].isascii() and rest[0][:1].isdigit():
            day, rest = credit_service.parse_training_day(rest[0], today), rest[1:]
        student = await request.repos.people.by_telegram_id(student_id)
        added = await credit_service.add_training(
            request.repos, person, student, minutes, day, " ".join(rest) or None, request.now
        )
    except InputProblem as problem:
        return Reply(text=render_problem(problem, t))
    hours = Decimal(minutes) / 60
    if added.reason == "day_full":
        return Reply(text=render_training_day_full(added, hours, day, t))
    if added.reason != "added" or added.student is None:
        return Reply(text=render_training_refusal(added.reason, t))
    outbox = ReportOutbox(request.context.services, request.repos, request.now)
    await outbox.training(added, hours)
    return Reply(text=render_training_added(added, hours, t), drain=True)


async def transcript(request: Request) -> Reply:
    """/transcript STUDENT_ID: the student's credit transcript, XLSX and HTML."""
    t = request.t
    student_id = numbers.telegram_id(request.args[0]) if request.args else None
    if student_id is None:
        return Reply(text=t.gettext("Send /transcript STUDENT_ID (the student's Telegram id)."))
    student = await request.repos.people.by_telegram_id(student_id)
    roles = (
        {m.role for m in await request.repos.memberships.of_person(student.id)}
        if student
        else set()
    )
    if student is None or Role.STUDENT not in roles:
        return Reply(text=render_training_refusal("not_student", t))
    found = await credit_service.of_student(
        request.repos, student, request.now, request.ctx.default_tz
    )
    consortium = await request.repos.consortium.get()
    issued = local_today(request.now, first_zone(consortium, default=request.ctx.default_tz))
    name = consortium.name if consortium else ""
    xlsx, html = await asyncio.gather(
        asyncio.to_thread(transcript_xlsx, found, t, issued),
        asyncio.to_thread(transcript_html, found, t, issued, name, request.caller.language),
    )
    stem = f"transcript-{student.telegram_id}-{issued.isoformat()}"
    text = t.ngettext(
        "The credit transcript of {name}: {total} credit.",
        "The credit transcript of {name}: {total} credits.",
        plural(found.total),
    ).format(name=esc(student.name or student.telegram_id), total=f"{found.total:g}")
    return Reply(text=text, files=[(f"{stem}.xlsx", xlsx), (f"{stem}.html", html)])


async def digest_command(request: Request) -> Reply:
    """/digest [YYYY-MM]: each party's month (the month before this one by default)."""
    t = request.t
    zone = await request.ctx.zone()
    today = local_today(request.now, zone)
    month = previous_month(month_of(today))
    if request.args:
        try:
            month = dt.date.fromisoformat(request.args[0][:7] + "-01")
        except ValueError:
            return Reply(text=t.gettext("Send /digest or /digest YYYY-MM, e.g. /digest 2026-11."))
        if month > month_of(today):
            return Reply(text=render_problem(InputProblem("date_future"), t))
    found = await digest_service.build(request.repos, month, zone, request.now)
    first, *more = render_digest(found, t)
    reply = Reply(text=first)
    reply.after.extend(_send_later(request, text) for text in more)
    return reply


def _send_later(request: Request, text: str) -> Callable[[], Awaitable[None]]:
    async def send() -> None:
        await request.context.bot.send_message(
            request.chat_id, text, parse_mode=ParseMode.HTML, disable_web_page_preview=True
        )

    return send


async def export_command(request: Request) -> Reply:
    """/export: XLSX workbook and CSV files of reports, scores and aggregates."""
    found = await analytics.cohort(request.repos, request.now, request.ctx.default_tz)
    sheets = await export.every_table(request.ctx, found)
    workbook, archive = await asyncio.gather(
        asyncio.to_thread(export_workbook, sheets, request.t),
        asyncio.to_thread(export.csv_zip, sheets),
    )
    stamp = request.now.strftime("%Y-%m-%d")
    text = request.t.gettext(
        "The export of {date}: reports, scores and aggregates, as a workbook and as CSV files."
    ).format(date=dates.day(request.now.date(), request.t))
    return Reply(
        text=text,
        files=[(f"synergy-{stamp}.xlsx", workbook), (f"synergy-{stamp}-csv.zip", archive)],
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("progress", progress),
        command("cohort", cohort),
        command("credits", credits),
        command("training", training),
        command("transcript", transcript),
        command("digest", digest_command),
        command("export", export_command),
        button(callbacks.Action.PROGRESS, progress_button),
    ]
