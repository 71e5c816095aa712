"""Renderers: text (HTML) and keyboard for each thing the bot says; no sending here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def esc(value: object) -> str:
    """User-provided text made safe for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)


def local(when: dt.datetime, zone: str) -> str:
    """A moment as it is in `zone`, to the minute (the zone's name is written beside it)."""
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def said(text: str | None, t: Translator) -> str:
    """A person's words as stored, or, once /forget erased them (an empty text), a neutral
    marker in the reader's language. Not escaped."""
    return text or t.gettext("(erased)")


MAX_TEXT = 4000  # Telegram's limit is 4096 characters of text; the markup counts here too


def fit(lines: list[str], more: Callable[[int], str], limit: int = MAX_TEXT) -> str:
    """The lines joined, as many as fit in one message; then `more(n)` for the n left out."""
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        if size + len(line) + 1 > limit - 100:  # room for the last line
            return "\n".join([*kept, more(len(lines) - i)])
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)
