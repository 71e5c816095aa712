"""Coordinators: /invite."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain.invites import parse_invite_args
from bot.renderers.admin import render_invite, render_invite_problem, render_unknown_party
from bot.services.people import create_invite
from handlers.base import Reply, Request, command


async def invite(request: Request) -> Reply:
    """/invite PARTY ROLE [COUNT] [DAYSd]: a deep link that joins a party in a role."""
    settings = request.context.services.settings
    parsed = parse_invite_args(request.args, settings.invite_days)
    if isinstance(parsed, tuple):
        parties = list(await request.repos.parties.all())
        return Reply.of(render_invite_problem(*parsed, parties, request.t))
    created = await create_invite(request.repos, parsed, request.caller.person, request.now)
    if created is None:
        parties = list(await request.repos.parties.all())
        return Reply.of(render_unknown_party(parsed.party_key, parties, request.t))
    username = request.context.bot.username
    return Reply.of(render_invite(created, username, request.caller.timezone, request.t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("invite", invite)]
