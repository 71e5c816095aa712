"""What /progress, /cohort and /credits say: numbers first, charts beside them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import lazy
from bot.domain.capability import DIMS, shown_change
from bot.domain.credits import Credits
from bot.i18n import Translator
from bot.renderers import Rendered, esc
from bot.renderers.reports import dimension_name
from bot.services.analytics import Cohort, Participation, Progress
from bot.telegram import callbacks
from db.models import Person

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")

MAX_ROWS = 15


def short_name(dimension: str, t: Translator) -> str:
    return {
        "tech_rd": t.gettext("R&D"),
        "cross_cultural": t.gettext("Cross-cultural"),
        "rule_adaptation": t.gettext("Rules"),
    }[dimension]


def _num(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _signed(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):+.1f}"  # type: ignore[arg-type]


def _change(baseline: float, current: float) -> str:
    """`57.5→75.0 (+17.5, +30.4%)`: the change in points and in percent of the baseline,
    worked out from the figures shown."""
    change = shown_change(baseline, current)
    if change is None:
        return "–"
    percent = f", {_signed(change.percent)}%" if change.percent is not None else ""
    return f"{change.baseline}→{change.current} ({_signed(change.points)}{percent})"


def person_name(person: Person) -> str:
    return person.name or str(person.telegram_id)


def render_participation(p: Participation, t: Translator) -> str:
    if p.report_rate is None:
        text = t.gettext("Reports: none expected yet")
    else:
        text = t.gettext(
            "Reports: {submitted} of {expected} weeks ({rate:.0%}), {late} late"
        ).format(submitted=p.submitted, expected=p.expected, rate=p.report_rate, late=p.late)
    if p.sessions:
        text += "\n" + t.gettext("Course sessions: {attended} of {sessions} attended").format(
            attended=p.attended, sessions=p.sessions
        )
    return text


def render_credits_line(credits: Credits, t: Translator) -> str:
    return t.gettext(
        "Credits: {earned} earned ({months} full months abroad), {planned} for the whole stay"
    ).format(earned=f"{credits.earned:g}", months=credits.months, planned=f"{credits.planned:g}")


def render_progress(progress: Progress, t: Translator) -> str:
    lines = [
        "<b>"
        + t.gettext("Progress of {student}").format(student=esc(person_name(progress.student)))
        + "</b>"
    ]
    cap = progress.capability.set_index("dimension") if not progress.capability.empty else None
    for dim in DIMS:
        name = esc(dimension_name(dim, t))
        if cap is None or dim not in cap.index:
            lines.append(t.gettext("{dimension}: no scores yet").format(dimension=name))
            continue
        row = cap.loc[dim]
        change = shown_change(cast(float, row["baseline"]), cast(float, row["current"]))
        assert change is not None  # a dimension with scores has both levels
        lines.append(
            t.gettext(
                "{dimension}: baseline {baseline}, now {current} ({points} points, {percent}%) "
                "over {weeks} weeks"
            ).format(
                dimension=name,
                baseline=change.baseline,
                current=change.current,
                points=_signed(change.points),
                percent=_signed(change.percent),
                weeks=_num(row["weeks"], 0),
            )
        )
    lines.append(render_participation(progress.participation, t))
    if progress.pending:
        lines.append(
            t.ngettext(
                "{n} report is waiting for scores",
                "{n} reports are waiting for scores",
                progress.pending,
            ).format(n=progress.pending)
        )
    if progress.flagged:
        lines.append(
            t.gettext("Scores on which the parties disagreed widely: {n}").format(
                n=progress.flagged
            )
        )
    lines.append(render_credits_line(progress.credits, t))
    return "\n".join(lines)


def render_pick_student(people: Sequence[Person], t: Translator) -> Rendered:
    rows = [
        [
            InlineKeyboardButton(
                person_name(p),
                callback_data=callbacks.encode(callbacks.Action.PROGRESS, p.telegram_id),
            )
        ]
        for p in people[:40]
    ]
    text = t.gettext("Whose progress? (or /progress TELEGRAM_ID)")
    return Rendered(text, InlineKeyboardMarkup(rows) if rows else None)


def _summary_lines(
    summary: pd.DataFrame, by: str, t: Translator, label: object = None
) -> list[str]:
    if summary.empty:
        return [t.gettext("no scores yet")]
    lines = []
    groups = sorted(summary[by].unique(), key=str)
    for group in groups[:MAX_ROWS]:
        rows = summary[summary[by] == group].set_index("dimension")
        students = int(rows["students"].to_numpy().max())
        parts = [
            f"{esc(short_name(d, t))} {_change(rows.loc[d, 'baseline'], rows.loc[d, 'current'])}"
            for d in DIMS
            if d in rows.index
        ]
        name = label(group) if callable(label) else str(group)
        lines.append(
            t.ngettext("{name} ({n} student): ", "{name} ({n} students): ", students).format(
                name=esc(name), n=students
            )
            + " · ".join(parts)
        )
    if len(groups) > MAX_ROWS:
        lines.append(t.gettext("… and {n} more (see /export)").format(n=len(groups) - MAX_ROWS))
    return lines


def render_cohort(cohort: Cohort, t: Translator) -> str:
    taking_part = list(cohort.participation.values())
    expected = sum(p.expected for p in taking_part)
    submitted = sum(p.submitted for p in taking_part)
    rate = f"{submitted / expected:.0%}" if expected else "–"
    lines = [
        "<b>"
        + t.ngettext(
            "Cohort: {students} student, {submitted} of {expected} weekly reports ({rate})",
            "Cohort: {students} students, {submitted} of {expected} weekly reports ({rate})",
            len(cohort.students),
        ).format(students=len(cohort.students), submitted=submitted, expected=expected, rate=rate)
        + "</b>",
    ]
    sessions = sum(p.sessions for p in taking_part)
    if sessions:
        attended = sum(p.attended for p in taking_part)
        lines.append(
            t.gettext("Course sessions: {attended} of {sessions} attended").format(
                attended=attended, sessions=sessions
            )
        )
    lines += [
        t.gettext("Each line: baseline → current level (change in points, in percent)."),
        "",
        "<b>" + t.gettext("Per party") + "</b>",
        *_summary_lines(cohort.by_party, "party", t),
        "",
        "<b>" + t.gettext("Per placement site") + "</b>",
        *_summary_lines(cohort.by_site, "site", t),
        "",
        "<b>" + t.gettext("Per collaboration model") + "</b>",
        *_summary_lines(
            cohort.by_model,
            "model",
            t,
            lambda n: t.gettext("{n} kinds of party").format(n=n),
        ),
        "",
        "<b>" + t.gettext("Scoring reliability (Cronbach's alpha)") + "</b>",
        " · ".join(
            f"{esc(short_name(d, t))} "
            + (_num(a, 2) if a is not None else t.gettext("not enough data"))
            for d, a in cohort.reliability.items()
        ),
        t.gettext("Scores on which the parties disagreed widely: {n}").format(
            n=len(cohort.flagged)
        ),
    ]
    return "\n".join(lines)
