"""Command menus (setMyCommands) per scope and language, from the command registry, and
the menu button that opens the Mini App (setChatMenuButton) when WEBAPP_URL is set.

Best effort: a failure is logged and never stops the bot or undoes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    BotCommandScopeDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.domain.access import visible_commands
from bot.i18n import Translations, Translator
from bot.renderers.dashboard import menu_button_text
from db.models import Role

log = logging.getLogger(__name__)


def menu(roles: Iterable[Role], chat_type: str, is_member: bool, t: Translator) -> list[BotCommand]:
    return [
        BotCommand(spec.name, t.gettext(spec.description)[:256])
        for spec in visible_commands(roles, chat_type, is_member)
    ]


async def set_default_menus(bot: Bot, translations: Translations) -> None:
    """What strangers see in private chats, and members in groups, in every language."""
    try:
        for language in translations.languages:
            t = translations.for_language(language)
            code = None if language == "en" else language
            await bot.set_my_commands(
                menu((), "private", False, t), scope=BotCommandScopeDefault(), language_code=code
            )
            await bot.set_my_commands(
                menu((), "group", True, t), scope=BotCommandScopeAllGroupChats(), language_code=code
            )
    except TelegramError:
        log.warning("could not set the default command menus", exc_info=True)


async def set_menu_button(bot: Bot, url: str, t: Translator) -> None:
    """Every private chat's menu button opens the Mini App (WEBAPP_URL)."""
    try:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(menu_button_text(t), WebAppInfo(url))
        )
    except TelegramError:
        log.warning("could not set the menu button to the Mini App", exc_info=True)


async def set_person_menu(
    bot: Bot, telegram_id: int, roles: Iterable[Role], is_member: bool, t: Translator
) -> None:
    """The menu in a person's private chat with the bot, for their roles and language."""
    try:
        await bot.set_my_commands(
            menu(roles, "private", is_member, t), scope=BotCommandScopeChat(telegram_id)
        )
    except TelegramError:
        log.warning("could not set the command menu of a person", exc_info=True)


async def set_group_member_menu(
    bot: Bot, chat_id: int, telegram_id: int, roles: Iterable[Role], t: Translator
) -> None:
    """The menu a person sees in one group (coordinators get /link and /unlink)."""
    try:
        await bot.set_my_commands(
            menu(roles, "group", True, t), scope=BotCommandScopeChatMember(chat_id, telegram_id)
        )
    except TelegramError:
        log.warning("could not set a group command menu", exc_info=True)
