"""Weekly reports: /report and its guided conversation, /cancel, and the mentors' scoring.

The buttons on a draft (`rp:<report id>:<op>`) and on an assessment (`sc:<assessment id>:<op>`)
are named and explained in `bot.telegram.callbacks` (`ReportOp`, `ScoreOp` and the ops with
a value).
"""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.reports import (
    DIMENSIONS,
    STEPS,
    InputProblem,
)
from bot.i18n import Translator
from bot.outbox.reports import ReportOutbox
from bot.renderers import Rendered
from bot.renderers.reports import (
    render_begin,
    render_problem,
    render_review,
    render_saved,
    render_score_step,
    render_step,
    render_submitted,
)
from bot.services import reports, topics
from bot.services.scoring import SCORE, WEEKLY, WeeklyScoring
from bot.telegram import callbacks
from bot.telegram.callbacks import ReportOp
from db.models import Conversation, Person, WeeklyReport
from handlers.base import Continuation, Reply, Request, button, command
from handlers.scoring import Scorer

# The step at which a button may be pressed; any other is refused as one from an earlier
# question. Buttons not named here (discard, keep, fix) work at any step.
_STEP_OF: dict[str, str] = {
    ReportOp.RULES_DONE: "rules",
    ReportOp.NO_EPISODE: "episode",
    ReportOp.NO_PROBLEMS: "problems",
    ReportOp.FILES_DONE: "attachments",
    ReportOp.REMOVE_FILES: "attachments",
    ReportOp.SUBMIT: "review",
}
_STEP_OF_KIND = (
    (callbacks.week_of_op, "week"),
    (callbacks.rule_of_op, "rules"),
    (callbacks.self_score_of_op, "self"),
    (callbacks.edit_of_op, "review"),
)


def _step_of(op: str) -> str | None:
    if op in _STEP_OF:
        return _STEP_OF[op]
    return next((step for kind, step in _STEP_OF_KIND if kind(op) is not None), None)


def _outbox(request: Request) -> ReportOutbox:
    return ReportOutbox(request.context.services, request.repos, request.now)


async def report_command(request: Request) -> Reply:
    """/report: start or continue this week's report (or last week's, when it is late)."""
    student = request.caller.person
    assert student is not None
    begin = await reports.begin(request.ctx, student)
    if begin.reason != "draft" or begin.report is None:
        return Reply.of(render_begin(begin.reason, begin.report, request.t))
    return Reply.of(render_step(begin.report, begin.step, request.t, begin.weeks))


async def cancel(request: Request) -> Reply:
    """/cancel: leave the conversation; a draft stays for later unless discarded."""
    t, person = request.t, request.caller.person
    conversation = await request.repos.conversations.get(person.id) if person else None
    if person is None or conversation is None:
        return Reply(text=t.gettext("There is nothing to cancel."))
    await request.repos.conversations.clear(person.id)
    draft = await request.repos.reports.get(conversation.ref_id)
    if conversation.kind == reports.REPORT and draft is not None and draft.submitted_at:
        return Reply(
            text=t.gettext(
                "Your correction is kept. Send /report to finish it: mentors score the report "
                "once you submit the correction."
            )
        )
    if conversation.kind == reports.REPORT:
        discard = InlineKeyboardButton(
            t.gettext("Discard the draft"),
            callback_data=callbacks.encode(
                callbacks.Action.REPORT, conversation.ref_id, ReportOp.DISCARD
            ),
        )
        return Reply(
            text=t.gettext("Your draft is saved. Send /report to continue where you left off."),
            keyboard=InlineKeyboardMarkup([[discard]]),
        )
    if conversation.kind == topics.TOPIC:
        return Reply(text=t.gettext("Your draft topic is saved. Send /topic new to continue it."))
    if conversation.kind == topics.TOPIC_REPORT:
        return Reply(
            text=t.gettext("The team's draft report is saved. Send /topicreport to continue it.")
        )
    return Reply(
        text=t.gettext(
            "Scoring paused; what you entered is kept. Press Score this report to go on."
        )
    )


async def _prompt(request: Request, report: WeeklyReport, step: str) -> Reply:
    weeks: list[dt.date] = []
    if step == "week":
        assert request.caller.person is not None
        weeks = (await reports.weeks_of(request.ctx, request.caller.person)).open
    return Reply.of(render_step(report, step, request.t, weeks))


async def report_button(request: Request) -> Reply:
    found, op = numbers.row_id(request.args[0]), request.args[1]
    t, student = request.t, request.caller.person
    ctx = request.ctx
    owner = await request.repos.reports.get(found) if found else None
    if student is None or owner is None or owner.student_id != student.id:
        return Reply(alert=t.gettext("This button is not for you."))
    report_id = owner.id
    if op == ReportOp.FIX:
        outcome = await reports.start_correction(ctx, student, report_id)
        report = await reports.open_draft(ctx, student, report_id)
        if outcome != "ok" or report is None:
            return Reply.of(render_begin("done", owner, t), edit=True)
        return Reply.of(render_review(report, t), edit=True)
    report = await reports.open_draft(ctx, student, report_id)
    if report is None:
        return Reply(alert=t.gettext("This draft is no longer open; send /report."))
    step = await _apply_button(request, report, op)
    if step is None:
        return Reply(alert=t.gettext("This button is no longer valid."))
    if isinstance(step, Reply):
        return step
    reply = await _prompt(request, report, step)
    reply.edit = True
    return reply


async def _apply_button(request: Request, report: WeeklyReport, op: str) -> str | Reply | None:
    """Apply a button to the draft; the step to show next, a finished reply, or None."""
    t, ctx = request.t, request.ctx
    student = request.caller.person
    assert student is not None
    conversation = await request.repos.conversations.get(student.id)
    current = (
        conversation.step
        if conversation is not None and conversation.ref_id == report.id
        else reports.next_step(reports.draft_state(report))
    )
    if _step_of(op) not in (None, current):
        return None  # a button from an earlier question
    week, rule, edit = callbacks.week_of_op(op), callbacks.rule_of_op(op), callbacks.edit_of_op(op)
    if week is not None:
        if not await reports.choose_week(ctx, student, report, week):
            return None
    elif rule is not None:
        try:
            reports.toggle_rule(report, rule)
        except ValueError:
            return None
        return "rules"
    elif op == ReportOp.RULES_DONE:
        report.compliance = list(report.compliance or [])
    elif op == ReportOp.NO_EPISODE:
        report.episode = ""
    elif op == ReportOp.NO_PROBLEMS:
        report.problems = ""
    elif (own := callbacks.self_score_of_op(op)) is not None:
        reports.set_self_score(report, *own)
    elif op == ReportOp.FILES_DONE:
        report.attachments_done = True
    elif op == ReportOp.REMOVE_FILES:
        await reports.clear_attachments(ctx, report)
        return "attachments"
    elif edit is not None and edit in STEPS[1:-1]:
        step = reports.edit(report, edit)
        await request.repos.conversations.set(
            student.id, reports.REPORT, report.id, step, request.now
        )
        return step
    elif op == ReportOp.SUBMIT:
        return await _submit(request, student, report)
    elif op in (ReportOp.DISCARD, ReportOp.DISCARD_YES) and report.submitted_at is not None:
        # A correction edits the submitted report itself: it ends by being submitted again.
        return Reply(
            alert=t.gettext(
                "A submitted report is corrected, not discarded: "
                "press Submit the correction when you are done."
            )
        )
    elif op == ReportOp.DISCARD:
        return _confirm_discard(report, request)
    elif op == ReportOp.DISCARD_YES:
        await reports.discard(ctx, student, report)
        return Reply(text=t.gettext("The draft is discarded."), edit=True)
    elif op != ReportOp.KEEP:
        return None
    await request.repos.flush()
    return await reports.advance(ctx, student, report)


async def _submit(request: Request, student: Person, report: WeeklyReport) -> str | Reply:
    ctx = request.ctx
    if reports.next_step(reports.draft_state(report)) != "review":
        return await reports.advance(ctx, student, report)  # the step it still needs
    # Complete: submitted without moving the conversation to it, so that a Submit left on
    # an earlier message does not end the one the student is in (a correction, say).
    submission = await reports.submit(ctx, student, report)
    await _outbox(request).submission(submission)
    text = render_submitted(report, submission.corrected, len(submission.requests), request.t)
    return Reply(text=text, edit=True, drain=True)


def _confirm_discard(report: WeeklyReport, request: Request) -> Reply:
    t = request.t

    def b(text: str, op: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text, callback_data=callbacks.encode(callbacks.Action.REPORT, report.id, op)
        )

    question = t.gettext("Discard this draft? This cannot be undone.")
    keyboard = InlineKeyboardMarkup(
        [
            [
                b(t.gettext("Yes, discard"), ReportOp.DISCARD_YES),
                b(t.gettext("Keep it"), ReportOp.KEEP),
            ]
        ]
    )
    return Reply(text=question, keyboard=keyboard, edit=True)


async def _report_message(
    request: Request, student: Person, conversation: Conversation, message: Message
) -> Reply | None:
    t, ctx = request.t, request.ctx
    report = await reports.open_draft(ctx, student, conversation.ref_id)
    if report is None:
        await request.repos.conversations.clear(student.id)
        return None
    step = conversation.step
    attachment = _attachment(message)
    if attachment is not None:
        try:
            count = await reports.add_attachment(ctx, report, *attachment)
        except InputProblem as problem:
            reply = await _prompt(request, report, step)
            reply.text = f"{render_problem(problem, t)}\n\n{reply.text}"
            return reply
        reply = await _prompt(request, report, step)
        added = t.gettext("File added to your draft ({n} so far).").format(n=count)
        reply.text = f"{added}\n\n{reply.text}"
        return reply
    text = message.text
    if text is None:
        return Reply(text=t.gettext("Please send text, a photo or a document."))
    try:
        if step in ("activities", "hours", "episode", "problems", "rules"):
            reports.answer_text(report, step, text)
        elif step == "self" and text.strip() in {"1", "2", "3", "4", "5"}:
            missing = next(
                d.value for d in DIMENSIONS if getattr(report, f"self_{d.value}") is None
            )
            reports.set_self_score(report, missing, int(text.strip()))
        else:
            reply = await _prompt(request, report, step)
            reply.text = t.gettext("Please use the buttons below.") + "\n\n" + (reply.text or "")
            return reply
    except InputProblem as problem:
        reply = await _prompt(request, report, step)
        reply.text = f"{render_problem(problem, t)}\n\n{reply.text}"
        return reply
    await request.repos.flush()
    if step == "rules":
        return await _prompt(request, report, "rules")
    step = await reports.advance(ctx, student, report)
    return await _prompt(request, report, step)


def _attachment(message: Message) -> tuple[str, str, str, str | None, int | None] | None:
    if message.photo:
        photo = message.photo[-1]
        return "photo", photo.file_id, photo.file_unique_id, None, photo.file_size
    if message.document is not None:
        doc = message.document
        return "document", doc.file_id, doc.file_unique_id, doc.file_name, doc.file_size
    return None


# --- scoring (the flow is handlers.scoring's, shared with a topic's report) ---------------


def _score_step(found: WeeklyScoring, step: str, t: Translator) -> Rendered:
    assert found.assessment and found.report and found.subject
    return render_score_step(found.assessment, found.report, found.subject, step, t, found.manual)


async def _saved(request: Request, mentor: Person, found: WeeklyScoring) -> str:
    assert found.assessment and found.report and found.subject
    others = await WEEKLY.complete(request.ctx, mentor, found)
    await _outbox(request).feedback(
        found.assessment, found.report, found.subject, mentor, found.manual
    )
    threshold = int((await reports.rules(request.repos)).model.disagreement)
    return render_saved(found.assessment, others, threshold, request.t)


_SCORER = Scorer(WEEKLY, _score_step, _saved)


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("report", report_command),
        command("cancel", cancel),
        button(callbacks.Action.REPORT, report_button),
        button(callbacks.Action.SCORE, _SCORER.button),
    ]


# The conversations whose next private message this module takes (see handlers.onboarding).
CONVERSATIONS: dict[str, Continuation] = {
    reports.REPORT: _report_message,
    SCORE: _SCORER.message,
}
