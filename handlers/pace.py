"""Training pace: /plan [STUDENT], a student's programme with its gaps marked."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.renderers.pace import (
    render_no_student,
    render_plan,
    render_plan_refusal,
    render_plan_usage,
)
from bot.services import pace
from bot.services.analytics import visible_students
from db.models import Role
from handlers.base import Reply, Request, command


async def plan_command(request: Request) -> Reply:
    """/plan: students their own; mentors the students they score; coordinators anyone's."""
    t, person, roles = request.t, request.caller.person, request.caller.roles
    assert person is not None
    if not request.args:
        if Role.STUDENT not in roles:
            return Reply(text=render_plan_usage(t))
        return Reply(text=render_plan(await pace.plan(request.ctx, person), t))
    telegram_id = numbers.telegram_id(request.args[0])
    student = await request.repos.people.by_telegram_id(telegram_id) if telegram_id else None
    if student is None:
        return Reply(text=render_no_student(t))
    visible = await visible_students(request.repos, person, roles)
    if visible is not None and student.id not in {p.id for p in visible}:
        return Reply(text=render_plan_refusal(t))
    return Reply(text=render_plan(await pace.plan(request.ctx, student), t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("plan", plan_command)]
