"""/dashboard: a button that opens the Mini App (`bot/web/`) in a private chat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.renderers.dashboard import render_dashboard
from handlers.base import Reply, Request, command


async def dashboard(request: Request) -> Reply:
    """/dashboard: the Open button (or why there is none)."""
    return Reply.of(render_dashboard(request.context.services.settings.webapp_url, request.t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [command("dashboard", dashboard)]
