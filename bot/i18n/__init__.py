"""Translations: gettext catalogs (Babel `.po` files) looked up by the user's language, and
which language a person or a chat is spoken to in (`resolve_language`).

The `.po` files under `locale/` are the single source; they are compiled in memory when
`Translations.load()` runs (in `build_application`, never at import), so no binary `.mo`
file can drift from its source.
"""

from __future__ import annotations

import gettext
import io
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import SupportsIndex

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LANGUAGES

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated later by its msgid)."""
    return message


@dataclass(frozen=True)
class Translator:
    """Translates for one language; `gettext` and `ngettext` as in the standard library."""

    language: str
    _catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: SupportsIndex) -> str:
        # Counts often come from pandas (numpy.int64), which gettext refuses with a warning
        # (an error here): any integer type is taken as the int it is.
        return self._catalog.ngettext(singular, plural, operator.index(n))


class Translations:
    """All languages' catalogs; `for_language` picks one (English when unknown)."""

    def __init__(self, catalogs: dict[str, gettext.NullTranslations]) -> None:
        self._translators = {lang: Translator(lang, cat) for lang, cat in catalogs.items()}

    @classmethod
    def load(cls, locale_dir: Path = LOCALE_DIR) -> Translations:
        catalogs: dict[str, gettext.NullTranslations] = {"en": gettext.NullTranslations()}
        for language in SUPPORTED_LANGUAGES:
            po_path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po_path.exists():
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            catalogs[language] = gettext.GNUTranslations(buffer)
        return cls(catalogs)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def for_language(self, language: str | None) -> Translator:
        return self._translators.get(language or "en", self._translators["en"])


def normalize_language(code: str | None) -> str | None:
    """Map Telegram's `language_code` (e.g. `zh-hans`, `en-GB`) to a supported language."""
    if not code:
        return None
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else None


def resolve_language(
    person_language: str | None, telegram_code: str | None, consortium_language: str | None
) -> str:
    """Which language to speak to a person or a chat in: the person's (or chat's) setting,
    else Telegram's `language_code`, else the consortium's, else en."""
    return (
        normalize_language(person_language)
        or normalize_language(telegram_code)
        or normalize_language(consortium_language)
        or "en"
    )
