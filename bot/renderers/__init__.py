"""Renderers: text (HTML) and keyboard for each thing the bot says; no sending here."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardMarkup


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def esc(value: object) -> str:
    """User-provided text made safe for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)
