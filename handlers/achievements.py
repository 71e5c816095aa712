"""Achievements and revenue: /achievement, /achievements and /revenue."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.reports import InputProblem
from bot.outbox.achievements import AchievementOutbox
from bot.renderers.achievements import (
    render_achievement_usage,
    render_achievements,
    render_recorded,
    render_refusal,
    render_revenue_usage,
    render_split,
)
from bot.renderers.dashboard import with_open
from bot.renderers.reports import render_problem
from bot.services import achievements, rules
from handlers.base import Reply, Request, command


async def achievement_command(request: Request) -> Reply:
    """/achievement TOPIC|- KIND TITLE."""
    t, person = request.t, request.caller.person
    assert person is not None
    args = request.args
    topic_id = None if len(args) < 3 or args[0] == "-" else numbers.row_id(args[0])
    if len(args) < 3 or (args[0] != "-" and topic_id is None):
        return Reply(text=render_achievement_usage(t))
    try:
        kind = achievements.parse_kind(args[1])
        recorded = await achievements.record(
            request.repos,
            person,
            set(request.caller.roles),
            topic_id,
            kind,
            " ".join(args[2:]),
            request.now,
        )
    except InputProblem as problem:
        return Reply(text=render_problem(problem, t))
    if recorded.achievement is None:
        return Reply(text=render_refusal(recorded.reason, t))
    view = await achievements.view(request.repos, recorded.achievement)
    return Reply(text=render_recorded(view, t))


async def achievements_command(request: Request) -> Reply:
    person = request.caller.person
    assert person is not None
    views = await achievements.visible_to(request.repos, person, set(request.caller.roles))
    url = request.context.services.settings.webapp_url  # personal: answered in private
    return Reply(
        text=render_achievements(views, request.t),
        keyboard=with_open(None, url, request.t, view="topics"),
    )


async def revenue_command(request: Request) -> Reply:
    """/revenue ACHIEVEMENT AMOUNT [CURRENCY] [NOTE]: record it, split it, post the split."""
    t, person = request.t, request.caller.person
    assert person is not None
    args = request.args
    achievement_id = numbers.row_id(args[0]) if len(args) >= 2 else None
    if achievement_id is None:
        return Reply(text=render_revenue_usage(t))
    rest = args[2:]
    currency = None
    if rest and len(rest[0]) == 3 and rest[0].isalpha():
        currency, rest = rest[0], rest[1:]
    note = " ".join(rest) or None
    zone = await request.ctx.zone()
    try:
        added = await achievements.add_revenue(
            request.repos,
            person,
            achievement_id,
            args[1],
            currency,
            note,
            request.now,
            zone,
        )
    except InputProblem as problem:
        return Reply(text=render_problem(problem, t))
    if added.reason != "added":
        return Reply(text=render_refusal(added.reason, t))
    raised_at = (await rules.achievements(request.repos)).raised_at
    await AchievementOutbox(request.context.services, request.repos, request.now).split(
        added, raised_at, skip=person
    )
    return Reply(text=render_split(added, raised_at, t), drain=True)


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("achievement", achievement_command),
        command("achievements", achievements_command),
        command("revenue", revenue_command),
    ]
