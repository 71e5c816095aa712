"""The handler boundary: one transaction per update, the permission check, and the reply.

A feature handler receives a `Request` (caller, repositories, translator, arguments) inside
the update's transaction and returns a `Reply`; the reply is sent after the transaction has
committed, so a slow or failing Telegram call never holds a database lock or undoes work.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.domain.access import COMMANDS_BY_NAME, CommandSpec
from bot.domain.telegram_text import alert_text, fit_message
from bot.i18n import Translator
from bot.outbox.sender import send_fitted
from bot.renderers import Rendered
from bot.renderers.access import (
    render_button_refusal,
    render_edit_ignored,
    render_restricted,
    render_role_refusal,
    render_sent_privately,
    render_start_first,
    render_stranger,
    render_stranger_in_group,
    render_wrong_chat,
)
from bot.services.context import ServiceContext
from bot.services.people import Caller, TelegramProfile, load_caller
from bot.telegram import callbacks
from bot.telegram.updates import committed, lane
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

    @property
    def ctx(self) -> ServiceContext:
        """What the services need: this update's repositories and time, the default zone."""
        settings = self.context.services.settings
        return ServiceContext(self.repos, self.now, settings.default_timezone)

    def profile(self) -> TelegramProfile:
        user = self.update.effective_user
        assert user is not None
        return TelegramProfile(user.id, user.full_name, user.username, user.language_code)


@dataclass(frozen=True)
class PrivateNotes:
    """What a group is told of a personal answer sent to the caller's private chat: that it
    went, or, when Telegram refuses it (the caller never pressed Start), how to open that chat."""

    sent: str
    start_first: str


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
    private: bool = False  # personal: asked in a group, it goes to the caller's private chat
    notes: PrivateNotes | None = None  # what the group is told then (set by in_transaction)

    @classmethod
    def of(cls, rendered: Rendered, **extra: object) -> Reply:
        return cls(text=rendered.text, keyboard=rendered.keyboard, **extra)  # type: ignore[arg-type]


Feature = Callable[[Request], Awaitable[Reply | None]]
# The next private message of someone in a guided conversation (a draft, scoring): the
# person, their conversation and the message; None lets the message through as any other.
Continuation = Callable[[Request, Person, Conversation, Message], Awaitable[Reply | None]]


async def first_time(repos: Repos, update: Update, now: dt.datetime) -> bool:
    """Claim the update in this transaction: False if it was handled before (Telegram sent
    it again, or to another replica too). On PostgreSQL this also waits for, then holds, its
    chat's turn: replicas handle one chat's updates one at a time."""
    if await repos.updates.claim(update.update_id, now, lane(update)):
        return True
    log.info("update %s was handled before; skipped", update.update_id)
    return False


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
        if not await first_time(repos, update, services.clock.now()):
            return None
        caller = await load_caller(
            repos, user.id, user.language_code, services.settings.default_timezone
        )
        t = services.translations.for_language(caller.language)
        request = Request(update, context, repos, caller, t, services.clock.now(), args)
        reply = await run(request)
        if reply is not None and reply.private and not request.in_private:
            name = user.full_name
            reply.notes = PrivateNotes(
                render_sent_privately(name, t),
                render_start_first(name, context.bot.username, t),
            )
        return reply

    reply = await services.database.run(work)
    committed()  # a command waiting for this update may read what it wrote
    return reply


def topic_of(message: Message) -> int | None:
    """The forum topic a message is in; None for General or a group without topics (a reply
    there has a `message_thread_id` too, naming its reply chain: no topic to send to)."""
    return message.message_thread_id if message.is_topic_message else None


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
    restricted = spec.refused_sub(request.args, request.caller.roles)
    if restricted is not None:
        return render_restricted(restricted, request.t)
    return None


def command(name: str, feature: Feature) -> CommandHandler[BotContext, None]:
    """A CommandHandler for a command of the registry, guarded by its declared permission."""
    spec = COMMANDS_BY_NAME[name]

    async def callback(update: Update, context: BotContext) -> None:
        async def run(request: Request) -> Reply | None:
            refused = refusal(spec, request)
            if refused:
                return Reply.of(refused)
            reply = await feature(request)
            if reply is not None and spec.personal:
                reply.private = True
            return reply

        reply = await in_transaction(update, context, list(context.args or []), run)
        await deliver(update, context, reply)

    return CommandHandler(name, callback)


def button(action: callbacks.Action, feature: Feature) -> CallbackQueryHandler[BotContext, None]:
    """A CallbackQueryHandler for one action; the decoded arguments arrive as `args`. The press
    is checked against the message it arrived on first (`callbacks.refusal`): a refused one is
    answered and changes nothing."""

    async def callback(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        decoded = callbacks.decode(query.data)
        refused = callbacks.refusal(_press(query))

        async def run(request: Request) -> Reply | None:
            if refused is not None or decoded is None:
                return Reply(alert=render_button_refusal(refused, request.t))
            return await feature(request)

        args = list(decoded.args) if decoded is not None else []
        reply = await in_transaction(update, context, args, run)
        await deliver(update, context, reply)

    return CallbackQueryHandler(callback, pattern=callbacks.matches(action))


def _press(query: CallbackQuery) -> callbacks.Press:
    """The press as the check sees it: the data, the buttons of the message it arrived on (as
    Telegram stored them), and who pressed it in which chat."""
    message = query.message
    if not isinstance(message, Message):  # inaccessible, or an inline message
        return callbacks.Press(query.data, None, False, 0, query.from_user.id, None)
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    buttons = frozenset(str(b.callback_data) for row in rows for b in row if b.callback_data)
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    return callbacks.Press(
        query.data,
        buttons,
        message.chat.type == ChatType.PRIVATE,
        message.chat.id,
        query.from_user.id,
        author.id if author is not None and not author.is_bot else None,
    )


async def unknown_button(update: Update, context: BotContext) -> None:
    """Any press no button handler took (unreadable or unknown data): answered, so that the
    client's spinner stops, and nothing changes."""

    async def run(request: Request) -> Reply:
        return Reply(alert=render_button_refusal(callbacks.Refusal.STALE, request.t))

    await deliver(update, context, await in_transaction(update, context, [], run))


def unknown_buttons() -> CallbackQueryHandler[BotContext, None]:
    """The last handler of all: every press is answered (see `unknown_button`)."""
    return CallbackQueryHandler(unknown_button)


async def edited(update: Update, context: BotContext) -> None:
    """An edited message never acts: commands, answers and a draft's text are read from new
    messages only (the edit of an answer already taken would have to know which step it
    answered; a draft's review screen changes any part instead). In a private chat the person
    hears that the edit changed nothing; a group is not told, to keep it quiet."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return

    async def run(request: Request) -> Reply:
        return Reply.of(render_edit_ignored(request.t))

    await deliver(update, context, await in_transaction(update, context, [], run))


def edits() -> MessageHandler[BotContext, None]:
    """The first handler of all: it takes every edited message, so that no command, reply or
    conversation handler sees one (PTB's CommandHandler would run the command again)."""
    return MessageHandler(filters.UpdateType.EDITED, edited)


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
    if reply.notes is not None:
        reply = await _answer_privately(update, context, reply, reply.notes)
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
            context.services.sender.drain(context.application), name="outbox-drain"
        )
    for effect in reply.after:
        try:
            await effect()
        except TelegramError:
            log.warning("a best-effort follow-up failed", exc_info=True)


async def _answer_privately(
    update: Update, context: BotContext, reply: Reply, notes: PrivateNotes
) -> Reply:
    """Send a personal reply asked for in a group to the caller's private chat instead; what
    is left for the group is a note saying where it went (or how to open that chat)."""
    user = update.effective_user
    assert user is not None
    if reply.text is None and reply.document is None and not reply.photos and not reply.files:
        return reply  # only an answer to a button press: the presser alone sees it
    bot = context.bot
    note: str | None = notes.sent
    try:
        document = None
        if reply.document is not None:
            name, content = reply.document
            document = ("document", InputFile(content, filename=name))
        await send_fitted(bot, user.id, reply.text, document, reply.keyboard)
        for photo in reply.photos:
            await bot.send_photo(user.id, InputFile(photo, filename="chart.png"))
        for name, content in reply.files:
            await bot.send_document(user.id, InputFile(content, filename=name))
    except Forbidden as exc:
        log.info("cannot answer %s privately: %s", user.id, exc)
        note = notes.start_first
    except TelegramError:
        log.exception("sending a private answer failed")
        note = None
    left = Reply(drain=reply.drain, after=reply.after)
    if update.callback_query is not None and note is notes.sent:
        left.alert = alert_text(html.unescape(note))  # the presser alone needs to know
    else:
        left.text = note
    return left


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
