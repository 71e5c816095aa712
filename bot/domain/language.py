"""Which language to speak to a person or a chat in."""

from __future__ import annotations

from bot.i18n import normalize_language


def resolve_language(
    person_language: str | None, telegram_code: str | None, consortium_language: str | None
) -> str:
    """The person's setting, else Telegram's `language_code`, else the consortium's, else en."""
    return (
        normalize_language(person_language)
        or normalize_language(telegram_code)
        or normalize_language(consortium_language)
        or "en"
    )
