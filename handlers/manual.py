"""/manual: the consortium's assessment manual in force (or an earlier version), for
anyone in the consortium: what each level of each dimension means."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.renderers.manual import render_manual, render_no_version
from bot.services import manual
from handlers.base import Reply, Request, command


async def manual_command(request: Request) -> Reply:
    """/manual [VERSION]: the manual in force, or the version asked for."""
    if not request.args:
        return Reply(text=render_manual(await manual.in_force(request.repos), request.t))
    version = numbers.row_id(request.args[0])
    found = await manual.version(request.repos, version) if version is not None else None
    if found is None:
        return Reply(text=render_no_version(request.args[0], request.t))
    return Reply(text=render_manual(found, request.t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("manual", manual_command)]
