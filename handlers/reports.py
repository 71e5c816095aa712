"""Weekly reports: /report and its guided conversation, /cancel, and the mentors' scoring.

Button operations on a draft (`rp:<report id>:<op>`): `w-YYYYMMDD` week, `t-KEY` toggle a
rule, `rn` rules done, `ep0` no episode, `pr0` no problems, `s-DIM-N` self-assessment,
`ad` files done, `ax` remove files, `e-STEP` edit a part, `sub` submit, `dis` / `disy` /
`keep` discard or not, `fix` correct a submitted report. On an assessment
(`sc:<assessment id>:<op>`): `go` start, `vI-N` score N for dimension I, `nc` no comment,
`ok` save, `re` start over.
"""

from __future__ import annotations

import datetime as dt
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.reports import (
    DIMENSIONS,
    MAX_COMMENT,
    STEPS,
    InputProblem,
    Scorable,
    parse_score,
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
from bot.telegram import callbacks
from db.models import Conversation, Person, WeeklyReport
from handlers.base import Continuation, Reply, Request, button, command

_SELF = re.compile(r"^s-(tech_rd|cross_cultural|rule_adaptation)-([1-5])$")
_VALUE = re.compile(r"^v([0-2])-(\d{1,3})$")
# The step at which a button (by its first two characters) may be pressed.
_STEP_OF = {
    "w-": "week",
    "t-": "rules",
    "rn": "rules",
    "ep": "episode",
    "pr": "problems",
    "s-": "self",
    "ad": "attachments",
    "ax": "attachments",
    "e-": "review",
    "su": "review",
}


def _ctx(request: Request) -> reports.Context:
    return reports.Context(
        request.repos, request.now, request.context.services.settings.default_timezone
    )


def _outbox(request: Request) -> ReportOutbox:
    return ReportOutbox(request.context.services, request.repos, request.now)


async def report_command(request: Request) -> Reply:
    """/report: start or continue this week's report (or last week's, when it is late)."""
    student = request.caller.person
    assert student is not None
    begin = await reports.begin(_ctx(request), student)
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
            callback_data=callbacks.encode(callbacks.Action.REPORT, conversation.ref_id, "dis"),
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
        weeks = (await reports.weeks_of(_ctx(request), request.caller.person)).open
    return Reply.of(render_step(report, step, request.t, weeks))


async def report_button(request: Request) -> Reply:
    found, op = numbers.row_id(request.args[0]), request.args[1]
    t, student = request.t, request.caller.person
    ctx = _ctx(request)
    owner = await request.repos.reports.get(found) if found else None
    if student is None or owner is None or owner.student_id != student.id:
        return Reply(alert=t.gettext("This button is not for you."))
    report_id = owner.id
    if op == "fix":
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
    t, ctx = request.t, _ctx(request)
    student = request.caller.person
    assert student is not None
    self_score = _SELF.match(op)
    conversation = await request.repos.conversations.get(student.id)
    current = (
        conversation.step
        if conversation is not None and conversation.ref_id == report.id
        else reports.next_step(reports.draft_state(report))
    )
    if _STEP_OF.get(op[:2], current) != current:
        return None  # a button from an earlier question
    if op.startswith("w-"):
        try:
            week = dt.datetime.strptime(op[2:], "%Y%m%d").date()
        except ValueError:
            return None
        if not await reports.choose_week(ctx, student, report, week):
            return None
    elif op.startswith("t-"):
        try:
            reports.toggle_rule(report, op[2:])
        except ValueError:
            return None
        return "rules"
    elif op == "rn":
        report.compliance = list(report.compliance or [])
    elif op == "ep0":
        report.episode = ""
    elif op == "pr0":
        report.problems = ""
    elif self_score:
        reports.set_self_score(report, self_score.group(1), int(self_score.group(2)))
    elif op == "ad":
        report.attachments_done = True
    elif op == "ax":
        await reports.clear_attachments(ctx, report)
        return "attachments"
    elif op.startswith("e-") and op[2:] in STEPS[1:-1]:
        step = reports.edit(report, op[2:])
        await request.repos.conversations.set(
            student.id, reports.REPORT, report.id, step, request.now
        )
        return step
    elif op == "sub":
        return await _submit(request, student, report)
    elif op in ("dis", "disy") and report.submitted_at is not None:
        # A correction edits the submitted report itself: it ends by being submitted again.
        return Reply(
            alert=t.gettext(
                "A submitted report is corrected, not discarded: "
                "press Submit the correction when you are done."
            )
        )
    elif op == "dis":
        return _confirm_discard(report, request)
    elif op == "disy":
        await reports.discard(ctx, student, report)
        return Reply(text=t.gettext("The draft is discarded."), edit=True)
    elif op != "keep":
        return None
    await request.repos.session.flush()
    return await reports.advance(ctx, student, report)


async def _submit(request: Request, student: Person, report: WeeklyReport) -> str | Reply:
    ctx = _ctx(request)
    step = await reports.advance(ctx, student, report)
    if step != "review":
        return step
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
        [[b(t.gettext("Yes, discard"), "disy"), b(t.gettext("Keep it"), "keep")]]
    )
    return Reply(text=question, keyboard=keyboard, edit=True)


async def _report_message(
    request: Request, student: Person, conversation: Conversation, message: Message
) -> Reply | None:
    t, ctx = request.t, _ctx(request)
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
    await request.repos.session.flush()
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


# --- scoring ----------------------------------------------------------------------------


def scoring_refusal(reason: str, t: Translator) -> Reply | None:
    """Why a mentor's press on an assessment does nothing (None: it goes on)."""
    alerts = {
        "not_yours": t.gettext("This button is not for you."),
        "gone": t.gettext("This report no longer exists."),
        "done": t.gettext("You have already scored this report."),
    }
    return Reply(alert=alerts[reason]) if reason in alerts else None


def score_op(assessment: Scorable, op: str) -> bool:
    """What a scoring button (a score `vI-N`, No comment `nc`, Start over `re`) does to an
    assessment, a weekly report's or a topic report's; False when `op` is none of them."""
    value = _VALUE.match(op)
    if value:
        if int(value.group(2)) > 100:
            return False
        reports.set_score(assessment, DIMENSIONS[int(value.group(1))].value, int(value.group(2)))
    elif op == "nc":
        assessment.comment = ""
    elif op == "re":
        reports.restart(assessment)
    else:
        return False
    return True


def score_text(assessment: Scorable, text: str, t: Translator) -> str | None:
    """A typed score or comment for the assessment's next step; the problem to say, if any."""
    step = reports.next_score_step(assessment)
    value = text.strip()
    if step in {d.value for d in DIMENSIONS}:
        try:
            reports.set_score(assessment, step, parse_score(value))
        except InputProblem as problem:
            return render_problem(problem, t)
        return None
    if step == "comment" and value:
        if len(value) > MAX_COMMENT:
            return render_problem(InputProblem("too_long", MAX_COMMENT), t)
        assessment.comment = value
        return None
    return t.gettext("Please use the buttons below.")


def _score_step(scoring: reports.Scoring, step: str, t: Translator) -> Rendered:
    assert scoring.assessment and scoring.report and scoring.student
    return render_score_step(scoring.assessment, scoring.report, scoring.student, step, t)


async def score_button(request: Request) -> Reply:
    assessment_id, op = numbers.row_id(request.args[0]), request.args[1]
    t, mentor = request.t, request.caller.person
    if mentor is None or assessment_id is None:
        return Reply(alert=t.gettext("This button is not for you."))
    ctx = _ctx(request)
    scoring = await reports.open_assessment(ctx, mentor, assessment_id)
    refused = scoring_refusal(scoring.reason, t)
    if refused is not None:
        return refused
    if scoring.reason == "correcting":
        return Reply(
            text=t.gettext(
                "The student is correcting this report; you will receive the corrected version."
            )
        )
    assert scoring.assessment and scoring.report and scoring.student
    if op == "go":
        step = await reports.remember_scoring(ctx, mentor, scoring)
        return Reply.of(
            render_score_step(scoring.assessment, scoring.report, scoring.student, step, t)
        )
    if op == "ok":
        return await _save(request, mentor, scoring)
    if not score_op(scoring.assessment, op):
        return Reply(alert=t.gettext("This button is no longer valid."))
    await request.repos.session.flush()
    step = await reports.remember_scoring(ctx, mentor, scoring)
    return Reply.of(
        render_score_step(scoring.assessment, scoring.report, scoring.student, step, t), edit=True
    )


async def _save(request: Request, mentor: Person, scoring: reports.Scoring) -> Reply:
    assert scoring.assessment and scoring.report and scoring.student
    ctx = _ctx(request)
    step = reports.next_score_step(scoring.assessment)
    if step != "confirm":
        return Reply.of(
            render_score_step(scoring.assessment, scoring.report, scoring.student, step, request.t),
            edit=True,
        )
    others = await reports.complete(ctx, mentor, scoring)
    await _outbox(request).feedback(scoring.assessment, scoring.report, scoring.student, mentor)
    threshold = int((await reports.rules(request.repos)).model.disagreement)
    text = render_saved(scoring.assessment, others, threshold, request.t)
    return Reply(text=text, edit=True, drain=True)


async def _score_message(
    request: Request, mentor: Person, conversation: Conversation, message: Message
) -> Reply | None:
    t, ctx = request.t, _ctx(request)
    scoring = await reports.open_assessment(ctx, mentor, conversation.ref_id)
    if scoring.reason != "ok":
        await request.repos.conversations.clear(mentor.id)
        return None
    assert scoring.assessment and scoring.report and scoring.student
    problem = score_text(scoring.assessment, message.text or "", t)
    await request.repos.session.flush()
    step = await reports.remember_scoring(ctx, mentor, scoring)
    reply = Reply.of(
        render_score_step(scoring.assessment, scoring.report, scoring.student, step, t)
    )
    if problem:
        reply.text = f"{problem}\n\n{reply.text}"
    return reply


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("report", report_command),
        command("cancel", cancel),
        button(callbacks.Action.REPORT, report_button),
        button(callbacks.Action.SCORE, score_button),
    ]


# The conversations whose next private message this module takes (see handlers.onboarding).
CONVERSATIONS: dict[str, Continuation] = {
    reports.REPORT: _report_message,
    reports.SCORE: _score_message,
}
