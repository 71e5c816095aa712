"""A person's own things: /help, /whoami, /lang, /mydata and /forget."""

from __future__ import annotations

import json
from functools import partial

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain.access import visible_commands
from bot.renderers.profile import (
    LANGUAGE_NAMES,
    render_forget_cancelled,
    render_forget_confirm,
    render_forgotten,
    render_forgotten_notice,
    render_help,
    render_language_choice,
    render_language_set,
    render_language_usage,
    render_mydata_caption,
    render_not_yours,
    render_stale_button,
    render_whoami,
)
from bot.services.people import forget_person, personal_data, set_language
from bot.telegram import callbacks
from bot.telegram.menus import set_person_menu
from db.models import Role
from handlers.base import Reply, Request, button, command


async def help_(request: Request) -> Reply:
    """/help: the commands this person may use here."""
    chat = request.update.effective_chat
    chat_type = chat.type if chat else "private"
    commands = visible_commands(request.caller.roles, chat_type, request.caller.is_member)
    return Reply.of(render_help(commands, request.t))


async def whoami(request: Request) -> Reply:
    """/whoami: parties, roles, language and time zone."""
    return Reply.of(render_whoami(request.caller, request.t))


async def lang(request: Request) -> Reply:
    """/lang [en|zh]: show the choice, or switch."""
    if not request.args:
        return Reply.of(render_language_choice(request.t))
    code = request.args[0].lower()
    if len(request.args) > 1 or code not in LANGUAGE_NAMES:
        return Reply.of(render_language_usage(request.t))
    return await _switch_language(request, code, edit=False)


async def lang_button(request: Request) -> Reply:
    """A press on a language button."""
    if not request.caller.is_member:
        return Reply(alert=render_not_yours(request.t))
    return await _switch_language(request, request.args[0], edit=True)


async def _switch_language(request: Request, code: str, *, edit: bool) -> Reply:
    person = request.caller.person
    if person is None or code not in LANGUAGE_NAMES:
        return Reply(alert=render_stale_button(request.t))
    await set_language(request.repos, person, code)
    t = request.context.services.translations.for_language(code)
    caller = request.caller
    menu = partial(set_person_menu, request.context.bot, caller.telegram_id, caller.roles, True, t)
    return Reply.of(render_language_set(t), edit=edit, after=[menu])


async def mydata(request: Request) -> Reply:
    """/mydata: everything stored about the person, as a JSON file."""
    person = request.caller.person
    assert person is not None  # members only
    data = await personal_data(request.repos, person)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Reply(text=render_mydata_caption(request.t), document=("mydata.json", content))


async def forget(request: Request) -> Reply:
    """/forget: ask for confirmation before erasing."""
    return Reply.of(render_forget_confirm(request.caller.telegram_id, request.t))


async def forget_button(request: Request) -> Reply:
    """The confirmation of /forget; only the person it was asked of may press it."""
    target, answer = request.args
    person = request.caller.person
    if str(request.caller.telegram_id) != target:
        return Reply(alert=render_not_yours(request.t))
    if person is None:
        return Reply(alert=render_stale_button(request.t))
    if answer != callbacks.Answer.YES:
        return Reply.of(render_forget_cancelled(request.t), edit=True)
    name = person.name or str(person.telegram_id)
    coordinators = [
        c
        for c in await request.repos.memberships.people_with_role(Role.COORDINATOR)
        if c.id != person.id and c.can_message
    ]
    await forget_person(request.repos, person)
    notices = [partial(_tell, request, c.telegram_id, c.language, name) for c in coordinators]
    menu = partial(
        set_person_menu, request.context.bot, request.caller.telegram_id, (), False, request.t
    )
    return Reply.of(render_forgotten(request.t), edit=True, after=[*notices, menu])


async def _tell(request: Request, telegram_id: int, language: str | None, name: str) -> None:
    t = request.context.services.translations.for_language(language)
    await request.context.bot.send_message(
        telegram_id, render_forgotten_notice(name, t).text, parse_mode="HTML"
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("help", help_),
        command("whoami", whoami),
        command("lang", lang),
        command("mydata", mydata),
        command("forget", forget),
        button(callbacks.Action.LANGUAGE, lang_button),
        button(callbacks.Action.FORGET, forget_button),
    ]
