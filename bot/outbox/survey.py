"""Survey and review messages that must arrive, written in the caller's transaction: the
demand survey to each contact, and a module's review to each contact of its builders, in
their language."""

from __future__ import annotations

from functools import partial

from bot.outbox.writer import OutboxWriter
from bot.renderers.survey import render_review_ask, render_survey_ask
from bot.services.survey import Ask, ReviewAsk


class SurveyOutbox(OutboxWriter):
    async def surveys(self, asks: list[Ask]) -> None:
        for ask in asks:
            await self._each([ask.person], "survey.ask", partial(render_survey_ask, ask))

    async def reviews(self, asks: list[ReviewAsk]) -> None:
        for ask in asks:
            await self._each([ask.person], "survey.review", partial(render_review_ask, ask))
