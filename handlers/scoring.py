"""The mentors' scoring buttons and typed scores, one handler flow for a weekly report
(`sc:`) and a topic's cycle report (`ts:`). `handlers.reports` and `handlers.topics` each
give a `Scorer`: the service's `Kind` (what differs, as data), how a step is rendered, and
what saving tells; this module holds the rest, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import Message

from bot.domain import numbers
from bot.domain.reports import DIMENSIONS, MAX_COMMENT, InputProblem, Scorable, parse_score
from bot.i18n import Translator
from bot.renderers import Rendered
from bot.renderers.reports import render_problem
from bot.services import scoring
from bot.services.scoring import Kind, Scoring, next_score_step
from bot.telegram import callbacks
from bot.telegram.callbacks import ScoreOp
from db.models import Conversation, Person
from handlers.base import Reply, Request

A = TypeVar("A", bound=Any)
R = TypeVar("R", bound=Any)
S = TypeVar("S", bound=Any)


@dataclass(frozen=True)
class Scorer(Generic[A, R, S]):
    """What a feature gives the scoring flow."""

    kind: Kind[A, R, S]
    render_step: Callable[[Scoring[A, R, S], str, Translator], Rendered]
    # Save the finished scores, write what must be told, and the text for the mentor.
    saved: Callable[[Request, Person, Scoring[A, R, S]], Awaitable[str]]

    async def button(self, request: Request) -> Reply:
        """A press on an assessment's button: start, a score, No comment, Start over, Save."""
        assessment_id, op = numbers.row_id(request.args[0]), request.args[1]
        t, mentor, kind = request.t, request.caller.person, self.kind
        if mentor is None or assessment_id is None:
            return Reply(alert=t.gettext("This button is not for you."))
        ctx = request.ctx
        found = await kind.open_assessment(ctx, mentor, assessment_id)
        if found.reason == "done" and op == ScoreOp.START:
            await kind.rescore(ctx, found)  # scored under an older manual: again, both kept
        refused = scoring_refusal(found.reason, t)
        if refused is not None:
            return refused
        if found.reason == "correcting":  # a weekly report only (`Kind.has_correcting`)
            return Reply(
                text=t.gettext(
                    "The student is correcting this report; you will receive the corrected version."
                )
            )
        assessment = found.assessment
        assert assessment is not None and found.report is not None and found.subject is not None
        if op == ScoreOp.SAVE and next_score_step(assessment) == "confirm":
            return Reply(text=await self.saved(request, mentor, found), edit=True, drain=True)
        if op == ScoreOp.SAVE and kind.early_save_reshows:
            step = next_score_step(assessment)
            return Reply.of(self.render_step(found, step, t), edit=True)
        changed = op != ScoreOp.START
        if changed and not score_op(assessment, op):
            return Reply(alert=t.gettext("This button is no longer valid."))
        step = await kind.remember_scoring(ctx, mentor, assessment, changed)
        return Reply.of(self.render_step(found, step, t), edit=changed)

    async def message(
        self, request: Request, mentor: Person, conversation: Conversation, message: Message
    ) -> Reply | None:
        """A typed score or comment, in the mentor's scoring conversation."""
        t, ctx, kind = request.t, request.ctx, self.kind
        found = await kind.open_assessment(ctx, mentor, conversation.ref_id)
        if found.reason != "ok":
            await request.repos.conversations.clear(mentor.id)
            return None
        assert found.assessment is not None
        problem = score_text(found.assessment, message.text or "", t)
        step = await kind.remember_scoring(ctx, mentor, found.assessment, changed=True)
        reply = Reply.of(self.render_step(found, step, t))
        if problem:
            reply.text = f"{problem}\n\n{reply.text}"
        return reply


def scoring_refusal(reason: str, t: Translator) -> Reply | None:
    """Why a mentor's press on an assessment does nothing (None: it goes on)."""
    alerts = {
        "not_yours": t.gettext("This button is not for you."),
        "gone": t.gettext("This report no longer exists."),
        "done": t.gettext("You have already scored this report."),
    }
    return Reply(alert=alerts[reason]) if reason in alerts else None


def score_op(assessment: Scorable, op: str) -> bool:
    """What a scoring button (a score, No comment, Start over) does to an assessment, a
    weekly report's or a topic report's; False when `op` is none of them."""
    value = callbacks.value_of_op(op)
    if value is not None:
        index, score = value
        if score > 100:
            return False
        scoring.set_score(assessment, DIMENSIONS[index].value, score)
    elif op == ScoreOp.NO_COMMENT:
        assessment.comment = ""
    elif op == ScoreOp.START_OVER:
        scoring.restart(assessment)
    else:
        return False
    return True


def score_text(assessment: Scorable, text: str, t: Translator) -> str | None:
    """A typed score or comment for the assessment's next step; the problem to say, if any."""
    step = next_score_step(assessment)
    value = text.strip()
    if step in {d.value for d in DIMENSIONS}:
        try:
            scoring.set_score(assessment, step, parse_score(value))
        except InputProblem as problem:
            return render_problem(problem, t)
        return None
    if step == "comment" and value:
        if len(value) > MAX_COMMENT:
            return render_problem(InputProblem("too_long", MAX_COMMENT), t)
        assessment.comment = value
        return None
    return t.gettext("Please use the buttons below.")
