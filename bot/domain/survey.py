"""The rules of the talent-demand survey and the course review, as pure functions.

A coordinator asks the enterprises and overseas sites which skills they need; each party's
contacts tick skills and may name other needs. When a course module ends, each party that
built it rates it on four questions (1-5) and says what should change; the figures per
module and party, and Cronbach's alpha of the four questions over the raters, close the loop
with the changes recorded against those requests (seed §3.3, "closed-loop iteration").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import lazy
from bot.domain.capability import cronbach_alpha
from bot.domain.kinds import PartyKind
from bot.i18n import N_

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")

# Who is asked what skills they need: the parties that take students in.
SURVEYED_KINDS = frozenset({PartyKind.ENTERPRISE, PartyKind.OVERSEAS_SITE})

MAX_SKILLS = 10  # one button each, under the Done button
MAX_SKILL = 48  # characters: a button's label stays readable
MAX_NEED = 1000  # characters of free text (a need, a change request, a change)
SCORES = range(1, 6)
# A module is put to its builders this long after its last session at most: a module that
# ended long before the bot knew it is not asked about.
REVIEW_WINDOW = dt.timedelta(days=30)

# The review's questions, in the order asked: (key, the question as shown).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("relevance", N_("Content relevance")),
    ("teaching", N_("Teaching quality")),
    ("practice", N_("Practical value")),
    ("organisation", N_("Organisation")),
)
QUESTION_KEYS = tuple(key for key, _ in QUESTIONS)

_SEPARATORS = re.compile(r"[,;，；、\n]+")


class SurveyInputError(ValueError):
    """Input the survey or the review cannot take; `code` names the problem."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code, value)
        self.code, self.value = code, value


def parse_skills(text: str) -> list[str]:
    """The skills a coordinator listed (separated by commas, semicolons, 、 or new lines),
    in order, without repeats (case-insensitive). Raises SurveyInputError."""
    skills: list[str] = []
    seen: set[str] = set()
    for raw in _SEPARATORS.split(text):
        skill = " ".join(raw.split())
        if not skill or skill.casefold() in seen:
            continue
        if len(skill) > MAX_SKILL:
            raise SurveyInputError("skill_too_long", skill)
        seen.add(skill.casefold())
        skills.append(skill)
    if len(skills) < 1:
        raise SurveyInputError("no_skills")
    if len(skills) > MAX_SKILLS:
        raise SurveyInputError("too_many_skills", str(len(skills)))
    return skills


def clean_text(text: str) -> str:
    """A free-text answer as kept: trimmed, within MAX_NEED. Raises SurveyInputError."""
    cleaned = text.strip()
    if not cleaned:
        raise SurveyInputError("empty")
    if len(cleaned) > MAX_NEED:
        raise SurveyInputError("too_long", str(len(cleaned)))
    return cleaned


def review_due(last_end: dt.datetime | None, now: dt.datetime) -> bool:
    """A module is put to review once its last session has ended, within REVIEW_WINDOW."""
    return last_end is not None and last_end <= now <= last_end + REVIEW_WINDOW


def next_question(scores: Sequence[int | None]) -> int | None:
    """The index of the first question not yet answered; None when all are."""
    return next((i for i, score in enumerate(scores) if score is None), None)


# --- the demand survey's summary -----------------------------------------------------------


@dataclass(frozen=True)
class DemandAnswer:
    """One contact's answer: the party, the skills ticked, other needs (None: not given)."""

    party: str
    answered: bool
    skills: frozenset[str]
    need: str | None


@dataclass
class PartyDemand:
    party: str
    asked: int = 0  # contacts asked
    answered: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # skill -> contacts who ticked it
    needs: list[str] = field(default_factory=list)


def summarise_demand(skills: Sequence[str], answers: Iterable[DemandAnswer]) -> list[PartyDemand]:
    """Per party (in order of first appearance): how many contacts were asked and answered,
    how many ticked each skill (every skill listed, zero included) and the needs written."""
    parties: dict[str, PartyDemand] = {}
    for answer in answers:
        demand = parties.setdefault(answer.party, PartyDemand(answer.party))
        demand.counts.update(dict.fromkeys(skills, 0))
        demand.asked += 1
        if not answer.answered:
            continue
        demand.answered += 1
        demand.counts.update(s for s in answer.skills if s in skills)
        if answer.need:
            demand.needs.append(answer.need)
    return list(parties.values())


def demand_totals(skills: Sequence[str], parties: Iterable[PartyDemand]) -> list[tuple[str, int]]:
    """Every skill with the number of contacts who ticked it, most wanted first (ties in the
    order listed)."""
    totals = Counter(dict.fromkeys(skills, 0))
    for demand in parties:
        totals.update(demand.counts)
    order = {skill: i for i, skill in enumerate(skills)}
    return sorted(totals.items(), key=lambda item: (-item[1], order[item[0]]))


# --- the course review's figures -----------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """One rater's complete answers to the four questions."""

    party: str
    scores: tuple[int, ...]


@dataclass(frozen=True)
class Figures:
    """Means per question (in QUESTIONS' order), their overall mean, the raters, and
    Cronbach's alpha of the questions over the raters (None with fewer than three raters or
    when the totals do not vary)."""

    raters: int
    means: tuple[float, ...]
    overall: float
    alpha: float | None


def figures(ratings: Sequence[Rating]) -> Figures | None:
    """The figures of these ratings; None when there are none."""
    if not ratings:
        return None
    k = len(QUESTIONS)
    means = tuple(sum(r.scores[i] for r in ratings) / len(ratings) for i in range(k))
    overall = sum(means) / k
    table = pd.DataFrame([list(r.scores) for r in ratings], columns=list(QUESTION_KEYS))
    return Figures(len(ratings), means, overall, cronbach_alpha(table.astype(float)))


def figures_by_party(ratings: Sequence[Rating]) -> tuple[dict[str, Figures], Figures | None]:
    """The figures per party (in order of first appearance) and for every rater together."""
    by_party: dict[str, list[Rating]] = {}
    for rating in ratings:
        by_party.setdefault(rating.party, []).append(rating)
    per_party = {party: f for party, rs in by_party.items() if (f := figures(rs)) is not None}
    return per_party, figures(ratings)


def open_requests(requests: Mapping[int, str], addressed: Iterable[int]) -> list[int]:
    """The change requests (by id) no recorded change answers yet, in id order."""
    done = set(addressed)
    return sorted(number for number in requests if number not in done)
