"""Demand surveys and their answers, course reviews and the changes recorded against them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    CourseChange,
    CourseChangeRequest,
    CourseReview,
    Survey,
    SurveyAnswer,
)


class SurveyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- demand surveys ---------------------------------------------------------------------

    async def add_survey(self, survey: Survey) -> Survey:
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def survey(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def latest_survey(self) -> Survey | None:
        return await self.session.scalar(select(Survey).order_by(Survey.id.desc()).limit(1))

    async def surveys(self) -> Sequence[Survey]:
        return (await self.session.scalars(select(Survey).order_by(Survey.id))).all()

    async def add_answers(self, answers: Iterable[SurveyAnswer]) -> list[SurveyAnswer]:
        added = list(answers)
        self.session.add_all(added)
        await self.session.flush()
        return added

    async def answer(self, answer_id: int) -> SurveyAnswer | None:
        return await self.session.get(SurveyAnswer, answer_id, populate_existing=True)

    async def answers(self, survey_id: int | None = None) -> Sequence[SurveyAnswer]:
        query = select(SurveyAnswer).order_by(SurveyAnswer.id)
        if survey_id is not None:
            query = query.where(SurveyAnswer.survey_id == survey_id)
        return (await self.session.scalars(query)).all()

    async def answers_of(self, person_id: int) -> Sequence[SurveyAnswer]:
        query = select(SurveyAnswer).where(SurveyAnswer.person_id == person_id)
        return (await self.session.scalars(query.order_by(SurveyAnswer.id))).all()

    # --- course reviews ---------------------------------------------------------------------

    async def reviewed_courses(self) -> set[int]:
        """The courses already put to their builders."""
        query = select(CourseReview.course_id).distinct()
        return set((await self.session.scalars(query)).all())

    async def add_reviews(self, reviews: Iterable[CourseReview]) -> list[CourseReview]:
        added = list(reviews)
        self.session.add_all(added)
        await self.session.flush()
        return added

    async def review(self, review_id: int) -> CourseReview | None:
        return await self.session.get(CourseReview, review_id, populate_existing=True)

    async def reviews(self, course_id: int | None = None) -> Sequence[CourseReview]:
        query = select(CourseReview).order_by(CourseReview.id)
        if course_id is not None:
            query = query.where(CourseReview.course_id == course_id)
        return (await self.session.scalars(query)).all()

    async def reviews_of(self, person_id: int) -> Sequence[CourseReview]:
        query = select(CourseReview).where(CourseReview.person_id == person_id)
        return (await self.session.scalars(query.order_by(CourseReview.id))).all()

    async def add_change(self, change: CourseChange, review_ids: Iterable[int]) -> CourseChange:
        self.session.add(change)
        await self.session.flush()
        self.session.add_all(
            CourseChangeRequest(change_id=change.id, review_id=review_id)
            for review_id in sorted(set(review_ids))
        )
        await self.session.flush()
        return change

    async def changes(self, course_id: int | None = None) -> list[tuple[CourseChange, list[int]]]:
        """The changes recorded (of one course, or all), oldest first, each with the ids of
        the reviews whose requests it answers."""
        query = select(CourseChange).order_by(CourseChange.id)
        if course_id is not None:
            query = query.where(CourseChange.course_id == course_id)
        changes = (await self.session.scalars(query)).all()
        links = await self.session.execute(
            select(CourseChangeRequest.change_id, CourseChangeRequest.review_id).where(
                CourseChangeRequest.change_id.in_([c.id for c in changes])
            )
        )
        answered: dict[int, list[int]] = {}
        for change_id, review_id in links.all():
            answered.setdefault(change_id, []).append(review_id)
        return [(c, sorted(answered.get(c.id, []))) for c in changes]

    async def changes_by(self, person_id: int) -> Sequence[CourseChange]:
        query = select(CourseChange).where(CourseChange.recorded_by_id == person_id)
        return (await self.session.scalars(query.order_by(CourseChange.id))).all()

    async def forget_words(self, person_id: int, erased: str) -> None:
        """A forgotten person's free text: needs and change requests go; their party's
        ticks and scores stay. A change they recorded keeps its text (it says what the
        module did, not about them) and loses its author."""
        await self.session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.person_id == person_id, SurveyAnswer.need.is_not(None))
            .values(need=erased)
        )
        await self.session.execute(
            update(CourseReview)
            .where(CourseReview.person_id == person_id, CourseReview.change.is_not(None))
            .values(change=erased)
        )
