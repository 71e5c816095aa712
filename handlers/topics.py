"""Research topics: /topic and its subcommands, /topics, /topicreport, and their buttons.

The buttons on a topic (`tp:`), an application (`ta:`), a team's report (`tr:`) and a mentor's
scores (`ts:`) are named and explained in `bot.telegram.callbacks` (`TopicOp`, `Answer`,
`TopicReportOp`, `ScoreOp`).
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.access import COMMANDS_BY_NAME
from bot.domain.reports import InputProblem
from bot.domain.topics import MENTOR_KINDS
from bot.i18n import Translator
from bot.outbox.topics import TopicOutbox
from bot.renderers import Rendered
from bot.renderers.access import render_restricted
from bot.renderers.dashboard import with_open
from bot.renderers.reports import render_problem
from bot.renderers.topics import (
    person_name,
    render_apply_result,
    render_choose_topic,
    render_decision_for_publisher,
    render_published,
    render_report_begin,
    render_report_step,
    render_report_submitted,
    render_start_refusal,
    render_topic,
    render_topic_saved,
    render_topic_score_step,
    render_topic_step,
    render_topic_usage,
    render_topics,
    topic_label,
)
from bot.services import topics
from bot.services.scoring import TOPIC, TOPIC_SCORE, TopicScoring, topic_scored, with_scores
from bot.telegram import callbacks
from bot.telegram.callbacks import Answer, TopicOp, TopicReportOp
from db.models import Conversation, Person, Topic
from handlers.base import Continuation, Reply, Request, button, command
from handlers.scoring import Scorer


def _outbox(request: Request) -> TopicOutbox:
    return TopicOutbox(request.context.services, request.repos, request.now)


def _number(text: str) -> int | None:
    return numbers.row_id(text)


async def topic_command(request: Request) -> Reply:
    """/topic [new | NUMBER | need N TEXT | announce N | start N U E R | close N | apply N]."""
    t, args = request.t, request.args
    if not args:
        return Reply(text=render_topic_usage(t))
    sub = args[0].lower()
    if sub == "new":
        return await _new(request)
    if _number(sub) is not None:
        return await _show(request, _number(sub) or 0)
    actions = {
        "need": _need,
        "announce": _announce,
        "start": _start,
        "close": _close,
        "apply": _apply_command,
    }
    number = _number(args[1]) if len(args) > 1 else None
    if sub not in actions or number is None:
        return Reply(text=render_topic_usage(t))
    topic = await topics.visible(request.repos, number)
    if topic is None:
        return Reply(text=t.gettext("There is no topic #{id}.").format(id=number))
    return await actions[sub](request, topic)


async def _new(request: Request) -> Reply:
    t, person = request.t, request.caller.person
    assert person is not None
    if not request.in_private:
        return Reply(text=t.gettext("Please send /topic new to me in a private chat."))
    ctx = request.ctx
    begin = await topics.begin_topic(ctx, person)
    if begin.topic is None:
        return Reply(
            text=t.gettext("Only the contacts of a research institute can publish a topic.")
        )
    return Reply.of(render_topic_step(begin.topic, begin.step, t, await ctx.today()))


async def _show(request: Request, number: int) -> Reply:
    topic = await topics.visible(request.repos, number)
    if topic is None:
        return Reply(text=request.t.gettext("There is no topic #{id}.").format(id=number))
    ctx = request.ctx
    view = await with_scores(request.repos, await topics.view(request.repos, topic))
    return Reply.of(render_topic(view, request.t, await ctx.zone(), await ctx.today()))


async def _need(request: Request, topic: Topic) -> Reply:
    t, person = request.t, request.caller.person
    assert person is not None
    text = " ".join(request.args[2:])
    try:
        added = await topics.add_need(request.ctx, person, topic, text)
    except InputProblem as problem:
        return Reply(text=render_problem(problem, t))
    if added.reason == "not_allowed":
        return Reply(
            text=t.gettext("Only the contacts of an enterprise or an overseas site can add a need.")
        )
    if added.reason == "closed":
        return Reply(text=t.gettext("Topic {topic} is closed.").format(topic=topic_label(topic)))
    assert added.need is not None and added.party is not None
    await _outbox(request).need(topic, added.party, added.need.text, added.notify)
    return Reply(
        text=t.gettext("Your need is attached to topic {topic}; its institute is told.").format(
            topic=topic_label(topic)
        ),
        drain=True,
    )


async def _announce(request: Request, topic: Topic) -> Reply:
    t = request.t  # coordinators only (bot.domain.access)
    announced = await topics.announce(request.ctx, topic)
    if announced.reason == "not_open":
        return Reply(text=t.gettext("Only an open topic can be announced."))
    if announced.reason == "again":
        return Reply(
            text=t.gettext("Topic {topic} was announced before.").format(topic=topic_label(topic))
        )
    if announced.reason == "no_groups":
        return Reply(text=t.gettext("No group is linked yet: send /link in a group first."))
    view = await topics.view(request.repos, topic)
    await _outbox(request).announcement(view, announced.chats)
    return Reply(
        text=t.ngettext(
            "Topic {topic} is announced in {n} group.",
            "Topic {topic} is announced in {n} groups.",
            len(announced.chats),
        ).format(topic=topic_label(topic), n=len(announced.chats)),
        drain=True,
    )


async def _start(request: Request, topic: Topic) -> Reply:
    t, person = request.t, request.caller.person
    assert person is not None
    given = request.args[2:]
    ids = [numbers.telegram_id(g) for g in given]
    if len(given) != len(MENTOR_KINDS) or None in ids:
        return Reply(
            text=t.gettext(
                "Send /topic start {id} UNIVERSITY_MENTOR ENTERPRISE_MENTOR RESEARCH_MENTOR "
                "with the mentors' Telegram ids."
            ).format(id=topic.id)
        )
    mentors = {kind: g for kind, g in zip(MENTOR_KINDS, ids, strict=True) if g is not None}
    started = await topics.start(request.ctx, person, topic, mentors)
    if started.reason != "started" or started.view is None or started.first is None:
        return Reply(text=render_start_refusal(started.reason, started.problem, t))
    await _outbox(request).started(started.view, started.first)
    return Reply(
        text=t.gettext("Topic {topic} has started; the team and its mentors are told.").format(
            topic=topic_label(topic)
        ),
        drain=True,
    )


async def _close(request: Request, topic: Topic) -> Reply:
    t, person = request.t, request.caller.person
    assert person is not None
    reason = await topics.close(request.ctx, person, topic)
    if reason == "not_yours":
        return Reply(text=t.gettext("Only the publishing party's contacts can close a topic."))
    if reason == "closed_before":
        return Reply(text=t.gettext("Topic {topic} is closed.").format(topic=topic_label(topic)))
    view = await topics.view(request.repos, topic)
    await _outbox(request).closed(view, person)
    return Reply(
        text=t.gettext("Topic {topic} is closed; its record stays.").format(
            topic=topic_label(topic)
        ),
        drain=True,
    )


async def _apply_command(request: Request, topic: Topic) -> Reply:
    return await _apply(request, topic, alert=False)


async def _apply(request: Request, topic: Topic, alert: bool) -> Reply:
    t, student = request.t, request.caller.person
    if student is None or not request.caller.is_member:
        return Reply(alert=t.gettext("This button is not for you."))
    applied = await topics.apply(request.ctx, student, topic)
    party = await request.repos.parties.by_id(topic.party_id)
    text = render_apply_result(applied.reason, topic, party, t)
    if applied.application is not None:
        await _outbox(request).application(topic, student, applied.application, applied.notify)
    if alert:
        # In a group the answer is a private one: a short alert on the button, and a word
        # to someone the bot cannot write to yet.
        if applied.application is not None and not student.can_message:
            text = t.gettext(
                "Applied. Open a private chat with me and press Start, so that I can tell you "
                "the answer."
            )
        return Reply(alert=text[:190], drain=applied.application is not None)
    return Reply(text=text, drain=applied.application is not None)


async def topics_command(request: Request) -> Reply:
    """/topics: the open and running topics."""
    url = request.context.services.settings.webapp_url if request.in_private else None
    return Reply(
        text=render_topics(await topics.listed(request.repos), request.t),
        keyboard=with_open(None, url, request.t, view="topics"),
    )


# --- buttons on a topic --------------------------------------------------------------------


async def topic_button(request: Request) -> Reply:
    topic_id, op = numbers.row_id(request.args[0]), request.args[1]
    t, person = request.t, request.caller.person
    if topic_id is None:
        return Reply(alert=t.gettext("This button is no longer valid."))
    if person is None or not request.caller.is_member:
        return Reply(alert=t.gettext("This button is not for you."))
    ctx = request.ctx
    edit = callbacks.edit_of_op(op)
    if op in (TopicOp.PUBLISH, TopicOp.DISCARD) or edit is not None:
        draft = await topics.own_draft(ctx, person, topic_id)
        if draft is None or topics.next_topic_step(topics.draft_of(draft)) != "confirm":
            return Reply(alert=t.gettext("This button is no longer valid."))
        if op == TopicOp.DISCARD:
            await topics.discard(ctx, person, draft)
            return Reply(text=t.gettext("The draft topic is discarded."), edit=True)
        today = await ctx.today()
        if edit is not None or (draft.deadline is not None and draft.deadline < today):
            # Edit a part; a last day to apply that passed while the draft waited, too.
            problem = None if edit is not None else InputProblem("date_past")
            try:
                step = await topics.edit_topic(ctx, person, draft, edit or "deadline")
            except InputProblem:
                return Reply(alert=t.gettext("This button is no longer valid."))
            reply = Reply.of(render_topic_step(draft, step, t, today))
            if problem is not None:
                reply.text = f"{render_problem(problem, t)}\n\n{reply.text}"
            return reply
        coordinators = await topics.publish(ctx, person, draft)
        party = await request.repos.parties.by_id(draft.party_id)
        assert party is not None
        await _outbox(request).published(draft, party, coordinators)
        return Reply(text=render_published(draft, t), edit=True, drain=True)
    topic = await topics.visible(request.repos, topic_id)
    if topic is None:
        return Reply(alert=t.gettext("This button is no longer valid."))
    if op == TopicOp.ANNOUNCE:
        # A button, so not checked by the registry: the rule of `/topic announce`, from there.
        restricted = COMMANDS_BY_NAME["topic"].refused_sub(["announce"], request.caller.roles)
        if restricted is not None:
            return Reply.of(render_restricted(restricted, t))
        return await _announce(request, topic)
    if op == TopicOp.APPLY:
        return await _apply(request, topic, alert=not request.in_private)
    if op == TopicOp.REPORT:
        return await _begin_report(request, topic.id)
    return Reply(alert=t.gettext("This button is no longer valid."))


async def application_button(request: Request) -> Reply:
    application_id, op = numbers.row_id(request.args[0]), request.args[1]
    t, person = request.t, request.caller.person
    if person is None or application_id is None or op not in (Answer.ACCEPT, Answer.DECLINE):
        return Reply(alert=t.gettext("This button is not for you."))
    decision = await topics.decide(request.ctx, person, application_id, op == Answer.ACCEPT)
    text = render_decision_for_publisher(decision.reason, decision.topic, decision.student, t)
    if decision.reason in ("not_yours", "gone", "decided"):
        return Reply(alert=text[:190])
    if decision.reason in ("accepted", "declined"):
        assert decision.topic is not None and decision.student is not None
        await _outbox(request).decision(
            decision.reason == "accepted", decision.topic, decision.student
        )
        return Reply(text=text, edit=True, drain=True)
    return Reply(text=text)


# --- the team's report ---------------------------------------------------------------------


async def topicreport_command(request: Request) -> Reply:
    """/topicreport [NUMBER]: the team's report for the current cycle."""
    number = _number(request.args[0]) if request.args else None
    return await _begin_report(request, number)


async def _begin_report(request: Request, topic_id: int | None) -> Reply:
    t, student = request.t, request.caller.person
    assert student is not None
    ctx = request.ctx
    begin = await topics.begin_report(ctx, student, topic_id)
    if begin.reason == "choose":
        return Reply.of(render_choose_topic(begin.topics, t))
    if begin.reason == "draft" and begin.report is not None:
        draft = await topics.open_report(ctx, student, begin.report.id)
        assert draft is not None
        return Reply.of(render_report_step(draft, begin.step, t))
    names = {
        "topic": topic_label(begin.topic) if begin.topic else "",
        "author": person_name(begin.author) if begin.author else "",
    }
    return Reply(text=render_report_begin(begin.reason, t, **names))


async def report_button(request: Request) -> Reply:
    report_id, op = numbers.row_id(request.args[0]), request.args[1]
    t, student = request.t, request.caller.person
    if student is None or report_id is None:
        return Reply(alert=t.gettext("This button is not for you."))
    ctx = request.ctx
    draft = await topics.open_report(ctx, student, report_id)
    if draft is None:
        return Reply(alert=t.gettext("This button is no longer valid."))
    step = topics.next_report_step(draft.report)
    contributor, edit = callbacks.contributor_of_op(op), callbacks.edit_of_op(op)
    try:
        if contributor is not None and step == "contributors":
            topics.toggle_contributor(draft, contributor)
        elif op == TopicReportOp.CONTRIBUTORS_DONE and step == "contributors":
            topics.contributors_done(draft)
        elif edit is not None and step == "review":
            topics.edit_report(draft.report, edit)
        elif op == TopicReportOp.SUBMIT and step == "review":
            submission = await topics.submit_report(ctx, student, draft)
            await _outbox(request).submission(submission)
            return Reply(text=render_report_submitted(submission, t), edit=True, drain=True)
        else:
            return Reply(alert=t.gettext("This button is no longer valid."))
    except InputProblem as problem:
        return Reply(alert=render_problem(problem, t)[:190])
    step = await topics.remember_report(ctx, student, draft.report)
    # The contributors' buttons change in place.
    in_place = contributor is not None or op == TopicReportOp.CONTRIBUTORS_DONE
    return Reply.of(render_report_step(draft, step, t), edit=in_place)


# --- the mentors' scores (the flow is handlers.scoring's, shared with weekly reports) ---


def _score_step(found: TopicScoring, step: str, t: Translator) -> Rendered:
    assert found.assessment and found.report and found.subject
    return render_topic_score_step(
        found.assessment, found.subject, found.report, step, t, found.manual
    )


async def _saved(request: Request, mentor: Person, found: TopicScoring) -> str:
    assert found.report and found.subject
    scored = await topic_scored(request.ctx, mentor, found)
    await _outbox(request).feedback(scored, found.subject, found.report)
    return render_topic_saved(request.t)


_SCORER = Scorer(TOPIC, _score_step, _saved)


# --- messages in a conversation ------------------------------------------------------------


async def _topic_message(
    request: Request, person: Person, conversation: Conversation, message: Message
) -> Reply | None:
    t, ctx = request.t, request.ctx
    draft = await topics.own_draft(ctx, person, conversation.ref_id)
    if draft is None:
        await request.repos.conversations.clear(person.id)
        return None
    today = await ctx.today()
    try:
        if message.text is None:
            raise InputProblem("text_only")
        step = await topics.answer_topic(ctx, person, draft, message.text)
    except InputProblem as problem:
        step = topics.next_topic_step(topics.draft_of(draft))
        reply = Reply.of(render_topic_step(draft, step, t, today))
        reply.text = f"{render_problem(problem, t)}\n\n{reply.text}"
        return reply
    return Reply.of(render_topic_step(draft, step, t, today))


async def _report_message(
    request: Request, person: Person, conversation: Conversation, message: Message
) -> Reply | None:
    t, ctx = request.t, request.ctx
    draft = await topics.open_report(ctx, person, conversation.ref_id)
    if draft is None:
        await request.repos.conversations.clear(person.id)
        return None
    try:
        if message.text is None:
            raise InputProblem("text_only")
        step = await topics.answer_report(ctx, person, draft, message.text)
    except InputProblem as problem:
        step = topics.next_report_step(draft.report)
        reply = Reply.of(render_report_step(draft, step, t))
        reply.text = f"{render_problem(problem, t)}\n\n{reply.text}"
        return reply
    return Reply.of(render_report_step(draft, step, t))


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("topic", topic_command),
        command("topics", topics_command),
        command("topicreport", topicreport_command),
        button(callbacks.Action.TOPIC, topic_button),
        button(callbacks.Action.APPLICATION, application_button),
        button(callbacks.Action.TOPIC_REPORT, report_button),
        button(callbacks.Action.TOPIC_SCORE, _SCORER.button),
    ]


# The conversations whose next private message this module takes (see handlers.onboarding).
CONVERSATIONS: dict[str, Continuation] = {
    topics.TOPIC: _topic_message,
    topics.TOPIC_REPORT: _report_message,
    TOPIC_SCORE: _SCORER.message,
}
