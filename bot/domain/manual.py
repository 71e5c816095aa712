"""The assessment manual: the consortium's one rubric for every mentor (levels with their
score bounds and names, a descriptor per dimension and level, in English and Chinese).

The manual is versioned: version 1 is the built-in rubric (its texts are gettext msgids,
translated when shown); a consortium file's `manual` section that differs from the one in
force becomes the next version. A score keeps the version it was given under, so a level
is always read with the bounds of that version. Pure: the file's spec, the manual as a
value, and the rules on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.domain.reports import DIMENSIONS
from bot.i18n import N_

DEFAULT_VERSION = 1
MAX_LEVELS = 7  # a level's button row and its lines must fit a Telegram message

# --- the file's section -----------------------------------------------------------------

# A scoring step shows every level's name and descriptor in one message that is edited as
# the mentor goes (an edit cannot be split): at most 7 x (40 + 200) characters of them.
Name = Annotated[str, Field(min_length=1, max_length=40)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class NameSpec(BaseModel):
    """A level's name in both languages; neither may be left out (the languages are equal)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    en: Name
    zh: Name


class TextSpec(BaseModel):
    """A descriptor in both languages; neither may be left out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    en: Text
    zh: Text


class LevelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    min: int = Field(ge=0, le=100)  # the lowest score of the level
    name: NameSpec


class ManualSpec(BaseModel):
    """The `manual` section: levels from the lowest (`min: 0`) up, and per dimension one
    descriptor per level, in the levels' order."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    levels: list[LevelSpec] = Field(min_length=2, max_length=MAX_LEVELS)
    descriptors: dict[str, list[TextSpec]]

    @field_validator("levels")
    @classmethod
    def _bounds(cls, levels: list[LevelSpec]) -> list[LevelSpec]:
        bounds = [level.min for level in levels]
        if bounds[0] != 0:
            raise ValueError("the first level must start at min 0")
        if bounds != sorted(set(bounds)):
            raise ValueError("each level's min must be above the one before")
        return levels

    @field_validator("descriptors")
    @classmethod
    def _per_level(
        cls, descriptors: dict[str, list[TextSpec]], info: ValidationInfo
    ) -> dict[str, list[TextSpec]]:
        known = [d.value for d in DIMENSIONS]
        unknown = sorted(set(descriptors) - set(known))
        if unknown:
            raise ValueError(f"unknown dimension {unknown[0]!r} (one of {', '.join(known)})")
        missing = [d for d in known if d not in descriptors]
        if missing:
            raise ValueError(f"{missing[0]} is required")
        levels = info.data.get("levels")
        for dimension in known:
            if levels is not None and len(descriptors[dimension]) != len(levels):
                raise ValueError(
                    f"{dimension} has {len(descriptors[dimension])} descriptors for "
                    f"{len(levels)} levels"
                )
        return descriptors


# --- the manual as a value --------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    low: int
    high: int
    name: Mapping[str, str]  # {"en": ..., "zh": ...}; the built-in one: {"en": msgid}


@dataclass(frozen=True)
class Manual:
    """One version of the manual. `builtin`: its texts are msgids (translated when shown)."""

    version: int
    levels: tuple[Level, ...]
    descriptors: Mapping[str, tuple[Mapping[str, str], ...]]
    builtin: bool = False

    def level_index(self, score: float) -> int:
        """The level a score falls in (by this version's bounds), 0 for the lowest."""
        return max(i for i, level in enumerate(self.levels) if score >= level.low)

    def level_of(self, score: float) -> Level:
        return self.levels[self.level_index(score)]

    def bounds(self) -> list[str]:
        """`0-39`, `40-59`, ... `90-100`: each level's range of whole scores."""
        return [f"{level.low}-{level.high}" for level in self.levels]


def manual_from_spec(version: int, spec: ManualSpec) -> Manual:
    lows = [level.min for level in spec.levels]
    highs = [low - 1 for low in lows[1:]] + [100]
    levels = tuple(
        Level(low, high, level.name.model_dump())
        for low, high, level in zip(lows, highs, spec.levels, strict=True)
    )
    descriptors = {
        d.value: tuple(text.model_dump() for text in spec.descriptors[d.value]) for d in DIMENSIONS
    }
    return Manual(version, levels, descriptors)


def manual_from_json(version: int, content: Mapping[str, Any]) -> Manual:
    """A stored version (its content is the checked spec, as JSON)."""
    return manual_from_spec(version, ManualSpec.model_validate(content))


def canonical(spec: ManualSpec) -> dict[str, Any]:
    """The spec as JSON in one form: two files that state the same manual store the same."""
    data = spec.model_dump(mode="json")
    data["descriptors"] = {d.value: data["descriptors"][d.value] for d in DIMENSIONS}
    return data


def digest(content: Mapping[str, Any]) -> str:
    """A short fingerprint of a version's content (the same manual, the same digest)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def next_version(
    latest: int | None, latest_content: Mapping[str, Any] | None, new: ManualSpec
) -> int | None:
    """The version a file's manual becomes: None when it is the one in force already."""
    content = canonical(new)
    if latest_content is not None and digest(latest_content) == digest(content):
        return None
    return (latest or DEFAULT_VERSION) + 1


# --- version 1: the built-in rubric (msgids, translated by the renderer) ---------------

_LEVELS = (
    (0, N_("beginning")),
    (40, N_("developing")),
    (60, N_("competent")),
    (75, N_("proficient")),
    (90, N_("exemplary")),
)
_DESCRIPTORS = {
    "tech_rd": (
        N_("follows instructions on technical tasks, needs close guidance"),
        N_("completes routine technical tasks with some help"),
        N_("completes technical tasks on their own, with sound methods"),
        N_("improves tools or methods and explains the choices"),
        N_("leads a technical piece of work the host can adopt"),
    ),
    "cross_cultural": (
        N_("finds local ways of working hard to read"),
        N_("adapts when told how things are done locally"),
        N_("works smoothly with local colleagues and pupils"),
        N_("bridges misunderstandings between people of different cultures"),
        N_("is trusted by the host to represent the team across cultures"),
    ),
    "rule_adaptation": (
        N_("is unaware of the local rules that apply"),
        N_("knows the main rules when reminded of them"),
        N_("applies data protection, privacy and copyright rules correctly"),
        N_("anticipates compliance questions and checks local standards"),
        N_("helps the host improve how rules are applied"),
    ),
}


def _default() -> Manual:
    lows = [low for low, _ in _LEVELS]
    highs = [low - 1 for low in lows[1:]] + [100]
    return Manual(
        DEFAULT_VERSION,
        tuple(
            Level(low, high, {"en": name}) for (low, name), high in zip(_LEVELS, highs, strict=True)
        ),
        {dim: tuple({"en": text} for text in texts) for dim, texts in _DESCRIPTORS.items()},
        builtin=True,
    )


DEFAULT_MANUAL = _default()
