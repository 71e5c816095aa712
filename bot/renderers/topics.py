"""What research topics say: writing one, its card and the list, applications and
decisions, the team's start, the cycle report's conversation, the mentors' scoring and
the reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.capability import DIMS
from bot.domain.manual import DEFAULT_MANUAL, Manual
from bot.domain.topics import Cycle
from bot.i18n import Translator, dates
from bot.renderers import Rendered, aside, esc, fit, listed, more_lines
from bot.renderers.reports import dimension_name, kind_name, render_scores, render_scoring
from bot.services.topics import ReportDraft, TopicSubmission, TopicView
from bot.telegram import callbacks
from bot.telegram.callbacks import Answer, ScoreOp, TopicOp, TopicReportOp
from db.models import (
    ApplicationState,
    Party,
    Person,
    Topic,
    TopicAssessment,
    TopicReport,
    TopicState,
)


def person_name(person: Person) -> str:
    return esc(person.name or person.telegram_id)


def _button(text: str, action: callbacks.Action, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.encode(action, *args))


def topic_label(topic: Topic) -> str:
    return f"#{topic.id} {esc(topic.title or '')}"


def state_name(state: TopicState, t: Translator) -> str:
    return {
        TopicState.DRAFT: t.gettext("draft"),
        TopicState.OPEN: t.gettext("open for applications"),
        TopicState.RUNNING: t.gettext("running"),
        TopicState.CLOSED: t.gettext("closed"),
    }[state]


def _cycle(cycle: Cycle, t: Translator) -> str:
    """A report cycle's days: `Nov 5 – 18` / `11月5日至18日`."""
    return dates.day_range(cycle.first_day, cycle.last_day, t)


# --- writing a topic -----------------------------------------------------------------------


def render_topic_step(topic: Topic, step: str, t: Translator, today: dt.date) -> Rendered:
    if step == "title":
        text = t.gettext("New research topic (1/5). Send its title.")
    elif step == "summary":
        text = t.gettext(
            "2/5. Send a short summary: the question, the method and what the team will deliver."
        )
    elif step == "skills":
        text = t.gettext(
            "3/5. Which skills are wanted? For example: Python, field interviews, Thai."
        )
    elif step == "team_size":
        text = t.gettext("4/5. How many students can the team take? Send a number from 1 to 20.")
    elif step == "deadline":
        text = t.gettext(
            "5/5. The last day to apply, as YYYY-MM-DD (for example {example})."
        ).format(example=(today + dt.timedelta(days=21)).isoformat())
    else:

        def edit(text: str, step: str) -> InlineKeyboardButton:
            return _button(text, callbacks.Action.TOPIC, topic.id, callbacks.edit_op(step))

        rows = [
            [
                _button(t.gettext("Publish"), callbacks.Action.TOPIC, topic.id, TopicOp.PUBLISH),
                _button(t.gettext("Discard"), callbacks.Action.TOPIC, topic.id, TopicOp.DISCARD),
            ],
            [
                edit(t.gettext("Edit the title"), "title"),
                edit(t.gettext("Edit the summary"), "summary"),
            ],
            [
                edit(t.gettext("Edit the skills"), "skills"),
                edit(t.gettext("Edit the team size"), "team_size"),
                edit(t.gettext("Edit the last day"), "deadline"),
            ],
        ]
        text = (
            t.gettext("Please check the topic before publishing it:")
            + "\n\n"
            + _topic_body(topic, t)
        )
        return Rendered(text, InlineKeyboardMarkup(rows))
    hint = t.gettext("Send /cancel to stop; the draft is kept.")
    return Rendered(f"{text}\n<i>{hint}</i>")


def _topic_body(topic: Topic, t: Translator) -> str:
    lines = [f"<b>{esc(topic.title or '')}</b>", esc(topic.summary or "")]
    lines.append(t.gettext("Skills wanted: {skills}").format(skills=esc(topic.skills or "")))
    if topic.deadline is not None:
        lines.append(
            t.ngettext(
                "Team of up to {n} student; apply by {date}",
                "Team of up to {n} students; apply by {date}",
                topic.team_size or 0,
            ).format(n=topic.team_size, date=dates.day(topic.deadline, t))
        )
    return "\n".join(lines)


def render_published(topic: Topic, t: Translator) -> str:
    return t.gettext(
        "Topic #{id} is published. Coordinators can announce it in the groups; students "
        "apply with its button or with /topic {id}."
    ).format(id=topic.id)


def render_new_topic_for_coordinator(topic: Topic, party: Party, t: Translator) -> Rendered:
    text = t.gettext("{party} published a research topic:").format(party=esc(party.name))
    text += "\n\n" + _topic_body(topic, t)
    button = _button(
        t.gettext("Announce in the groups"), callbacks.Action.TOPIC, topic.id, TopicOp.ANNOUNCE
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


# --- a topic and the list ------------------------------------------------------------------


def render_topic(view: TopicView, t: Translator, zone: str, today: dt.date) -> Rendered:
    topic = view.topic
    lines = [
        t.gettext("<b>Topic #{id}</b> ({state}), from {party}").format(
            id=topic.id, state=state_name(topic.state, t), party=esc(view.party.name)
        ),
        _topic_body(topic, t),
    ]
    for need, party in view.needs:
        lines.append(
            t.gettext("Need of {party}: {text}").format(party=esc(party.name), text=esc(need.text))
        )
    if view.team:
        lines.append(
            t.gettext("Team: {names}").format(names=listed((person_name(p) for p in view.team), t))
        )
    pending = sum(1 for a in view.applications if a.state is ApplicationState.PENDING)
    if pending:
        lines.append(
            t.ngettext(
                "{n} application waiting for an answer",
                "{n} applications waiting for an answer",
                pending,
            ).format(n=pending)
        )
    if view.mentors:
        lines.append(
            t.gettext("Mentors: {names}").format(
                names=listed(
                    (aside(person_name(p), kind_name(m.party_kind, t), t) for m, p in view.mentors),
                    t,
                )
            )
        )
    if topic.started_on is not None:
        submitted = sum(1 for r in view.reports if r.submitted_at is not None)
        lines.append(
            t.ngettext(
                "Reports every {days} day since {date}; {n} submitted",
                "Reports every {days} days since {date}; {n} submitted",
                topic.cycle_days,
            ).format(days=topic.cycle_days, date=dates.day(topic.started_on, t), n=submitted)
        )
        for report in view.reports:
            joint, scored, asked = view.scores.get(report.id, ({}, 0, 0))
            if not joint:
                continue
            values = ", ".join(
                f"{esc(dimension_name(d, t))} {joint[d]:.0f}" for d in DIMS if d in joint
            )
            lines.append(
                "• "
                + t.ngettext(
                    "Cycle {n}: {scores} ({scored} of {asked} mentor)",
                    "Cycle {n}: {scores} ({scored} of {asked} mentors)",
                    asked,
                ).format(n=report.cycle + 1, scores=values, scored=scored, asked=asked)
            )
    text = fit(lines, more_lines(t))
    keyboard = None
    if topic.state is TopicState.OPEN and (topic.deadline is None or today <= topic.deadline):
        keyboard = InlineKeyboardMarkup(
            [[_button(t.gettext("Apply"), callbacks.Action.TOPIC, topic.id, TopicOp.APPLY)]]
        )
    return Rendered(text, keyboard)


def render_topics(views: Sequence[TopicView], t: Translator) -> str:
    if not views:
        return t.gettext("No research topic is open or running. Research contacts: /topic new.")
    lines = ["<b>" + t.gettext("Research topics") + "</b>"]
    for view in views[:40]:
        topic = view.topic
        if topic.state is TopicState.OPEN:
            status = t.gettext("open, apply by {date}").format(
                date=dates.day(topic.deadline, t) if topic.deadline else "-"
            )
        else:
            status = t.ngettext(
                "running, team of {n}", "running, team of {n}", len(view.team)
            ).format(n=len(view.team))
        lines.append(f"{topic_label(topic)} — {esc(view.party.name)} — {status}")
    lines.append(t.gettext("Send /topic NUMBER for a topic's details."))
    return fit(lines, more_lines(t))


def render_announcement(view: TopicView, t: Translator) -> Rendered:
    topic = view.topic
    text = t.gettext("<b>New research topic #{id}</b> from {party}").format(
        id=topic.id, party=esc(view.party.name)
    )
    text += "\n" + _topic_body(topic, t)
    for need, party in view.needs:
        text += "\n" + t.gettext("Need of {party}: {text}").format(
            party=esc(party.name), text=esc(need.text)
        )
    text += "\n\n" + t.gettext(
        "Students: press Apply, and the institute will answer you privately."
    )
    button = _button(t.gettext("Apply"), callbacks.Action.TOPIC, topic.id, TopicOp.APPLY)
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def render_need_added(topic: Topic, party: Party, text: str, t: Translator) -> str:
    return t.gettext("{party} attached a need to topic {topic}: {text}").format(
        party=esc(party.name), topic=topic_label(topic), text=esc(text)
    )


# --- applications --------------------------------------------------------------------------


def render_application(
    topic: Topic, student: Person, application_id: int, t: Translator
) -> Rendered:
    text = t.gettext("{student} applies to join the team of topic {topic}.").format(
        student=person_name(student), topic=topic_label(topic)
    )
    rows = [
        [
            _button(
                t.gettext("Accept"), callbacks.Action.APPLICATION, application_id, Answer.ACCEPT
            ),
            _button(
                t.gettext("Decline"), callbacks.Action.APPLICATION, application_id, Answer.DECLINE
            ),
        ]
    ]
    return Rendered(text, InlineKeyboardMarkup(rows))


def render_apply_result(reason: str, topic: Topic, party: Party | None, t: Translator) -> str:
    if reason == "applied":
        return t.gettext(
            "Your application for topic {topic} is sent to {party}; the answer will come in our "
            "private chat."
        ).format(topic=topic_label(topic), party=esc(party.name if party else ""))
    return {
        "not_student": t.gettext("Only students can apply to a topic."),
        "not_open": t.gettext("Topic {topic} no longer takes applications."),
        "past_deadline": t.gettext("The last day to apply for topic {topic} has passed."),
        "already": t.gettext("You have already applied for topic {topic}."),
        "declined": t.gettext("Your application for topic {topic} was declined."),
    }[reason].format(topic=topic_label(topic))


def render_decision_for_student(accepted: bool, topic: Topic, t: Translator) -> str:
    if accepted:
        return t.gettext(
            "Welcome to the team of topic {topic}! Work starts when the institute names the "
            "team's mentors; you will hear from me then."
        ).format(topic=topic_label(topic))
    return t.gettext("Your application for topic {topic} was declined this time.").format(
        topic=topic_label(topic)
    )


def render_decision_for_publisher(
    reason: str, topic: Topic | None, student: Person | None, t: Translator
) -> str:
    names = {
        "topic": topic_label(topic) if topic else "",
        "student": person_name(student) if student else "",
    }
    return {
        "accepted": t.gettext("{student} is in the team of topic {topic}."),
        "declined": t.gettext("{student}'s application for topic {topic} is declined."),
        "decided": t.gettext("This application has already been answered."),
        "full": t.gettext("The team of topic {topic} is full; decline, or raise the team size."),
        "not_yours": t.gettext("Only the publishing party's contacts can answer applications."),
        "gone": t.gettext("This application no longer exists."),
    }[reason].format(**names)


# --- the team at work ----------------------------------------------------------------------


def render_started(view: TopicView, first: Cycle, zone: str, t: Translator) -> str:
    topic = view.topic
    return t.ngettext(
        "<b>Topic {topic} has started.</b>\nTeam: {team}\nMentors: {mentors}\nThe team "
        "reports every {days} day; the first report is due {due}. Students: send "
        "/topicreport.",
        "<b>Topic {topic} has started.</b>\nTeam: {team}\nMentors: {mentors}\nThe team "
        "reports every {days} days; the first report is due {due}. Students: send "
        "/topicreport.",
        topic.cycle_days,
    ).format(
        topic=topic_label(topic),
        team=listed((person_name(p) for p in view.team), t),
        mentors=listed(
            (aside(person_name(p), kind_name(m.party_kind, t), t) for m, p in view.mentors), t
        ),
        days=topic.cycle_days,
        due=dates.moment(first.due, zone, t),
    )


def render_closed(topic: Topic, t: Translator) -> str:
    return t.gettext(
        "Topic {topic} is closed: no more reports are due. Its reports, scores and "
        "achievements stay on record. Thank you for your work!"
    ).format(topic=topic_label(topic))


def render_start_refusal(reason: str, problem: str, t: Translator) -> str:
    return {
        "not_yours": t.gettext("Only the publishing party's contacts can start a topic."),
        "not_open": t.gettext("Only an open topic can start."),
        "no_team": t.gettext("Accept at least one student's application first."),
        "bad_mentor": t.gettext(
            "{problem} is not a mentor of a party of that kind. Give the Telegram ids of a "
            "university, an enterprise and a research mentor, in that order."
        ),
    }[reason].format(problem=esc(problem))


def render_cycle(topic: Topic, report: TopicReport, this: Cycle, t: Translator) -> str:
    # TRANSLATORS: a topic and one of its report cycles, as in "#1 Robot kits, Nov 5 – 18".
    return t.gettext("{topic}, {cycle}").format(topic=topic_label(topic), cycle=_cycle(this, t))


def render_report_step(draft: ReportDraft, step: str, t: Translator) -> Rendered:
    head = "<b>" + render_cycle(draft.topic, draft.report, draft.cycle, t) + "</b>\n"
    rid = draft.report.id
    if step == "progress":
        return Rendered(
            head
            + t.gettext("1/3. What did the team do in this cycle? Results, data, setbacks.")
            + "\n<i>"
            + t.gettext("Send /cancel to stop; the draft is kept.")
            + "</i>"
        )
    if step == "plans":
        return Rendered(
            head + t.gettext("2/3. What comes next, and what does the team need from the parties?")
        )
    if step == "contributors":
        chosen = draft.report.contributors
        rows = []
        for i, member in enumerate(draft.team):
            took_part = chosen is None or member.id in chosen
            mark = "✓" if took_part else "✗"
            rows.append(
                [
                    _button(
                        f"{mark} {member.name or member.telegram_id}",
                        callbacks.Action.TOPIC_REPORT,
                        rid,
                        callbacks.contributor_op(i),
                    )
                ]
            )
        rows.append(
            [
                _button(
                    t.gettext("Done"),
                    callbacks.Action.TOPIC_REPORT,
                    rid,
                    TopicReportOp.CONTRIBUTORS_DONE,
                )
            ]
        )
        return Rendered(
            head
            + t.gettext(
                "3/3. Who took part in this cycle? Press a name to leave them out or bring them "
                "back, then Done."
            ),
            InlineKeyboardMarkup(rows),
        )
    rows = [
        [_button(t.gettext("Submit"), callbacks.Action.TOPIC_REPORT, rid, TopicReportOp.SUBMIT)],
        [
            _button(
                t.gettext("Edit the progress"),
                callbacks.Action.TOPIC_REPORT,
                rid,
                callbacks.edit_op("progress"),
            ),
            _button(
                t.gettext("Edit the plans"),
                callbacks.Action.TOPIC_REPORT,
                rid,
                callbacks.edit_op("plans"),
            ),
        ],
        [
            _button(
                t.gettext("Edit who took part"),
                callbacks.Action.TOPIC_REPORT,
                rid,
                callbacks.edit_op("contributors"),
            )
        ],
    ]
    body = render_report_body(draft.report, draft.team, t)
    return Rendered(
        head + t.gettext("Please check the team's report:") + "\n\n" + body,
        InlineKeyboardMarkup(rows),
    )


def render_report_body(report: TopicReport, team: Sequence[Person], t: Translator) -> str:
    took_part = [p for p in team if p.id in (report.contributors or [])]
    return "\n".join(
        [
            t.gettext("Progress: {text}").format(text=esc(report.progress or "")),
            t.gettext("Next: {text}").format(text=esc(report.plans or "")),
            t.gettext("Took part: {names}").format(
                names=listed((person_name(p) for p in took_part), t) or "-"
            ),
        ]
    )


def render_report_begin(reason: str, t: Translator, **names: object) -> str:
    return {
        "no_topic": t.gettext("You are not in the team of a running research topic."),
        "taken": t.gettext("{author} is writing this cycle's report of topic {topic}."),
        "done": t.gettext("The reports of topic {topic} are up to date. Thank you!"),
        "choose": t.gettext("Which topic is the report for?"),
    }[reason].format(**names)


def render_choose_topic(topics: Sequence[Topic], t: Translator) -> Rendered:
    rows = [
        [
            _button(
                f"#{topic.id} {topic.title or ''}"[:60],
                callbacks.Action.TOPIC,
                topic.id,
                TopicOp.REPORT,
            )
        ]
        for topic in topics
    ]
    return Rendered(render_report_begin("choose", t), InlineKeyboardMarkup(rows))


def render_report_submitted(submission: TopicSubmission, t: Translator) -> str:
    return t.ngettext(
        "The report of topic {topic} for {cycle} is submitted. {n} mentor will score it.",
        "The report of topic {topic} for {cycle} is submitted. {n} mentors will score it.",
        len(submission.requests),
    ).format(
        topic=topic_label(submission.topic),
        cycle=_cycle(submission.cycle, t),
        n=len(submission.requests),
    )


def render_report_for_team(submission: TopicSubmission, t: Translator) -> str:
    return t.gettext("{author} submitted the report of topic {topic} for {cycle}.").format(
        author=person_name(submission.author),
        topic=topic_label(submission.topic),
        cycle=_cycle(submission.cycle, t),
    )


def render_review_request(
    submission: TopicSubmission, assessment: TopicAssessment, t: Translator
) -> Rendered:
    head = t.gettext("Report of topic {topic} for {cycle}").format(
        topic=topic_label(submission.topic), cycle=_cycle(submission.cycle, t)
    )
    late = " " + t.gettext("(late)") if submission.report.late else ""
    text = (
        f"<b>{head}</b>{late}\n\n{render_report_body(submission.report, submission.team, t)}\n\n"
        + t.gettext("Please score it as the {kind} mentor.").format(
            kind=kind_name(assessment.party_kind, t)
        )
    )
    button = _button(
        t.gettext("Score this report"), callbacks.Action.TOPIC_SCORE, assessment.id, ScoreOp.START
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def render_topic_score_step(
    assessment: TopicAssessment,
    topic: Topic,
    report: TopicReport,
    step: str,
    t: Translator,
    manual: Manual = DEFAULT_MANUAL,
) -> Rendered:
    who = t.gettext("Topic {topic}, cycle {n}").format(topic=topic_label(topic), n=report.cycle + 1)
    return render_scoring(
        assessment, who, t.gettext("the team"), step, t, callbacks.Action.TOPIC_SCORE, manual
    )


def render_topic_saved(t: Translator) -> str:
    return t.gettext("Saved; the team will see your scores.")


def render_topic_feedback(
    assessment: TopicAssessment,
    topic: Topic,
    report: TopicReport,
    mentor: Person,
    manual: Manual,
    t: Translator,
) -> str:
    head = t.gettext(
        "Your {kind} mentor {mentor} scored the report of topic {topic}, cycle {n}:"
    ).format(
        kind=kind_name(assessment.party_kind, t),
        mentor=person_name(mentor),
        topic=topic_label(topic),
        n=report.cycle + 1,
    )
    return f"<b>{head}</b>\n{render_scores(assessment, t, manual)}"


def render_team_reminder(stage: str, topic: Topic, this: Cycle, zone: str, t: Translator) -> str:
    if stage == "remind":
        return t.gettext(
            "The report of topic {topic} for {cycle} is due {due}. Send /topicreport."
        ).format(
            topic=topic_label(topic), cycle=_cycle(this, t), due=dates.moment(this.due, zone, t)
        )
    return t.gettext(
        "The report of topic {topic} for {cycle} was not submitted and is recorded as missing."
    ).format(topic=topic_label(topic), cycle=_cycle(this, t))


def render_topic_review_reminder(
    assessment: TopicAssessment, topic: Topic, report: TopicReport, t: Translator
) -> Rendered:
    text = t.gettext(
        "The report of topic {topic}, cycle {n} has been waiting for your scores for a few days."
    ).format(topic=topic_label(topic), n=report.cycle + 1)
    button = _button(
        t.gettext("Score this report"), callbacks.Action.TOPIC_SCORE, assessment.id, ScoreOp.START
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def render_topic_usage(t: Translator) -> str:
    return t.gettext(
        "Research topics:\n"
        "/topics: open and running topics\n"
        "/topic NUMBER: a topic, with its Apply button\n"
        "/topic new: publish a topic (research institutes' contacts)\n"
        "/topic need NUMBER TEXT: what your enterprise or site needs from it\n"
        "/topic announce NUMBER: announce it in the groups (coordinators)\n"
        "/topic start NUMBER UNIVERSITY_MENTOR ENTERPRISE_MENTOR RESEARCH_MENTOR: start the "
        "accepted team (Telegram ids)\n"
        "/topic close NUMBER: close it\n"
        "/topicreport: the team's report for this cycle (team members)"
    )
