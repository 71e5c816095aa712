"""What the assessment manual says to a reader: a level's name and a descriptor in their
language, the rubric of one dimension while a mentor scores, and the whole manual for
/manual. The built-in manual's texts are msgids, translated here; a consortium's own give
both languages."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.manual import DEFAULT_VERSION, Manual
from bot.domain.reports import DIMENSIONS
from bot.i18n import Translator
from bot.renderers import esc


def dimension_name(dimension: str, t: Translator) -> str:
    return {
        "tech_rd": t.gettext("Technology R&D"),
        "cross_cultural": t.gettext("Cross-cultural operation"),
        "rule_adaptation": t.gettext("International rule adaptation"),
    }[dimension]


def manual_text(text: Mapping[str, str], t: Translator) -> str:
    """A manual's text in the reader's language (the built-in one's through the catalog)."""
    return text.get(t.language) or t.gettext(text["en"])


def level_label(manual: Manual, score: float, t: Translator) -> str:
    """The name of the level a score falls in, by the bounds of the manual it was given
    under."""
    return manual_text(manual.level_of(score).name, t)


def version_line(manual: Manual, t: Translator) -> str:
    if manual.version == DEFAULT_VERSION:
        return t.gettext("Assessment manual: the built-in rubric (version 1)")
    return t.gettext("Assessment manual of the consortium, version {n}").format(n=manual.version)


def rubric_lines(manual: Manual, dimension: str, t: Translator) -> list[str]:
    """`0-39 beginning: follows instructions...`, one line per level, lowest first."""
    return [
        f"{bounds} <i>{esc(manual_text(level.name, t))}</i>: {esc(manual_text(text, t))}"
        for bounds, level, text in zip(
            manual.bounds(), manual.levels, manual.descriptors[dimension], strict=True
        )
    ]


def render_manual(manual: Manual, t: Translator) -> str:
    """/manual: the manual in force, every dimension's descriptors per level."""
    lines = [f"<b>{esc(version_line(manual, t))}</b>"]
    lines.append(
        t.gettext("Levels: {levels}").format(
            levels=", ".join(
                f"{bounds} {esc(manual_text(level.name, t))}"
                for bounds, level in zip(manual.bounds(), manual.levels, strict=True)
            )
        )
    )
    for d in DIMENSIONS:
        lines.append("")
        lines.append(f"<b>{esc(dimension_name(d.value, t))}</b>")
        lines += rubric_lines(manual, d.value, t)
    lines.append("")
    lines.append(t.gettext("Each score keeps the version of the manual it was given under."))
    return "\n".join(lines)


def render_no_version(given: str, t: Translator) -> str:
    return t.gettext(
        "There is no version {given} of the assessment manual; /manual shows the one in force."
    ).format(given=esc(given))
