"""Translations: every message in the code has a Chinese translation with the same
placeholders, and the catalogs are current with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR, Translations, normalize_language

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "gettext": None, "ngettext": (1, 2)}
# A placeholder by its name: `{week:02d}` and `{week}` are the same value, written two ways.
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::[^{}]*)?\}")


def source_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("bot", "handlers", "jobs"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(language: str) -> dict[object, object]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {message.id: message for message in read_po(po) if message.id}


def test_every_message_has_a_chinese_translation() -> None:
    zh = catalog("zh")
    missing = []
    for msgid in sorted(source_messages(), key=str):
        entry = zh.get(msgid)
        strings = entry.string if entry is not None else None  # type: ignore[attr-defined]
        ok = all(strings) if isinstance(strings, tuple) else bool(strings)
        if not ok or (entry is not None and entry.fuzzy):  # type: ignore[attr-defined]
            missing.append(msgid)
    assert missing == [], "run `make messages` and translate these in zh/LC_MESSAGES/messages.po"


def test_translations_keep_the_placeholders_and_markup() -> None:
    for msgid, entry in catalog("zh").items():
        originals = msgid if isinstance(msgid, tuple) else (msgid,)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in originals))
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)  # type: ignore[attr-defined]
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= wanted, (msgid, text)
            if not isinstance(msgid, tuple):
                assert set(PLACEHOLDER.findall(text)) == wanted, (msgid, text)
            assert re.findall(r"</?[a-z]+>", text) == re.findall(r"</?[a-z]+>", originals[0]), msgid


def test_no_stale_translations() -> None:
    stale = set(catalog("zh")) - source_messages()
    assert stale == set(), "messages no longer in the code: run `make messages`"


def test_lookup_by_language_with_fallback() -> None:
    translations = Translations.load()
    assert translations.for_language("zh").gettext("student") == "学生"
    assert translations.for_language("en").gettext("student") == "student"
    assert translations.for_language("fr").gettext("student") == "student"
    zh = translations.for_language("zh")
    assert (
        zh.ngettext("It can be used once", "It can be used {n} times", 3).format(n=3)
        == "可使用 3 次"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-hans", "zh"), ("zh_TW", "zh"), ("EN-us", "en"), ("de", None), ("", None), (None, None)],
)
def test_normalize_language(code: str | None, expected: str | None) -> None:
    assert normalize_language(code) == expected
