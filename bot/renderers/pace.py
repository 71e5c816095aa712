"""A student's programme as /plan shows it (phases, then week by week with the gaps
marked) and the coordinators' warning of a gap (the check-in's agenda lists the warned
gaps itself, in the same words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.domain.pace import Gap, Phase, Week
from bot.i18n import N_, Translator, dates
from bot.renderers import esc, fit
from bot.services.pace import GapWarning, Plan

PHASES = {
    Phase.PRE_DEPARTURE: N_("pre-departure training (culture and policy)"),
    Phase.COURSES: N_("courses"),
    Phase.ENTERPRISE: N_("enterprise training"),
    Phase.OVERSEAS: N_("overseas placement"),
    Phase.RETURN: N_("return"),
}
SHORT = {
    Phase.PRE_DEPARTURE: N_("pre-departure"),
    Phase.COURSES: N_("courses"),
    Phase.ENTERPRISE: N_("enterprise"),
    Phase.OVERSEAS: N_("overseas"),
    Phase.RETURN: N_("return"),
}


def _name(student: object) -> str:
    name = getattr(student, "name", None) or str(getattr(student, "telegram_id", "?"))
    return esc(name)


def _gap(gap: Gap, t: Translator) -> str:
    return t.ngettext(
        "{n} week with no activity, {start} – {end}",
        "{n} weeks with no activity, {start} – {end}",
        gap.weeks,
    ).format(n=gap.weeks, start=dates.day(gap.start, t), end=dates.day(gap.end, t))


def render_plan(plan: Plan, t: Translator) -> str:
    head = t.gettext("<b>Programme of {name}</b> (weeks from Monday, {zone})").format(
        name=_name(plan.student), zone=esc(dates.zone_name(plan.zone, t))
    )
    line = plan.timeline
    if line is None:
        return (
            head
            + "\n"
            + t.gettext(
                "Nothing is planned yet: no placement, course session or enterprise training."
            )
        )
    lines = [head, t.gettext("<b>Phases</b>")]
    lines += [
        "• "
        + t.gettext("{phase}: {start} – {end}").format(
            phase=t.gettext(PHASES[span.phase]),
            start=dates.day(span.start, t),
            end=dates.day(span.end, t),
        )
        for span in line.spans
    ]
    if line.gaps:
        lines.append(
            t.ngettext("<b>{n} gap</b>", "<b>{n} gaps</b>", len(line.gaps)).format(n=len(line.gaps))
        )
        lines += ["⚠️ " + _gap(gap, t) for gap in line.gaps]
    else:
        lines.append(t.gettext("No gap: every week of the programme has an activity."))
    lines.append(t.gettext("<b>Week by week</b>"))
    for first, last, phases in _runs(line.weeks):
        sunday = last + dt.timedelta(days=6)
        now = " ←" if first <= plan.today <= sunday else ""
        what = (
            "⚠️ " + t.gettext("gap")
            if not phases
            else ", ".join(t.gettext(SHORT[p]) for p in Phase if p in phases)
        )
        weeks = (last - first).days // 7 + 1
        span = (
            t.gettext("{start} (1 week)").format(start=dates.day(first, t))
            if weeks == 1
            else t.ngettext(
                "{start} – {end} ({n} week)", "{start} – {end} ({n} weeks)", weeks
            ).format(start=dates.day(first, t), end=dates.day(last, t), n=weeks)
        )
        lines.append(t.gettext("{weeks}: {what}").format(weeks=span, what=what) + now)
    return fit(
        lines, lambda n: t.ngettext("… and {n} more week", "… and {n} more weeks", n).format(n=n)
    )


def _runs(weeks: Iterable[Week]) -> list[tuple[dt.date, dt.date, frozenset[Phase]]]:
    """Weeks in a row with the same phases, as (first Monday, last Monday, phases)."""
    runs: list[tuple[dt.date, dt.date, frozenset[Phase]]] = []
    for week in weeks:
        if runs and runs[-1][2] == week.phases:
            runs[-1] = (runs[-1][0], week.monday, week.phases)
        else:
            runs.append((week.monday, week.monday, week.phases))
    return runs


def render_gap_warning(warning: GapWarning, t: Translator) -> str:
    return t.gettext(
        "⚠️ <b>Gap ahead in a programme</b>: {name} has {gap}. Plan a session or training "
        "to keep the pace; /plan {id} shows the whole programme."
    ).format(
        name=_name(warning.student),
        gap=_gap(warning.gap, t),
        id=warning.student.telegram_id,
    )


def render_plan_usage(t: Translator) -> str:
    return t.gettext("/plan shows your own programme; mentors and coordinators: /plan STUDENT_ID.")


def render_plan_refusal(t: Translator) -> str:
    return t.gettext("You can see only your own programme, or those of the students you mentor.")


def render_no_student(t: Translator) -> str:
    return t.gettext("There is no student with that Telegram id.")
