"""What the weekly reports say: the guided conversation, the review screen, the mentors'
scoring with its rubric, feedback to the student and the reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.manual import DEFAULT_MANUAL, Manual
from bot.domain.reports import (
    COMPLIANCE,
    DIMENSIONS,
    MAX_ATTACHMENTS,
    MAX_FILE_BYTES,
    InputProblem,
    Scorable,
    Stage,
)
from bot.i18n import Translator, dates
from bot.renderers import Rendered, aside, esc, labelled, listed, then
from bot.renderers.manual import dimension_name, level_label, rubric_lines, version_line
from bot.telegram import callbacks
from bot.telegram.callbacks import ReportOp, ScoreOp
from db.models import Assessment, Party, PartyKind, Person, ReportAttachment, WeeklyReport

SCORE_BUTTONS = (40, 50, 60, 70, 80, 90, 100)


def compliance_name(key: str, t: Translator) -> str:
    return {
        "data_protection": t.gettext("Data protection"),
        "child_privacy": t.gettext("Child privacy"),
        "copyright": t.gettext("Copyright"),
        "local_standards": t.gettext("Local standards"),
    }[key]


def kind_name(kind: PartyKind | str, t: Translator) -> str:
    return {
        "university": t.gettext("university"),
        "enterprise": t.gettext("enterprise"),
        "research": t.gettext("research institute"),
        "overseas_site": t.gettext("overseas site"),
        "government": t.gettext("government"),
        "ngo": t.gettext("NGO"),
    }[str(kind)]


def _button(text: str, report_id: int, op: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text, callback_data=callbacks.encode(callbacks.Action.REPORT, report_id, op)
    )


def _week_text(week: dt.date, t: Translator) -> str:
    # TRANSLATORS: {label} is the ISO week (2026-W45), {days} its Monday to Sunday (Nov 2 – 8).
    return t.gettext("week {label} ({days})").format(
        label=dates.week(week, t), days=dates.day_range(week, week + dt.timedelta(days=6), t)
    )


def render_step(
    report: WeeklyReport, step: str, t: Translator, weeks: Sequence[dt.date] = ()
) -> Rendered:
    """The question for one step of the draft, with its buttons."""
    rid = report.id
    head = t.gettext("Weekly report, {week}").format(week=_week_text(report.week, t))
    if step == "week":
        names = [t.gettext("{label} (last week)"), t.gettext("{label} (this week)")]
        rows = [
            [
                _button(
                    names[i + 2 - len(weeks)].format(label=dates.week(week, t)),
                    rid,
                    callbacks.week_op(week),
                )
            ]
            for i, week in enumerate(weeks)
        ]
        text = t.gettext(
            "Last week's report is still open. Which week is this report for? "
            "(A report is accepted until the end of the week after its own.)"
        )
        return Rendered(text, InlineKeyboardMarkup(rows))
    if step == "activities":
        body = t.gettext(
            "1/7 What did you do this week? Tasks, projects, what you learned "
            "(at least 20 characters)."
        )
        return Rendered(f"<b>{esc(head)}</b>\n{body}")
    if step == "hours":
        return Rendered(t.gettext("2/7 How many hours did you work this week? (e.g. 38 or 37.5)"))
    if step == "episode":
        text = t.gettext(
            "3/7 Describe one cross-cultural episode: what happened, how you handled it, "
            "what you learned."
        )
        return Rendered(
            text,
            InlineKeyboardMarkup(
                [[_button(t.gettext("Nothing this week"), rid, ReportOp.NO_EPISODE)]]
            ),
        )
    if step == "rules":
        chosen = set(report.compliance or [])
        rows = [
            [
                _button(
                    ("✓ " if key in chosen else "") + compliance_name(key, t),
                    rid,
                    callbacks.rule_op(key),
                )
            ]
            for key in COMPLIANCE
        ]
        rows.append([_button(t.gettext("Next"), rid, ReportOp.RULES_DONE)])
        text = t.gettext(
            "4/7 Which rules did you meet or apply this week? Tap to select, then Next. "
            "You may also send a short note (which rule, what you did)."
        )
        if report.compliance_note:
            text += "\n" + t.gettext("Your note: {note}").format(note=esc(report.compliance_note))
        return Rendered(text, InlineKeyboardMarkup(rows))
    if step == "problems":
        text = t.gettext("5/7 Any problems, or help you need? Send them, or press No problems.")
        return Rendered(
            text,
            InlineKeyboardMarkup([[_button(t.gettext("No problems"), rid, ReportOp.NO_PROBLEMS)]]),
        )
    if step == "self":
        dim = next(d.value for d in DIMENSIONS if getattr(report, f"self_{d.value}") is None)
        text = t.gettext(
            "6/7 Rate yourself this week, from 1 (just starting) to 5 (excellent): {dimension}"
        ).format(dimension=f"<b>{esc(dimension_name(dim, t))}</b>")
        row = [_button(str(v), rid, callbacks.self_score_op(dim, v)) for v in range(1, 6)]
        return Rendered(text, InlineKeyboardMarkup([row]))
    if step == "attachments":
        count = len(report.attachments)
        text = t.gettext(
            "7/7 Add photos or documents if you have any: up to {n} files of {mb} MB each "
            "(PDF, Word, Excel, PowerPoint, text or images). Press Done when finished."
        ).format(n=MAX_ATTACHMENTS, mb=MAX_FILE_BYTES // (1024 * 1024))
        rows = [
            [
                _button(
                    t.ngettext("Done ({n} file)", "Done ({n} files)", count).format(n=count),
                    rid,
                    ReportOp.FILES_DONE,
                )
            ]
        ]
        if count:
            rows.append([_button(t.gettext("Remove the files"), rid, ReportOp.REMOVE_FILES)])
        return Rendered(text, InlineKeyboardMarkup(rows))
    return render_review(report, t)


def render_report_body(report: WeeklyReport, t: Translator) -> str:
    """The report as mentors and the student read it."""
    none = t.gettext("none")
    rules = listed((compliance_name(k, t) for k in report.compliance or []), t) or none
    if report.compliance_note:
        rules = aside(rules, esc(report.compliance_note), t)
    scores = listed(
        (
            f"{esc(dimension_name(d.value, t))} {getattr(report, f'self_{d.value}') or '-'}/5"
            for d in DIMENSIONS
        ),
        t,
    )
    hours = "-" if report.hours is None else f"{report.hours:g}"
    labels = {
        "did": t.gettext("What I did"),
        "hours": t.gettext("Hours"),
        "episode": t.gettext("Cross-cultural episode"),
        "rules": t.gettext("Rules met"),
        "problems": t.gettext("Problems"),
        "self": t.gettext("Self-assessment"),
        "files": t.gettext("Files"),
    }
    lines = [
        f"<b>{labels['did']}</b>\n{esc(report.activities or '')}",
        labelled(f"<b>{labels['hours']}</b>", hours, t),
        f"<b>{labels['episode']}</b>\n{esc(report.episode or none)}",
        labelled(f"<b>{labels['rules']}</b>", rules, t),
        f"<b>{labels['problems']}</b>\n{esc(report.problems or none)}",
        labelled(f"<b>{labels['self']}</b>", scores, t),
        labelled(f"<b>{labels['files']}</b>", len(report.attachments), t),
    ]
    return "\n".join(lines)


def render_review(report: WeeklyReport, t: Translator) -> Rendered:
    rid = report.id
    head = t.gettext("Please check your report for {week}:").format(week=_week_text(report.week, t))
    edits = [
        ("activities", t.gettext("Edit: what I did")),
        ("hours", t.gettext("Edit: hours")),
        ("episode", t.gettext("Edit: episode")),
        ("rules", t.gettext("Edit: rules")),
        ("problems", t.gettext("Edit: problems")),
        ("self", t.gettext("Edit: self-assessment")),
        ("attachments", t.gettext("Edit: files")),
    ]
    submit = t.gettext("Submit the correction") if report.submitted_at else t.gettext("Submit")
    rows = [[_button(submit, rid, ReportOp.SUBMIT)]]
    rows += [
        [
            _button(edits[i][1], rid, callbacks.edit_op(edits[i][0])),
            _button(edits[i + 1][1], rid, callbacks.edit_op(edits[i + 1][0])),
        ]
        for i in range(0, 6, 2)
    ]
    last = [_button(edits[6][1], rid, callbacks.edit_op("attachments"))]
    if report.submitted_at is None:  # a correction is submitted again, never discarded
        last.append(_button(t.gettext("Discard"), rid, ReportOp.DISCARD))
    rows.append(last)
    return Rendered(
        f"<b>{esc(head)}</b>\n\n{render_report_body(report, t)}", InlineKeyboardMarkup(rows)
    )


def render_problem(problem: InputProblem, t: Translator) -> str:
    messages = {
        "empty": t.gettext("That message was empty; please write a few words."),
        "too_long": t.gettext("That is too long: please keep it under {limit} characters."),
        "too_short": t.gettext("Please write a little more: at least {limit} characters."),
        "not_hours": t.gettext(
            "Please send the hours as a number from 0 to {limit}, e.g. 38 or 37.5."
        ),
        "too_many_hours": t.gettext(
            "That is more than {limit} hours in a week; please check the number."
        ),
        "not_score": t.gettext("Please send a whole number from 0 to 100."),
        "too_many_files": t.gettext(
            "A report can carry at most {limit} files; this one was not added."
        ),
        "file_too_big": t.gettext(
            "That file is larger than {limit} MB and was not added; your draft is safe."
        ),
        "file_type": t.gettext(
            "That kind of file cannot be attached (PDF, Word, Excel, PowerPoint, text or "
            "images only); your draft is safe."
        ),
        "not_team_size": t.gettext("Please send the team size as a number from 1 to {limit}."),
        "not_date": t.gettext("Please send a date as YYYY-MM-DD, for example 2026-12-20."),
        "date_past": t.gettext("That day has passed; please send a later date."),
        "date_far": t.gettext("That is more than a year ahead; please send an earlier date."),
        "date_future": t.gettext("That day has not come yet; please send a past date or today."),
        "date_old": t.gettext("That is more than a year ago; please check the date."),
        "use_buttons": t.gettext("Please use the buttons below."),
        "text_only": t.gettext("Please send text."),
        "nobody": t.gettext("At least one member took part: please choose who did."),
        "not_kind": t.gettext(
            "Please give the kind of achievement: patent, software, product, paper or standard."
        ),
        "not_amount": t.gettext(
            "Please send the amount as a positive number, for example 12500 or 12500.50."
        ),
        "too_many_decimals": t.gettext(
            "That currency has {limit} decimal places; please round the amount."
        ),
        "not_currency": t.gettext(
            "Please give the currency as a three-letter ISO code, for example CNY, USD or EUR."
        ),
        "not_training_hours": t.gettext(
            "Please send the hours as a number above 0 and up to {limit}, e.g. 8 or 7.5."
        ),
    }
    return messages[problem.code].format(limit=problem.limit)


def render_begin(reason: str, report: WeeklyReport | None, t: Translator) -> Rendered:
    if reason == "no_placement":
        return Rendered(
            t.gettext("You have no placement abroad this week, so no weekly report is expected.")
        )
    if reason == "correctable" and report is not None:
        text = t.gettext(
            "Your report for {week} is submitted and not scored yet. You can still correct it."
        ).format(week=_week_text(report.week, t))
        return Rendered(
            text,
            InlineKeyboardMarkup([[_button(t.gettext("Correct it"), report.id, ReportOp.FIX)]]),
        )
    if report is not None:
        return Rendered(
            t.gettext(
                "Your report for {week} is submitted and scoring has started; "
                "it can no longer be changed."
            ).format(week=_week_text(report.week, t))
        )
    return Rendered(t.gettext("There is no report to write right now."))


def render_submitted(report: WeeklyReport, corrected: bool, mentors: int, t: Translator) -> str:
    if corrected:
        text = t.gettext("Your corrected report for {week} is submitted.")
    elif report.late:
        text = t.gettext("Your report for {week} is submitted (late).")
    else:
        text = t.gettext("Your report for {week} is submitted. Thank you!")
    text = text.format(week=_week_text(report.week, t))
    scoring = t.ngettext(
        "{n} mentor will score it; you will see the scores here.",
        "{n} mentors will score it; you will see the scores here.",
        mentors,
    ).format(n=mentors)
    return then(text, scoring, t)


def render_review_request(
    report: WeeklyReport, student: Person, assessment: Assessment, corrected: bool, t: Translator
) -> Rendered:
    head = (
        t.gettext("{student} corrected the weekly report for {week}")
        if corrected
        else t.gettext("Weekly report from {student} for {week}")
    ).format(student=esc(student.name or student.telegram_id), week=_week_text(report.week, t))
    late = " " + t.gettext("(late)") if report.late else ""
    text = f"<b>{head}</b>{late}\n\n{render_report_body(report, t)}\n\n" + t.gettext(
        "Please score it as the {kind} mentor."
    ).format(kind=kind_name(assessment.party_kind, t))
    button = InlineKeyboardButton(
        t.gettext("Score this report"),
        callback_data=callbacks.encode(callbacks.Action.SCORE, assessment.id, ScoreOp.START),
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def _score_button(
    text: str, assessment_id: int, op: str, action: callbacks.Action = callbacks.Action.SCORE
) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.encode(action, assessment_id, op))


def render_score_step(
    assessment: Assessment,
    report: WeeklyReport,
    student: Person,
    step: str,
    t: Translator,
    manual: Manual = DEFAULT_MANUAL,
) -> Rendered:
    who = t.gettext("{student}, {week}").format(
        student=esc(student.name or student.telegram_id), week=dates.week(report.week, t)
    )
    name = esc(student.name or student.telegram_id)
    return render_scoring(assessment, who, name, step, t, callbacks.Action.SCORE, manual)


def render_scoring(
    assessment: Scorable,
    who: str,
    addressee: str,
    step: str,
    t: Translator,
    action: callbacks.Action,
    manual: Manual = DEFAULT_MANUAL,
) -> Rendered:
    """A step of scoring: `who` names the report (HTML), `addressee` whom a comment is for;
    each dimension's step shows the rubric of the manual in force."""
    aid = assessment.id
    if step in {d.value for d in DIMENSIONS}:
        index = [d.value for d in DIMENSIONS].index(step) + 1
        lines = [
            f"<b>{who}</b>",
            t.gettext("Score {i}/3: {dimension}, from 0 to 100").format(
                i=index, dimension=f"<b>{esc(dimension_name(step, t))}</b>"
            ),
        ]
        lines.append(f"<i>{esc(version_line(manual, t))}</i>")
        lines += rubric_lines(manual, step, t)
        lines.append(t.gettext("Press a score or send any number from 0 to 100."))
        rows = [
            [
                _score_button(str(v), aid, callbacks.value_op(index - 1, v), action)
                for v in SCORE_BUTTONS[:4]
            ],
            [
                _score_button(str(v), aid, callbacks.value_op(index - 1, v), action)
                for v in SCORE_BUTTONS[4:]
            ],
        ]
        return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))
    if step == "comment":
        text = t.gettext("A comment for {student}? Send it, or press No comment.").format(
            student=addressee
        )
        return Rendered(
            text,
            InlineKeyboardMarkup(
                [[_score_button(t.gettext("No comment"), aid, ScoreOp.NO_COMMENT, action)]]
            ),
        )
    text = t.gettext("Your scores for {who}:").format(who=who)
    text += "\n" + render_scores(assessment, t, manual)
    rows = [
        [
            _score_button(t.gettext("Save"), aid, ScoreOp.SAVE, action),
            _score_button(t.gettext("Start over"), aid, ScoreOp.START_OVER, action),
        ]
    ]
    return Rendered(text, InlineKeyboardMarkup(rows))


def render_scores(assessment: Scorable, t: Translator, manual: Manual = DEFAULT_MANUAL) -> str:
    """Each dimension's score with its level by `manual`'s bounds (the version the scores
    were given under)."""
    lines = []
    for d in DIMENSIONS:
        value = getattr(assessment, d.value)
        shown = "-" if value is None else aside(str(value), esc(level_label(manual, value, t)), t)
        lines.append("• " + labelled(esc(dimension_name(d.value, t)), shown, t))
    if assessment.comment:
        lines.append(t.gettext("Comment: {comment}").format(comment=esc(assessment.comment)))
    return "\n".join(lines)


def render_saved(
    assessment: Assessment, others: Sequence[Assessment], threshold: int, t: Translator
) -> str:
    text = t.gettext("Saved; the student will see your scores.")
    for other in others:
        for d in DIMENSIONS:
            mine, theirs = getattr(assessment, d.value), getattr(other, d.value)
            if mine is not None and theirs is not None and abs(mine - theirs) > threshold:
                text += "\n" + t.gettext(
                    "Note: for {dimension} the {kind} mentor gave {theirs}, "
                    "{gap} points from yours."
                ).format(
                    dimension=esc(dimension_name(d.value, t)),
                    kind=kind_name(other.party_kind, t),
                    theirs=theirs,
                    gap=abs(mine - theirs),
                )
    return text


def render_feedback(
    assessment: Assessment,
    report: WeeklyReport,
    mentor: Person,
    party: Party | None,
    t: Translator,
    manual: Manual = DEFAULT_MANUAL,
) -> str:
    head = t.gettext("Your {kind} mentor {mentor} scored your report for {week}:").format(
        kind=kind_name(assessment.party_kind, t),
        mentor=aside(esc(mentor.name or mentor.telegram_id), esc(party.name), t)
        if party
        else esc(mentor.name or mentor.telegram_id),
        week=_week_text(report.week, t),
    )
    return f"<b>{head}</b>\n{render_scores(assessment, t, manual)}"


def render_student_reminder(
    stage: Stage, week: dt.date, deadline: dt.datetime, zone: str, t: Translator
) -> str:
    local = dates.moment_soon(deadline, zone, t)
    if stage is Stage.REMIND:
        text = t.gettext(
            "Time for your weekly report for {week}: send /report. It is due {deadline}."
        )
    elif stage is Stage.REMIND_AGAIN:
        text = t.gettext("Reminder: your report for {week} is due {deadline}. Send /report.")
    elif stage is Stage.OVERDUE:
        text = t.gettext(
            "Your report for {week} is late. Send /report today: "
            "it is accepted until the end of this week."
        )
    else:
        text = t.gettext("Your report for {week} was not submitted and is recorded as missing.")
    return text.format(week=_week_text(week, t), deadline=local)


def render_review_reminder(assessment: Assessment, student: Person, t: Translator) -> Rendered:
    text = t.gettext(
        "The weekly report of {student} for {week} has been waiting for your scores for a few days."
    ).format(student=esc(student.name or student.telegram_id), week=dates.week(assessment.week, t))
    button = _score_button(t.gettext("Score this report"), assessment.id, ScoreOp.START)
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def attachment_line(attachment: ReportAttachment) -> str:
    return attachment.name or attachment.kind
