"""Group chats: the bot added or removed, /link and /unlink, group-to-supergroup moves."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import resolve_language
from bot.outbox.checkin import CheckinOutbox
from bot.renderers.admin import (
    render_bot_added,
    render_linked,
    render_unknown_party,
    render_unlinked,
)
from bot.services.chats import (
    ChatInfo,
    LinkOutcome,
    bot_added,
    bot_removed,
    link_chat,
    unlink_chat,
)
from bot.telegram.menus import set_group_member_menu
from handlers.base import (
    MyChatMemberHandler,
    Reply,
    Request,
    command,
    first_time,
    log,
    topic_of,
)

_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


def _chat_info(update: Update) -> ChatInfo:
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    thread_id = topic_of(message) if message is not None else None
    return ChatInfo(chat.id, chat.title, chat.type, thread_id)


async def membership_changed(update: Update, context: BotContext) -> None:
    """The bot was added to a group (say how to link it) or removed (mark it inactive)."""
    change = update.my_chat_member
    assert change is not None
    was = change.old_chat_member.status in _PRESENT
    now = change.new_chat_member.status in _PRESENT
    services = context.services
    async with services.database.transaction() as repos:
        if not await first_time(repos, update, services.clock.now()):
            return
        if now and not was:
            chat = await bot_added(repos, _chat_info(update))
            consortium = await repos.consortium.get()
            language = resolve_language(
                chat.language,
                change.from_user.language_code,
                consortium.language if consortium else None,
            )
        elif was and not now:
            await bot_removed(repos, change.chat.id)
            return
        else:
            return
    t = services.translations.for_language(language)
    try:
        await context.bot.send_message(
            change.chat.id, render_bot_added(t).text, parse_mode=ParseMode.HTML
        )
    except TelegramError:
        log.warning("could not greet a group", exc_info=True)


async def link(request: Request) -> Reply:
    """/link [PARTY]: attach this group to the consortium (optionally to one party)."""
    party_key = request.args[0] if request.args else None
    result = await link_chat(request.repos, _chat_info(request.update), party_key)
    if result.outcome is LinkOutcome.UNKNOWN_PARTY:
        parties = list(await request.repos.parties.all())
        return Reply.of(render_unknown_party(party_key or "", parties, request.t))
    caller = request.caller
    menu = partial(
        set_group_member_menu,
        request.context.bot,
        request.chat_id,
        caller.telegram_id,
        caller.roles,
        request.t,
    )
    return Reply.of(render_linked(result, request.t), after=[menu])


async def unlink(request: Request) -> Reply:
    """/unlink: detach this group."""
    was_linked = await unlink_chat(request.repos, request.chat_id)
    return Reply.of(render_unlinked(was_linked, request.t))


async def migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: it keeps its record under the new id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    services = context.services
    async with services.database.transaction() as repos:
        if not await first_time(repos, update, services.clock.now()):
            return
        upgraded = CheckinOutbox(services, repos, services.clock.now())
        await upgraded.group_upgraded(message.chat_id, message.migrate_to_chat_id)
    context.application.create_task(services.sender.drain(context.application), name="outbox-drain")


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        MyChatMemberHandler(membership_changed, private=False),
        command("link", link),
        command("unlink", unlink),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ]
