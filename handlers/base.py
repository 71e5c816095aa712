"""The handler boundary: one transaction per update, the permission check, and the reply.

A feature handler receives a `Request` (caller, repositories, translator, arguments) inside
the update's transaction and returns a `Reply`; the reply is sent after the transaction has
committed, so a slow or failing Telegram call never holds a database lock or undoes work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot import callbacks
from bot.context import BotContext
from bot.domain.access import COMMANDS_BY_NAME, CommandSpec
from bot.domain.telegram_text import fit_message
from bot.i18n import Translator
from bot.renderers import Rendered
from bot.renderers.access import (
    render_role_refusal,
    render_stranger,
    render_stranger_in_group,
    render_wrong_chat,
)
from bot.services.people import Caller, TelegramProfile, load_caller
from bot.updates import committed
from db.models import Conversation, Person
from db.repositories import Repos

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class Request:
    """One update, as a feature handler sees it."""

    update: Update
    context: BotContext
    repos: Repos
    caller: Caller
    t: Translator
    now: dt.datetime
    args: list[str]

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        assert chat is not None
        return chat.id

    @property
    def in_private(self) -> bool:
        chat = self.update.effective_chat
        return chat is not None and chat.type == ChatType.PRIVATE

    def profile(self) -> TelegramProfile:
        user = self.update.effective_user
        assert user is not None
        return TelegramProfile(user.id, user.full_name, user.username, user.language_code)


@dataclass
class Reply:
    """What to send back, and what to do once the transaction has committed."""

    text: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    edit: bool = False  # edit the message whose button was pressed, instead of a new one
    alert: str | None = None  # a short answer to a button press
    document: tuple[str, bytes] | None = None
    photos: list[bytes] = field(default_factory=list)  # sent after the text (charts)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # documents after the text
    quote: bool | None = None  # reply as a quote (default: in groups only)
    drain: bool = False  # the transaction wrote to the outbox: deliver it now
    after: list[AfterCommit] = field(default_factory=list)

    @classmethod
    def of(cls, rendered: Rendered, **extra: object) -> Reply:
        return cls(text=rendered.text, keyboard=rendered.keyboard, **extra)  # type: ignore[arg-type]


Feature = Callable[[Request], Awaitable[Reply | None]]
# The next private message of someone in a guided conversation (a draft, scoring): the
# person, their conversation and the message; None lets the message through as any other.
Continuation = Callable[[Request, Person, Conversation, Message], Awaitable[Reply | None]]


async def in_transaction(
    update: Update,
    context: BotContext,
    args: list[str],
    run: Callable[[Request], Awaitable[Reply | None]],
) -> Reply | None:
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    services = context.services

    async def work(repos: Repos) -> Reply | None:
        if not await repos.updates.claim(update.update_id, services.clock.now()):
            log.info("update %s was handled before; skipped", update.update_id)
            return None
        caller = await load_caller(
            repos, user.id, user.language_code, services.settings.default_timezone
        )
        t = services.translations.for_language(caller.language)
        return await run(Request(update, context, repos, caller, t, services.clock.now(), args))

    reply = await services.database.run(work)
    committed()  # a command waiting for this update may read what it wrote
    return reply


def refusal(spec: CommandSpec, request: Request) -> Rendered | None:
    """Why this caller may not use this command here, or None. The only permission check."""
    chat = request.update.effective_chat
    chat_type = chat.type if chat else ChatType.PRIVATE
    if spec.members_only and not request.caller.is_member:
        return (
            render_stranger(request.t)
            if request.in_private
            else render_stranger_in_group(request.t)
        )
    if not spec.works_in(chat_type):
        return render_wrong_chat(spec, request.t)
    if not spec.allows(request.caller.roles):
        return render_role_refusal(spec, request.t)
    return None


def command(name: str, feature: Feature) -> CommandHandler[BotContext, None]:
    """A CommandHandler for a command of the registry, guarded by its declared permission."""
    spec = COMMANDS_BY_NAME[name]

    async def callback(update: Update, context: BotContext) -> None:
        async def run(request: Request) -> Reply | None:
            refused = refusal(spec, request)
            return Reply.of(refused) if refused else await feature(request)

        reply = await in_transaction(update, context, list(context.args or []), run)
        await deliver(update, context, reply)

    return CommandHandler(name, callback)


def button(action: callbacks.Action, feature: Feature) -> CallbackQueryHandler[BotContext, None]:
    """A CallbackQueryHandler for one action; the decoded arguments arrive as `args`."""

    async def callback(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        decoded = callbacks.decode(query.data)
        if decoded is None:
            return
        reply = await in_transaction(update, context, list(decoded.args), feature)
        await deliver(update, context, reply)

    return CallbackQueryHandler(callback, pattern=callbacks.matches(action))


class MyChatMemberHandler(ChatMemberHandler[BotContext, None]):
    """Changes of the bot's own membership, in private chats or in groups only."""

    def __init__(
        self, callback: Callable[[Update, BotContext], Coroutine[Any, Any, None]], *, private: bool
    ) -> None:
        super().__init__(callback, ChatMemberHandler.MY_CHAT_MEMBER)
        self.private = private

    def check_update(self, update: object) -> bool:
        if not super().check_update(update):
            return False
        assert isinstance(update, Update) and update.my_chat_member is not None
        return (update.my_chat_member.chat.type == ChatType.PRIVATE) == self.private


async def deliver(update: Update, context: BotContext, reply: Reply | None) -> None:
    """Send the reply (after commit) and run the post-commit effects; never raises."""
    if reply is None:
        return
    query = update.callback_query
    message = update.effective_message
    try:
        if query is not None:
            await query.answer(reply.alert, show_alert=False)
        if reply.text is not None and message is not None:
            caption, texts = fit_message(reply.text, with_file=reply.document is not None)
            if reply.edit and query is not None:
                # An edit too long for one message edits in the first piece; the rest follow.
                await query.edit_message_text(
                    texts[0],
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.keyboard if len(texts) == 1 else None,
                )
                await _send_texts(message, texts[1:], reply.keyboard, quote=False)
            elif reply.document is not None:
                name, content = reply.document
                await message.reply_document(
                    InputFile(content, filename=name),
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                )
                await _send_texts(message, texts, None, quote=False)  # a caption too long
            else:
                in_group = message.chat.type != ChatType.PRIVATE
                quote = in_group if reply.quote is None else reply.quote
                await _send_texts(message, texts, reply.keyboard, quote=quote)
        if message is not None:
            for photo in reply.photos:
                await message.reply_photo(InputFile(photo, filename="chart.png"), do_quote=False)
            for name, content in reply.files:
                await message.reply_document(InputFile(content, filename=name), do_quote=False)
    except Forbidden as exc:
        log.info("cannot reply in chat %s: %s", message.chat_id if message else "?", exc)
    except TelegramError:
        log.exception("sending a reply failed")
    if reply.drain:
        context.application.create_task(
            context.services.dispatcher.drain(context.application), name="outbox-drain"
        )
    for effect in reply.after:
        try:
            await effect()
        except TelegramError:
            log.warning("a best-effort follow-up failed", exc_info=True)


async def _send_texts(
    message: Message, texts: list[str], keyboard: InlineKeyboardMarkup | None, *, quote: bool
) -> None:
    """Texts in order in the message's chat: the first quoting it if asked, the buttons
    under the last (a text too long for one message arrives as several)."""
    for i, text in enumerate(texts):
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard if i == len(texts) - 1 else None,
            do_quote=quote and i == 0,
            disable_web_page_preview=True,
        )
