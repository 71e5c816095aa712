"""Renderers: text (HTML) and keyboard for each thing the bot says; no sending here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


def esc(value: object) -> str:
    """User-provided text made safe for Telegram's HTML parse mode."""
    return escape(str(value), quote=False)


def said(text: str | None, t: Translator) -> str:
    """A person's words as stored, or, once /forget erased them (an empty text), a neutral
    marker in the reader's language. Not escaped."""
    return text or t.gettext("(erased)")


MAX_TEXT = 4000  # Telegram's limit is 4096 characters of text; the markup counts here too


def labelled(label: str, value: object, t: Translator) -> str:
    """`Hours: 32` / `小时数：32`: a label and its value, with the reader's colon."""
    # TRANSLATORS: a label and its value; Chinese text takes the full-width colon.
    return t.gettext("{label}: {value}").format(label=label, value=value)


def aside(text: str, note: str, t: Translator) -> str:
    """`Wang Fang (enterprise)` / `Wang Fang（企业）`: a note in the reader's brackets."""
    # TRANSLATORS: a short note in brackets after a name or a figure.
    return t.gettext("{text} ({note})").format(text=text, note=note)


def listed(items: Iterable[str], t: Translator) -> str:
    """`a, b, c` / `a、b、c`: a list joined with the reader's separator."""
    # TRANSLATORS: between the items of a short list (Chinese: the enumeration comma).
    return t.gettext(", ").join(items)


def then(first: str, second: str, t: Translator) -> str:
    """Two sentences, one after the other: a space between them in English, none in Chinese
    (a full-width full stop needs none)."""
    # TRANSLATORS: one sentence after another (Chinese: no space after 。or ！).
    return t.gettext("{first} {second}").format(first=first, second=second)


def plural(value: Decimal | float | int) -> int:
    """The count `ngettext` picks a form by, for a number that may have decimals: the number
    when it is whole, else 2 (CLDR puts a decimal such as 1.5 in English's plural, `other`;
    Chinese has one form)."""
    return int(value) if value == int(value) else 2


def more_lines(t: Translator) -> Callable[[int], str]:
    """`… and 3 more lines`, for `fit`."""
    return lambda n: t.ngettext("… and {n} more line", "… and {n} more lines", n).format(n=n)


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
