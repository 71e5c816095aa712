"""The Chinese catalog follows the glossary (docs/glossary.md): one form per term, the
reader addressed as 您, full-width punctuation in Chinese text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
CJK = r"[\u3400-\u9fff]"
# A half-width mark touching a Chinese character, or opening onto one after a space.
HALF_WIDTH = re.compile(rf"{CJK}[(),:;?!]|[(),:;?!]{CJK}|[(,:;.]\s+{CJK}|{CJK}\s+[),:;]")
COMMAND = re.compile(r"/[a-z]+!?(?: [a-z0-9:]+)*")  # typed as it is, Chinese text or not


@dataclass(frozen=True)
class Term:
    english: str
    chinese: str
    also: tuple[str, ...]  # short forms in compounds (贵方 for "your party")
    rejected: tuple[str, ...]

    def english_words(self) -> list[str]:
        """`party` from `party`; `contact person` and `party contact` from
        `contact person (party contact)`; none for a note such as `you (addressing ...)`."""
        main, _, aside = self.english.partition(" (")
        if main == "you":
            return []
        words = [main]
        if aside and not aside.startswith(("the ", "addressing")):
            words.append(aside.rstrip(")"))
        return words


def glossary(path: Path = ROOT / "docs" / "glossary.md") -> list[Term]:
    rows = re.findall(
        r"^\| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", path.read_text("utf-8"), re.M
    )

    def forms(cell: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in cell.split(",") if v.strip() != "-")

    terms = [
        Term(en.strip(), zh.strip(), forms(also), forms(rejected))
        for en, zh, also, rejected in rows
        if en.strip() not in ("English", "---")
    ]
    assert len(terms) >= 10, "the glossary table was not found"
    return terms


def translations() -> list[tuple[str, str]]:
    """(English, Chinese) of every message, singular and plural."""
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[0], text) for text in strings if text]
    return pairs


def rejected_variants(text: str, terms: list[Term]) -> list[str]:
    """The glossary's rejected variants in `text`, once every term's own form is set aside
    (实习基地 holds 基地, which is rejected only on its own)."""
    rest = text
    for term in sorted(terms, key=lambda t: len(t.chinese), reverse=True):
        rest = rest.replace(term.chinese, "·")
    return [v for term in terms for v in term.rejected if v in rest]


def half_width(text: str) -> list[str]:
    """Half-width punctuation inside Chinese text (placeholders and commands aside)."""
    plain = COMMAND.sub("/", re.sub(r"\{[^{}]*\}", "X", text))
    return [m.group(0) for m in HALF_WIDTH.finditer(plain)]


def test_no_translation_uses_a_rejected_variant() -> None:
    terms = glossary()
    found = [(zh, v) for _, zh in translations() for v in rejected_variants(zh, terms)]
    assert found == [], found[:10]


def test_a_message_naming_a_term_uses_its_one_chinese_form() -> None:
    terms = glossary()
    missing = []
    for english, zh in translations():
        # `{party}` is a party's name; `/invite nbu student` is typed as it is
        words = COMMAND.sub("", re.sub(r"\{[^{}]*\}", "", english))
        for term in terms:
            named = any(
                re.search(rf"\b{re.escape(word)}s?\b", words, re.I) for word in term.english_words()
            )
            if named and not any(form in zh for form in (term.chinese, *term.also)):
                missing.append((term.english, english, zh))
    assert missing == [], missing[:10]


def test_chinese_text_takes_full_width_punctuation() -> None:
    found = [(zh, marks) for _, zh in translations() if (marks := half_width(zh))]
    assert found == [], found[:10]


@pytest.mark.parametrize(
    ("text", "rejected", "wrong_marks"),
    [
        ("请以高校导师的身份为其打分。", [], False),
        ("你的草稿已保存。", ["你"], False),
        ("协调人可以在群组中发布；", ["协调人"], False),
        ("按实习基地", [], False),
        ("只有海外基地的联系人可以添加需求。", ["基地"], False),
        ("自评: 技术研发 3/5", [], True),
        ("Zhang Min (高校)", [], True),
        ("用法：/ask 合作方 问题（紧急时用 /ask!）", [], False),
        ("例如：/checkin schedule first mon 10:00 72h", [], False),
        ("2/5. 请发送简短摘要", [], True),
        ("{name}：{total}（海外 {overseas}）", [], False),
    ],
)
def test_the_checks_find_what_they_should(
    text: str, rejected: list[str], wrong_marks: bool
) -> None:
    assert rejected_variants(text, glossary()) == rejected
    assert bool(half_width(text)) is wrong_marks
