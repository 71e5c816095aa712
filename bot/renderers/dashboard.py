"""The buttons that open the Mini App (`bot/web/`): `/dashboard`'s answer, and the **Open**
button on messages that point at something to look at (the cohort, a report to score).
Telegram accepts such buttons in private chats only; callers add them there only."""

from __future__ import annotations

from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.i18n import Translator
from bot.renderers import Rendered


def app_url(base: str, **view: object) -> str:
    """The Mini App's address, opening a view (`view=queue&assessment=12`) when given."""
    if not view:
        return base
    return f"{base}{'&' if '?' in base else '?'}{urlencode(view)}"


def open_button(base: str, t: Translator, **view: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(t.gettext("Open"), web_app=WebAppInfo(app_url(base, **view)))


def with_open(
    keyboard: InlineKeyboardMarkup | None, base: str | None, t: Translator, **view: object
) -> InlineKeyboardMarkup | None:
    """The keyboard with an Open button below it (unchanged when the Mini App is not set)."""
    if base is None:
        return keyboard
    rows = [list(row) for row in keyboard.inline_keyboard] if keyboard is not None else []
    return InlineKeyboardMarkup([*rows, [open_button(base, t, **view)]])


def render_dashboard(base: str | None, t: Translator) -> Rendered:
    if base is None:
        return Rendered(
            t.gettext(
                "The dashboard is not set up on this bot yet: its operator sets WEBAPP_URL "
                "(see docs/miniapp.md)."
            )
        )
    return Rendered(
        t.gettext("Your dashboard: the figures and reports your role lets you see."),
        InlineKeyboardMarkup([[open_button(base, t)]]),
    )


def menu_button_text(t: Translator) -> str:
    return t.gettext("Dashboard")
