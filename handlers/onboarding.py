"""Joining: /start with an invite, strangers, and people blocking or unblocking the bot."""

from __future__ import annotations

from functools import partial

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain.invites import TOKEN_RE, InviteState
from bot.renderers.access import render_stranger
from bot.renderers.profile import render_join, render_welcome_back
from bot.services.people import JoinResult, join_with_invite, load_caller, record_private_start
from bot.telegram.menus import set_person_menu
from handlers import documents, reports, survey, topics
from handlers.base import (
    MyChatMemberHandler,
    Reply,
    Request,
    command,
    deliver,
    first_time,
    in_transaction,
)


async def start(request: Request) -> Reply | None:
    """/start [TOKEN]: join with an invite, or say hello."""
    if not request.in_private:
        return None
    token = request.args[0] if request.args else None
    if token is None:
        return await _greet(request)
    if not TOKEN_RE.match(token):
        return Reply.of(render_join(JoinResult(InviteState.UNKNOWN), request.t))
    result = await join_with_invite(request.repos, token, request.profile(), request.now)
    if result.state is not InviteState.OK:
        return Reply.of(render_join(result, request.t))
    caller = await load_caller(
        request.repos,
        request.caller.telegram_id,
        request.profile().language_code,
        request.ctx.default_tz,
    )
    t = request.context.services.translations.for_language(caller.language)
    bot = request.context.bot
    menu = partial(set_person_menu, bot, caller.telegram_id, caller.roles, True, t)
    return Reply.of(render_join(result, t), after=[menu])


async def _greet(request: Request) -> Reply:
    caller = request.caller
    if not caller.is_member or caller.person is None:
        return Reply.of(render_stranger(request.t))
    record_private_start(caller.person, request.profile(), request.now)
    bot, t = request.context.bot, request.t
    menu = partial(set_person_menu, bot, caller.telegram_id, caller.roles, True, t)
    return Reply.of(render_welcome_back(caller, t), after=[menu])


async def private_text(update: Update, context: BotContext) -> None:
    """Any other private message or unknown command: the next answer in a conversation (a
    report draft, scoring), else strangers learn how to join and members where to start."""
    if await documents.refused(update, context):
        return

    async def run(request: Request) -> Reply:
        if not request.caller.is_member:
            return Reply.of(render_stranger(request.t))
        continued = await continue_conversation(request)
        if continued is not None:
            return continued
        return Reply(
            text=request.t.gettext("I did not understand that. Send /help to see what I can do.")
        )

    await deliver(update, context, await in_transaction(update, context, [], run))


CONVERSATIONS = {**reports.CONVERSATIONS, **topics.CONVERSATIONS, **survey.CONVERSATIONS}


async def continue_conversation(request: Request) -> Reply | None:
    """A private message from someone in a conversation: its next answer (None otherwise)."""
    person = request.caller.person
    message = request.update.effective_message
    if person is None or message is None or (message.text or "").startswith("/"):
        return None
    conversation = request.caller.conversation  # read with the caller
    step = CONVERSATIONS.get(conversation.kind) if conversation else None
    if conversation is None or step is None:
        return None
    return await step(request, person, conversation, message)


async def private_membership(update: Update, context: BotContext) -> None:
    """A person blocked or unblocked the bot in their private chat."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    reachable = status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
    async with context.services.database.transaction() as repos:
        if not await first_time(repos, update, context.services.clock.now()):
            return
        await repos.people.set_can_message(
            change.from_user.id, reachable, None if reachable else "blocked the bot"
        )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("start", start),
        MyChatMemberHandler(private_membership, private=True),
        # Last: any other new private message, unknown commands included.
        MessageHandler(filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, private_text),
    ]
