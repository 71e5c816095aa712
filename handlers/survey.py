"""The demand survey and the course review: /survey (send, results), /review (a module's
closed loop, a change recorded), the survey's and the review's buttons, and the free text
that ends each (the `survey` and `review` conversations)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain.numbers import row_id
from bot.domain.survey import SurveyInputError
from bot.outbox.survey import SurveyOutbox
from bot.renderers.survey import (
    render_loop,
    render_need_prompt,
    render_refusal,
    render_review_ask,
    render_review_thanks,
    render_review_usage,
    render_survey_ask,
    render_survey_problem,
    render_survey_results,
    render_survey_sent,
    render_survey_thanks,
    render_survey_usage,
)
from bot.services import survey
from bot.telegram.callbacks import (
    Action,
    ReviewOp,
    SurveyOp,
    rating_of_op,
    skill_of_op,
)
from db.models import Conversation, Person
from handlers.base import Continuation, Reply, Request, button, command


async def survey_command(request: Request) -> Reply:
    """/survey send SKILL, SKILL, ... or /survey results [NUMBER]."""
    t, args, person = request.t, request.args, request.caller.person
    assert person is not None
    sub = args[0].lower() if args else ""
    if sub == "send" and len(args) > 1:
        try:
            asks = await survey.send_survey(request.ctx, person, " ".join(args[1:]))
        except SurveyInputError as problem:
            return Reply(text=render_survey_problem(problem, t))
        if isinstance(asks, str):
            return Reply(text=render_refusal(asks, t))
        await SurveyOutbox(request.context.services, request.repos, request.now).surveys(asks)
        return Reply(text=render_survey_sent(asks, t), drain=True)
    if sub == "results" and len(args) <= 2:
        number = row_id(args[1]) if len(args) == 2 else None
        if len(args) == 2 and number is None:
            return Reply(text=render_survey_usage(t))
        results = await survey.results(request.ctx, number)
        if isinstance(results, str):
            return Reply(text=render_refusal(results, t))
        return Reply(text=render_survey_results(results, t))
    return Reply(text=render_survey_usage(t))


async def review_command(request: Request) -> Reply:
    """/review MODULE, or /review MODULE change [#N ...] TEXT."""
    t, args, person = request.t, request.args, request.caller.person
    assert person is not None
    if len(args) == 1:
        loop = await survey.loop(request.ctx, args[0])
        return Reply(
            text=render_refusal(loop, t) if isinstance(loop, str) else render_loop(loop, t)
        )
    if len(args) >= 3 and args[1].lower() == "change":
        words, numbers = args[2:], []
        while words and words[0].startswith("#") and (n := row_id(words[0][1:])) is not None:
            numbers.append(n)
            words = words[1:]
        try:
            loop = await survey.record_change(
                request.ctx, person, args[0], numbers, " ".join(words)
            )
        except SurveyInputError as problem:
            return Reply(text=render_survey_problem(problem, t))
        return Reply(
            text=render_refusal(loop, t) if isinstance(loop, str) else render_loop(loop, t)
        )
    return Reply(text=render_review_usage(t))


async def survey_button(request: Request) -> Reply:
    """sv:<answer>:<op>: tick a skill, Done, or No other needs."""
    t, person = request.t, request.caller.person
    assert person is not None
    answer_id, op = int(request.args[0]), request.args[1]
    index = skill_of_op(op)
    if index is not None:
        ask = await survey.toggle_skill(request.ctx, answer_id, person, index)
        render = render_survey_ask
    elif op == SurveyOp.DONE:
        ask = await survey.finish_skills(request.ctx, answer_id, person)
        render = render_need_prompt
    elif op == SurveyOp.NO_NEED:
        ask = await survey.write_need(request.ctx, answer_id, person, None)
        if isinstance(ask, str):
            return Reply(alert=render_refusal(ask, t))
        return Reply(text=render_survey_thanks(ask, t), edit=True)
    else:
        return Reply(alert=t.gettext("This button is no longer valid."))
    if isinstance(ask, str):
        return Reply(alert=render_refusal(ask, t))
    return Reply.of(render(ask, t), edit=True)


async def review_button(request: Request) -> Reply:
    """rv:<review>:<op>: a score on a question, or Nothing to change."""
    t, person = request.t, request.caller.person
    assert person is not None
    review_id, op = int(request.args[0]), request.args[1]
    rating = rating_of_op(op)
    if rating is not None:
        ask = await survey.rate(request.ctx, review_id, person, *rating)
        if isinstance(ask, str):
            return Reply(alert=render_refusal(ask, t))
        return Reply.of(render_review_ask(ask, t), edit=True)
    if op == ReviewOp.NO_CHANGE:
        done = await survey.write_change(request.ctx, review_id, person, None)
        if isinstance(done, str):
            return Reply(alert=render_refusal(done, t))
        return Reply(text=render_review_thanks(done, t), edit=True)
    return Reply(alert=t.gettext("This button is no longer valid."))


async def _need_message(
    request: Request, person: Person, conversation: Conversation, message: Message
) -> Reply:
    """The party's other needs, typed after Done."""
    t = request.t
    try:
        ask = await survey.write_need(request.ctx, conversation.ref_id, person, message.text or "")
    except SurveyInputError as problem:
        return Reply(text=render_survey_problem(problem, t))
    if isinstance(ask, str):
        await request.repos.conversations.clear(person.id)
        return Reply(text=render_refusal(ask, t))
    return Reply(text=render_survey_thanks(ask, t))


async def _change_message(
    request: Request, person: Person, conversation: Conversation, message: Message
) -> Reply:
    """What should change in the module, typed after the last score."""
    t = request.t
    try:
        done = await survey.write_change(
            request.ctx, conversation.ref_id, person, message.text or ""
        )
    except SurveyInputError as problem:
        return Reply(text=render_survey_problem(problem, t))
    if isinstance(done, str):
        await request.repos.conversations.clear(person.id)
        return Reply(text=render_refusal(done, t))
    return Reply(text=render_review_thanks(done, t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("survey", survey_command),
        command("review", review_command),
        button(Action.SURVEY, survey_button),
        button(Action.REVIEW, review_button),
    ]


# The conversations whose next private message this module takes (see handlers.onboarding).
CONVERSATIONS: dict[str, Continuation] = {
    survey.SURVEY: _need_message,
    survey.REVIEW: _change_message,
}
