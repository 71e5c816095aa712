"""The demand survey and the course review as people read them: the questions with their
buttons, the thanks, `/survey results` and `/review MODULE` (the closed loop)."""

from __future__ import annotations

from babel.dates import format_date
from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.survey import MAX_NEED, MAX_SKILLS, QUESTIONS, Figures, SurveyInputError
from bot.i18n import Translator
from bot.renderers import Rendered, esc, fit, said
from bot.services.courses import title
from bot.services.survey import Ask, Loop, Refusal, ReviewAsk, SurveyResults, chosen_of, skills_of
from bot.telegram.callbacks import (
    Action,
    ReviewOp,
    SurveyOp,
    encode,
    rating_op,
    skill_op,
)


def _number(value: float, t: Translator) -> str:
    return format_decimal(value, format="0.00", locale=t.language)


# --- the demand survey -----------------------------------------------------------------------


def render_survey_ask(ask: Ask, t: Translator) -> Rendered:
    """The survey to one contact: every skill a button to tick, then Done."""
    skills = skills_of(ask.survey)
    chosen = chosen_of(ask.answer)
    text = "\n".join(
        [
            "<b>" + t.gettext("Talent-demand survey") + "</b>",
            t.gettext(
                "Which of these skills does {party} need in the students it takes? Tick every "
                "one that applies, then press Done."
            ).format(party=f"<b>{esc(ask.party.name)}</b>"),
        ]
    )
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if i in chosen else "▫️ ") + skill,
                callback_data=encode(Action.SURVEY, ask.answer.id, skill_op(i)),
            )
        ]
        for i, skill in enumerate(skills)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("Done"), callback_data=encode(Action.SURVEY, ask.answer.id, SurveyOp.DONE)
            )
        ]
    )
    return Rendered(text, InlineKeyboardMarkup(rows))


def render_need_prompt(ask: Ask, t: Translator) -> Rendered:
    """After Done: the ticks as kept, and the question for other needs."""
    skills = skills_of(ask.survey)
    ticked = [skills[i] for i in sorted(chosen_of(ask.answer)) if i < len(skills)]
    lines = [
        "<b>" + t.gettext("Talent-demand survey") + "</b>",
        t.gettext("Skills {party} needs: {skills}").format(
            party=esc(ask.party.name),
            skills=esc(", ".join(ticked)) if ticked else t.gettext("none ticked"),
        ),
        "",
        t.gettext(
            "Anything else {party} needs? Write it in one message (up to {limit} characters), "
            "or press No other needs."
        ).format(party=esc(ask.party.name), limit=MAX_NEED),
    ]
    button = InlineKeyboardButton(
        t.gettext("No other needs"),
        callback_data=encode(Action.SURVEY, ask.answer.id, SurveyOp.NO_NEED),
    )
    return Rendered("\n".join(lines), InlineKeyboardMarkup([[button]]))


def render_survey_thanks(ask: Ask, t: Translator) -> str:
    return t.gettext("Thank you: the answer for {party} is saved.").format(
        party=esc(ask.party.name)
    )


def render_survey_sent(asks: list[Ask], t: Translator) -> str:
    return t.ngettext(
        "Survey {number} sent to {n} contact of the enterprises and overseas sites. "
        "/survey results shows the answers.",
        "Survey {number} sent to {n} contacts of the enterprises and overseas sites. "
        "/survey results shows the answers.",
        len(asks),
    ).format(number=asks[0].survey.id, n=len(asks))


def _count(skill: str, count: int, t: Translator) -> str:
    return "  " + t.gettext("{skill}: {count}").format(skill=esc(skill), count=count)


def render_survey_results(results: SurveyResults, t: Translator) -> str:
    """Per party: contacts answered, each skill's count, the other needs; then the totals."""
    sent = format_date(results.survey.sent_at, format="medium", locale=t.language)
    lines = [
        "<b>"
        + t.gettext("Talent-demand survey {number} ({date})").format(
            number=results.survey.id, date=sent
        )
        + "</b>"
    ]
    for demand in results.parties:
        lines += [
            "",
            f"<b>{esc(demand.party)}</b> · "
            + t.gettext("{answered} of {asked} contacts answered").format(
                answered=demand.answered, asked=demand.asked
            ),
        ]
        lines += [_count(skill, demand.counts[skill], t) for skill in results.skills]
        lines += [
            "  " + t.gettext("Other needs: {text}").format(text=esc(said(need, t)))
            for need in demand.needs
        ]
    lines += ["", "<b>" + t.gettext("All parties, most wanted first") + "</b>"]
    lines += [_count(skill, count, t) for skill, count in results.totals]
    return fit(lines, lambda n: t.ngettext("… {n} more line", "… {n} more lines", n).format(n=n))


def render_survey_usage(t: Translator) -> str:
    return t.gettext(
        "Send a talent-demand survey to the enterprises and overseas sites: "
        "/survey send SKILL, SKILL, ... (up to {n} skills).\n"
        "See the answers: /survey results [NUMBER]."
    ).format(n=MAX_SKILLS)


def render_survey_problem(problem: SurveyInputError, t: Translator) -> str:
    messages = {
        "no_skills": t.gettext("List at least one skill, separated by commas."),
        "too_many_skills": t.gettext("At most {n} skills in one survey.").format(n=MAX_SKILLS),
        "skill_too_long": t.gettext("This skill's name is too long: {skill}").format(
            skill=esc(problem.value)
        ),
        "empty": t.gettext("Please write some text."),
        "too_long": t.gettext("Please keep it within {limit} characters.").format(limit=MAX_NEED),
    }
    return messages.get(problem.code, t.gettext("I could not read that."))


def render_refusal(refusal: Refusal, t: Translator) -> str:
    messages = {
        "not_found": t.gettext("I found no such survey, module or review."),
        "not_yours": t.gettext("This is not yours to answer or change."),
        "closed": t.gettext("This was already answered."),
        "kept": t.gettext("You have already answered; your answer is kept."),
        "no_parties": t.gettext("No enterprise or overseas site has a contact to ask yet."),
        "unknown_request": t.gettext(
            "One of those numbers is not a change request of this module (see /review MODULE)."
        ),
    }
    return messages[refusal]


# --- the course review -----------------------------------------------------------------------


def render_review_ask(ask: ReviewAsk, t: Translator) -> Rendered:
    """The next question with 1-5 buttons, or, after the last, what should change."""
    name = esc(title(ask.course, t.language))
    head = "<b>" + t.gettext("Review of the module {title}").format(title=name) + "</b>"
    index = ask.question
    if index is None:
        text = "\n".join(
            [
                head,
                t.gettext(
                    "What should change in the next run of this module? Write it in one "
                    "message, or press Nothing to change."
                ),
            ]
        )
        button = InlineKeyboardButton(
            t.gettext("Nothing to change"),
            callback_data=encode(Action.REVIEW, ask.review.id, ReviewOp.NO_CHANGE),
        )
        return Rendered(text, InlineKeyboardMarkup([[button]]))
    text = "\n".join(
        [
            head,
            t.gettext(
                "The module has ended. As a contact of {party}, which built it, please rate it "
                "from 1 (poor) to 5 (excellent)."
            ).format(party=esc(ask.party.name)),
            "",
            t.gettext("Question {i} of {n}: {question}").format(
                i=index + 1, n=len(QUESTIONS), question=t.gettext(QUESTIONS[index][1])
            ),
        ]
    )
    row = [
        InlineKeyboardButton(
            str(score), callback_data=encode(Action.REVIEW, ask.review.id, rating_op(index, score))
        )
        for score in range(1, 6)
    ]
    return Rendered(text, InlineKeyboardMarkup([row]))


def render_review_thanks(ask: ReviewAsk, t: Translator) -> str:
    return t.gettext("Thank you: your review of {title} is saved.").format(
        title=esc(title(ask.course, t.language))
    )


def _figures_lines(label: str, figures: Figures, t: Translator, *, alpha: bool) -> list[str]:
    """A party's (or every party's) figures; `alpha`: show alpha even when it cannot be
    worked out (for all parties together; a party's own shows only where it can)."""
    means = " · ".join(
        f"{t.gettext(question)} {_number(mean, t)}"
        for (_, question), mean in zip(QUESTIONS, figures.means, strict=True)
    )
    shown = _number(figures.alpha, t) if figures.alpha is not None else t.gettext("too few raters")
    lines = [
        f"<b>{label}</b> · "
        + t.ngettext("{n} rater", "{n} raters", figures.raters).format(n=figures.raters)
        + " · "
        + t.gettext("mean {mean}").format(mean=_number(figures.overall, t)),
        "  " + means,
    ]
    if alpha or figures.alpha is not None:
        lines.append("  " + t.gettext("Cronbach's alpha: {alpha}").format(alpha=shown))
    return lines


def render_loop(loop: Loop, t: Translator) -> str:
    """/review MODULE: the figures per party and overall, the requests, the changes."""
    lines = [
        "<b>"
        + t.gettext("Review of the module {title}").format(
            title=esc(title(loop.course, t.language))
        )
        + "</b>",
        t.gettext("{answered} of {asked} reviews answered").format(
            answered=loop.answered, asked=loop.asked
        ),
    ]
    if loop.overall is None:
        lines.append(t.gettext("No ratings yet."))
    else:
        for party, figures in loop.per_party.items():
            lines += _figures_lines(esc(party), figures, t, alpha=False)
        lines += _figures_lines(t.gettext("All parties"), loop.overall, t, alpha=True)
    lines += ["", "<b>" + t.gettext("What the parties asked to change") + "</b>"]
    if not loop.requests:
        lines.append(t.gettext("Nothing asked yet."))
    for request in loop.requests:
        state = t.gettext("answered") if request.answered else t.gettext("open")
        lines.append(
            t.gettext("#{number} {party}: {text} ({state})").format(
                number=request.number,
                party=esc(request.party),
                text=esc(said(request.text, t)),
                state=state,
            )
        )
    lines += ["", "<b>" + t.gettext("What the next run changed") + "</b>"]
    if not loop.changes:
        lines.append(t.gettext("No change recorded yet."))
    for change in loop.changes:
        day = format_date(change.change.recorded_at, format="medium", locale=t.language)
        answers = ", ".join(f"#{n}" for n in change.answers)
        line = t.gettext("{day}: {text}").format(day=day, text=esc(change.change.text))
        if answers:
            line += t.gettext(" (answers {numbers})").format(numbers=answers)
        lines.append(line)
    return fit(lines, lambda n: t.ngettext("… {n} more line", "… {n} more lines", n).format(n=n))


def render_review_usage(t: Translator) -> str:
    return t.gettext(
        "A module's reviews and changes: /review MODULE.\n"
        "Record what its next run changed: /review MODULE change [#NUMBER ...] TEXT."
    )
