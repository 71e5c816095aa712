"""The talent-demand survey and the course review, over the repositories.

A coordinator sends a survey: one answer row per contact of every enterprise and overseas
site, each delivered with the skills as buttons. A module whose last session has ended is put
to the contacts of the parties that built it, once (one review row each, written with its
message). `/review` reads the loop back: the figures per party, the change requests, and the
changes recorded against them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from bot.domain.survey import (
    QUESTION_KEYS,
    SURVEYED_KINDS,
    DemandAnswer,
    Figures,
    PartyDemand,
    Rating,
    clean_text,
    demand_totals,
    figures_by_party,
    next_question,
    open_requests,
    parse_skills,
    review_due,
    summarise_demand,
)
from bot.services.context import ServiceContext
from bot.services.courses import speaks_for
from db.models import (
    Course,
    CourseChange,
    CourseReview,
    Party,
    Person,
    Role,
    Survey,
    SurveyAnswer,
)
from db.repositories import Repos

SURVEY = "survey"  # the conversation of a contact writing their party's other needs
REVIEW = "review"  # the conversation of a contact writing what should change

# "kept": a leftover No other needs / Nothing to change pressed once the question is answered
Refusal = Literal["not_found", "not_yours", "closed", "kept", "no_parties", "unknown_request"]


def skills_of(survey: Survey) -> list[str]:
    return survey.skills.split("\n")


def chosen_of(answer: SurveyAnswer) -> set[int]:
    return {int(i) for i in answer.chosen.split(",") if i}


# --- the demand survey -----------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """A survey question to one contact for one party."""

    answer: SurveyAnswer
    survey: Survey
    party: Party
    person: Person


async def send_survey(ctx: ServiceContext, sender: Person, text: str) -> list[Ask] | Refusal:
    """A new survey of these skills to every contact of the surveyed parties. Raises
    SurveyInputError for a bad list."""
    skills = parse_skills(text)
    repos = ctx.repos
    targets: list[tuple[Party, Person]] = []
    for party in await repos.parties.all():
        if party.kind in SURVEYED_KINDS:
            targets += [
                (party, p) for p in await repos.memberships.people_of_party(party.id, Role.CONTACT)
            ]
    if not targets:
        return "no_parties"
    survey = await repos.surveys.add_survey(
        Survey(skills="\n".join(skills), sent_by_id=sender.id, sent_at=ctx.now)
    )
    answers = await repos.surveys.add_answers(
        SurveyAnswer(survey_id=survey.id, party_id=party.id, person_id=person.id, chosen="")
        for party, person in targets
    )
    return [
        Ask(a, survey, party, person) for a, (party, person) in zip(answers, targets, strict=True)
    ]


_Row = TypeVar("_Row", SurveyAnswer, CourseReview)
_About = TypeVar("_About", Survey, Course)


async def _callers(
    repos: Repos,
    row: _Row | None,
    person: Person,
    about: Callable[[_Row], Awaitable[_About | None]],
    *,
    unanswered: bool,
) -> tuple[_Row, _About, Party] | Refusal:
    """A survey answer or a review if it is the caller's, with the survey or module it asks
    about and the party it answers for; with `unanswered`, refused once it is answered."""
    if row is None:
        return "not_found"
    if row.person_id != person.id:
        return "not_yours"
    subject = await about(row)
    party = await repos.parties.by_id(row.party_id)
    if subject is None or party is None:
        return "not_found"
    if unanswered and row.answered_at is not None:
        return "closed"
    return row, subject, party


async def _ask(
    repos: Repos, answer_id: int, person: Person, *, unanswered: bool = False
) -> Ask | Refusal:
    found = await _callers(
        repos,
        await repos.surveys.answer(answer_id),
        person,
        lambda answer: repos.surveys.survey(answer.survey_id),
        unanswered=unanswered,
    )
    return found if isinstance(found, str) else Ask(*found, person)


async def toggle_skill(
    ctx: ServiceContext, answer_id: int, person: Person, index: int
) -> Ask | Refusal:
    """Tick or untick a skill on the caller's answer (until they press Done)."""
    ask = await _ask(ctx.repos, answer_id, person, unanswered=True)
    if isinstance(ask, str):
        return ask
    if not 0 <= index < len(skills_of(ask.survey)):
        return "not_found"
    chosen = chosen_of(ask.answer) ^ {index}
    ask.answer.chosen = ",".join(str(i) for i in sorted(chosen))
    await ctx.repos.flush()
    return ask


async def finish_skills(ctx: ServiceContext, answer_id: int, person: Person) -> Ask | Refusal:
    """The skills are ticked: the answer counts from now; their other needs come next."""
    ask = await _ask(ctx.repos, answer_id, person)
    if isinstance(ask, str):
        return ask
    if ask.answer.answered_at is None:
        ask.answer.answered_at = ctx.now
    await ctx.repos.conversations.set(person.id, SURVEY, ask.answer.id, "need", ctx.now)
    await ctx.repos.flush()
    return ask


async def write_need(
    ctx: ServiceContext, answer_id: int, person: Person, text: str | None
) -> Ask | Refusal:
    """The party's other needs, typed, or None for No other needs; ends the conversation.
    The button answers once: after a typed need or a first press it keeps the answer
    ("kept"); typing is taken only while the bot asks (after Done). Raises SurveyInputError."""
    ask = await _ask(ctx.repos, answer_id, person)
    if isinstance(ask, str):
        return ask
    if text is None and ask.answer.need_answered_at is not None:
        return "kept"
    ask.answer.need = clean_text(text) if text is not None else None
    ask.answer.need_answered_at = ctx.now
    await ctx.repos.conversations.finish(person.id, SURVEY, ask.answer.id)
    await ctx.repos.flush()
    return ask


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    skills: list[str]
    parties: list[PartyDemand]  # by party name
    totals: list[tuple[str, int]]


async def results(ctx: ServiceContext, survey_id: int | None) -> SurveyResults | Refusal:
    """The summary of a survey (the latest when no id is given), per party."""
    repos = ctx.repos
    survey = (
        await repos.surveys.survey(survey_id)
        if survey_id is not None
        else await repos.surveys.latest_survey()
    )
    if survey is None:
        return "not_found"
    skills = skills_of(survey)
    names = {p.id: p.name for p in await repos.parties.all()}
    answers = [
        DemandAnswer(
            names.get(a.party_id, "?"),
            a.answered_at is not None,
            frozenset(skills[i] for i in chosen_of(a) if i < len(skills)),
            a.need,
        )
        for a in await repos.surveys.answers(survey.id)
    ]
    parties = summarise_demand(skills, answers)
    return SurveyResults(survey, skills, parties, demand_totals(skills, parties))


# --- the course review ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewAsk:
    """A module put to one contact of a party that built it, or their review going on."""

    review: CourseReview
    course: Course
    party: Party
    person: Person

    @property
    def scores(self) -> list[int | None]:
        return [getattr(self.review, key) for key in QUESTION_KEYS]

    @property
    def question(self) -> int | None:
        return next_question(self.scores)


def _end(starts_at: dt.datetime, minutes: int) -> dt.datetime:
    return starts_at + dt.timedelta(minutes=minutes)


async def reviews_due(ctx: ServiceContext) -> list[ReviewAsk]:
    """Modules whose last session has just ended, not yet put to their builders: a review
    row per contact of each building party (asked once: the rows say it was asked)."""
    repos = ctx.repos
    ends: dict[int, dt.datetime] = {}
    for session in await repos.courses.sessions():
        end = _end(session.starts_at, session.minutes)
        ends[session.course_id] = max(end, ends.get(session.course_id, end))
    asked = await repos.surveys.reviewed_courses()
    due = [cid for cid, end in ends.items() if cid not in asked and review_due(end, ctx.now)]
    if not due:
        return []
    courses = await repos.courses.by_ids(due)
    built_by = await repos.courses.built_by()
    parties = {p.id: p for p in await repos.parties.all()}
    pending: list[tuple[Course, Party, Person]] = []
    for course_id in sorted(due):
        course = courses[course_id]
        for party_id in sorted(built_by.get(course_id, set()) | {course.lead_id}):
            for person in await repos.memberships.people_of_party(party_id, Role.CONTACT):
                pending.append((course, parties[party_id], person))
    reviews = await repos.surveys.add_reviews(
        CourseReview(course_id=c.id, party_id=party.id, person_id=p.id, asked_at=ctx.now)
        for c, party, p in pending
    )
    return [ReviewAsk(r, c, party, p) for r, (c, party, p) in zip(reviews, pending, strict=True)]


async def _review(
    repos: Repos, review_id: int, person: Person, *, unanswered: bool = False
) -> ReviewAsk | Refusal:
    async def course(review: CourseReview) -> Course | None:
        return (await repos.courses.by_ids([review.course_id])).get(review.course_id)

    found = await _callers(
        repos, await repos.surveys.review(review_id), person, course, unanswered=unanswered
    )
    return found if isinstance(found, str) else ReviewAsk(*found, person)


async def rate(
    ctx: ServiceContext, review_id: int, person: Person, question: int, score: int
) -> ReviewAsk | Refusal:
    """A score of 1-5 on one question; after the last, what should change is asked."""
    ask = await _review(ctx.repos, review_id, person, unanswered=True)
    if isinstance(ask, str):
        return ask
    if not (0 <= question < len(QUESTION_KEYS) and 1 <= score <= 5):
        return "not_found"
    setattr(ask.review, QUESTION_KEYS[question], score)
    if ask.question is None:
        await ctx.repos.conversations.set(person.id, REVIEW, ask.review.id, "change", ctx.now)
    await ctx.repos.flush()
    return ask


async def write_change(
    ctx: ServiceContext, review_id: int, person: Person, text: str | None
) -> ReviewAsk | Refusal:
    """What should change, typed, or None for Nothing to change; the review is done. The
    button answers once: after a typed request (which a change may already answer) or a
    first press it keeps the answer ("kept"). Raises SurveyInputError."""
    ask = await _review(ctx.repos, review_id, person)
    if isinstance(ask, str):
        return ask
    if ask.question is not None:
        return "not_found"
    if text is None and ask.review.answered_at is not None:
        return "kept"
    ask.review.change = clean_text(text) if text is not None else None
    ask.review.answered_at = ctx.now
    await ctx.repos.conversations.finish(person.id, REVIEW, ask.review.id)
    await ctx.repos.flush()
    return ask


@dataclass(frozen=True)
class Request:
    """A change a party asked for: its number (the review's id), the party, the text."""

    number: int
    party: str
    text: str
    answered: bool


@dataclass(frozen=True)
class Change:
    change: CourseChange
    answers: list[int]


@dataclass(frozen=True)
class Loop:
    """A module's closed loop: the figures per party and overall, the requests, the changes."""

    course: Course
    asked: int
    answered: int
    per_party: dict[str, Figures]
    overall: Figures | None
    requests: list[Request]
    changes: list[Change]


async def _course(repos: Repos, key: str) -> Course | None:
    return await repos.courses.by_key(key)


async def loop(ctx: ServiceContext, key: str) -> Loop | Refusal:
    repos = ctx.repos
    course = await _course(repos, key)
    if course is None:
        return "not_found"
    names = {p.id: p.name for p in await repos.parties.all()}
    reviews = await repos.surveys.reviews(course.id)
    ratings = [
        Rating(names.get(r.party_id, "?"), tuple(s for s in scores if s is not None))
        for r in reviews
        if None not in (scores := [getattr(r, k) for k in QUESTION_KEYS])
    ]
    per_party, overall = figures_by_party(ratings)
    changes = await repos.surveys.changes(course.id)
    addressed = {review_id for _, ids in changes for review_id in ids}
    texts = {r.id: r for r in reviews if r.change is not None}  # "": erased, still asked
    still_open = set(open_requests({i: r.change or "" for i, r in texts.items()}, addressed))
    requests = [
        Request(i, names.get(r.party_id, "?"), r.change or "", i not in still_open)
        for i, r in texts.items()
    ]
    return Loop(
        course,
        len(reviews),
        sum(1 for r in reviews if r.answered_at is not None),
        per_party,
        overall,
        requests,
        [Change(c, ids) for c, ids in changes],
    )


async def record_change(
    ctx: ServiceContext, person: Person, key: str, numbers: list[int], text: str
) -> Loop | Refusal:
    """A change of the module's next run, answering these requests; by a coordinator or a
    contact of the lead party. Raises SurveyInputError for an empty or long text."""
    repos = ctx.repos
    course = await _course(repos, key)
    if course is None:
        return "not_found"
    if not await speaks_for(repos, person, course.lead_id):
        return "not_yours"
    known = {r.id for r in await repos.surveys.reviews(course.id) if r.change is not None}
    if any(n not in known for n in numbers):
        return "unknown_request"
    change = CourseChange(
        course_id=course.id, text=clean_text(text), recorded_by_id=person.id, recorded_at=ctx.now
    )
    await repos.surveys.add_change(change, numbers)
    return await loop(ctx, key)


# --- /export, /mydata, /forget ---------------------------------------------------------------


async def export_rows(repos: Repos) -> dict[str, list[dict[str, Any]]]:
    """The surveys' answers and the reviews, one row each, for /export."""
    parties = {p.id: p.key for p in await repos.parties.all()}
    modules = {c.id: c for c in await repos.courses.all()}
    courses = {cid: c.key for cid, c in modules.items()}

    def titled(course_id: int) -> dict[str, str | None]:
        found = modules.get(course_id)
        return {
            "course": courses.get(course_id),
            "title_en": found.title_en if found else None,
            "title_zh": found.title_zh if found else None,
        }

    surveys = {s.id: skills_of(s) for s in await repos.surveys.surveys()}
    demand = []
    for a in await repos.surveys.answers():
        skills = surveys.get(a.survey_id, [])
        demand.append(
            {
                "survey": a.survey_id,
                "party": parties.get(a.party_id),
                "answered_at": a.answered_at.isoformat() if a.answered_at else None,
                **{skill: int(i in chosen_of(a)) for i, skill in enumerate(skills)},
                "other_needs": a.need,
            }
        )
    reviews = [
        {
            "review": r.id,
            **titled(r.course_id),
            "party": parties.get(r.party_id),
            **{key: getattr(r, key) for key in QUESTION_KEYS},
            "change_requested": r.change,
            "answered_at": r.answered_at.isoformat() if r.answered_at else None,
        }
        for r in await repos.surveys.reviews()
    ]
    changes = [
        {
            **titled(c.course_id),
            "change": c.text,
            "answers_requests": ",".join(str(i) for i in ids),
            "recorded_at": c.recorded_at.isoformat(),
        }
        for c, ids in await repos.surveys.changes()
    ]
    return {"demand": demand, "course_reviews": reviews, "course_changes": changes}


async def personal_data(repos: Repos, person: Person) -> dict[str, Any]:
    """What /mydata shows: the person's survey answers, reviews and the changes they recorded."""
    parties = {p.id: p.key for p in await repos.parties.all()}
    courses = {c.id: c.key for c in await repos.courses.all()}
    surveys = {s.id: skills_of(s) for s in await repos.surveys.surveys()}
    return {
        "survey_answers": [
            {
                "survey": a.survey_id,
                "party": parties.get(a.party_id),
                "skills": [
                    surveys.get(a.survey_id, [])[i]
                    for i in sorted(chosen_of(a))
                    if i < len(surveys.get(a.survey_id, []))
                ],
                "other_needs": a.need,
                "answered_at": a.answered_at.isoformat() if a.answered_at else None,
            }
            for a in await repos.surveys.answers_of(person.id)
        ],
        "course_reviews": [
            {
                "course": courses.get(r.course_id),
                "party": parties.get(r.party_id),
                **{key: getattr(r, key) for key in QUESTION_KEYS},
                "change_requested": r.change,
            }
            for r in await repos.surveys.reviews_of(person.id)
        ],
        "course_changes_recorded": [
            {"course": courses.get(c.course_id), "change": c.text}
            for c in await repos.surveys.changes_by(person.id)
        ],
    }


async def forget(repos: Repos, person: Person, erased: str) -> None:
    """A forgotten person's words in answers and reviews; the party keeps its ticks and scores."""
    await repos.surveys.forget_words(person.id, erased)
