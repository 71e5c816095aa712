"""Course modules: /courses, /course (new module, new session) and the session buttons
(open the attendance sheet, mark an attendee, confirm one's own attendance)."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain.courses import MAX_SESSION, CourseInputError
from bot.domain.time import parse_duration
from bot.renderers.courses import (
    render_confirmed,
    render_course_added,
    render_course_problem,
    render_course_usage,
    render_courses,
    render_refusal,
    render_session_added,
    render_sheet,
)
from bot.services import courses
from bot.telegram.callbacks import Action, SessionOp, attendee_of_op
from handlers.base import Reply, Request, button, command


async def courses_command(request: Request) -> Reply:
    """/courses: the caller's modules, next sessions and attendance to mark or confirm."""
    person = request.caller.person
    assert person is not None
    view = await courses.courses_of(request.ctx, person, request.caller.roles)
    return Reply.of(render_courses(view, request.t))


def _start(date: str, time: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise CourseInputError("bad_start", f"{date} {time}") from None


def _length(text: str) -> str:
    try:
        if parse_duration(text) > MAX_SESSION:
            raise ValueError(text)
    except ValueError:
        raise CourseInputError("bad_length", text) from None
    return text


async def course_command(request: Request) -> Reply:
    """/course new KEY LEAD TITLE | 标题, or /course session KEY DATE TIME LENGTH [WHERE]."""
    t, args, person = request.t, request.args, request.caller.person
    assert person is not None
    sub = args[0].lower() if args else ""
    try:
        if sub == "new" and len(args) >= 4:
            added = await courses.add_course(
                request.ctx, person, args[1], args[2], " ".join(args[3:])
            )
            if isinstance(added, str):
                return Reply(text=render_refusal(added, t))
            return Reply(text=render_course_added(courses.title(added, t.language), added.key, t))
        if sub == "session" and len(args) >= 5:
            start, length = _start(args[2], args[3]), _length(args[4])
            where = " ".join(args[5:]) or None
            view = await courses.add_session(request.ctx, person, args[1], start, length, where)
            if isinstance(view, str):
                return Reply(text=render_refusal(view, t))
            zone = await courses.person_zone(request.ctx, person)
            return Reply(text=render_session_added(view, zone, t))
    except CourseInputError as problem:
        return Reply(text=render_course_problem(problem, t))
    return Reply(text=render_course_usage(t))


async def session_button(request: Request) -> Reply:
    """cs:<session>:<op>: the sheet, a mark on it, or an attendee's own confirmation."""
    t, person = request.t, request.caller.person
    assert person is not None
    session_id, op = int(request.args[0]), request.args[1]
    if op == SessionOp.CONFIRM:
        confirmed = await courses.confirm(request.ctx, session_id, person)
        if isinstance(confirmed, str):
            return Reply(alert=render_refusal(confirmed, t)[:190])
        return Reply(alert=render_confirmed(confirmed, t)[:190])
    attendee = attendee_of_op(op)
    if op != SessionOp.SHEET and attendee is None:
        return Reply(alert=t.gettext("This button is no longer valid."))
    sheet = await courses.sheet(request.ctx, session_id, person, toggle=attendee)
    if isinstance(sheet, str):
        return Reply(alert=render_refusal(sheet, t)[:190])
    zone = await courses.person_zone(request.ctx, person)
    return Reply.of(render_sheet(sheet, zone, t), edit=attendee is not None)


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("courses", courses_command),
        command("course", course_command),
        button(Action.SESSION, session_button),
    ]
