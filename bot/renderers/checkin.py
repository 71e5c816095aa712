"""What the monthly check-in says: agenda, poll, reminders, summary, warnings, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from babel.dates import format_skeleton

from bot.domain.checkin import OPTION_KEYS
from bot.i18n import Translator, dates
from bot.renderers import esc, labelled, listed, said, then
from bot.services.checkin import ReportStats, SkippedDay, Tally
from db.models import ActionItem, Checkin, LiaisonRequest, PaceWarning, Party, Person


def poll_question(t: Translator) -> str:
    return t.gettext("How is your party's work this month?")


def poll_options(t: Translator) -> list[str]:
    names = {
        "on_track": t.gettext("On track"),
        "minor_issues": t.gettext("Minor issues"),
        "blocked": t.gettext("Blocked"),
        "need_meeting": t.gettext("Need a meeting"),
    }
    return [names[key] for key in OPTION_KEYS]


def _action_lines(actions: list[ActionItem], t: Translator) -> list[str]:
    return [f"• #{a.id} {esc(said(a.text, t))}" + (" ✓" if a.done_at else "") for a in actions]


def render_agenda(
    checkin: Checkin,
    requests: list[tuple[LiaisonRequest, Party]],
    actions: list[ActionItem],
    reports: ReportStats,
    zone: str,
    t: Translator,
    chat_id: int = 0,
    gaps: Iterable[tuple[PaceWarning, Person]] = (),
) -> str:
    """The agenda posted in the group `chat_id`: an open question's text shows only in the
    group it was asked in (one asked privately or elsewhere is not this group's to read)."""
    lines = [
        t.gettext(
            "<b>Monthly check-in #{id}</b>: please answer the poll below by {time} ({zone})."
        ).format(
            id=checkin.id,
            time=dates.moment(checkin.closes_at, zone, t),
            zone=dates.zone_name(zone, t),
        )
    ]
    lines.append(
        t.ngettext(
            "{n} liaison question is still open.",
            "{n} liaison questions are still open.",
            len(requests),
        ).format(n=len(requests))
    )
    lines += [
        f"• #{r.id} {esc(p.key)}"
        + (f": {esc(said(r.question, t)[:80])}" if r.chat_id == chat_id else "")
        for r, p in requests[:5]
    ]
    lines.append(render_report_stats(reports, t))
    lines += render_agenda_gaps(gaps, t)
    if actions:
        lines.append(t.gettext("Action items carried over:"))
        lines += _action_lines(actions, t)
    lines.append(t.gettext("Record new action items with /action TEXT."))
    return "\n".join(lines)


def render_agenda_gaps(gaps: Iterable[tuple[PaceWarning, Person]], t: Translator) -> list[str]:
    """The agenda's lines on the gaps in students' programmes the coordinators were warned
    of (none when there is no gap), in the words of the warning itself."""
    found = list(gaps)
    if not found:
        return []
    lines = [
        t.ngettext(
            "Training pace: {n} gap in a student's programme to discuss:",
            "Training pace: {n} gaps in students' programmes to discuss:",
            len(found),
        ).format(n=len(found))
    ]
    for warning, student in found[:8]:
        weeks = ((warning.gap_end - warning.gap_start).days + 1) // 7
        gap = t.ngettext(
            "{n} week with no activity, {start} – {end}",
            "{n} weeks with no activity, {start} – {end}",
            weeks,
        ).format(n=weeks, start=dates.day(warning.gap_start, t), end=dates.day(warning.gap_end, t))
        name = esc(student.name or str(student.telegram_id))
        lines.append("• " + t.gettext("{name}: {gap}").format(name=name, gap=gap))
    return lines


def render_report_stats(stats: ReportStats, t: Translator) -> str:
    if stats.expected == 0:
        text = t.gettext("Weekly reports: none were due in the last four weeks.")
    else:
        text = t.gettext(
            "Weekly reports due in the last four weeks: {submitted} of {expected} submitted "
            "({late} late)."
        ).format(submitted=stats.submitted, expected=stats.expected, late=stats.late)
    if stats.waiting:
        waiting = t.ngettext(
            "{n} score is still awaited from a mentor.",
            "{n} scores are still awaited from mentors.",
            stats.waiting,
        ).format(n=stats.waiting)
        text = then(text, waiting, t)
    return text


def render_group_reminder(checkin: Checkin, missing: list[Party], zone: str, t: Translator) -> str:
    names = listed((esc(p.name) for p in missing), t)
    return t.gettext("Check-in #{id} closes at {time} ({zone}). Not answered yet: {names}.").format(
        id=checkin.id,
        time=dates.moment(checkin.closes_at, zone, t),
        zone=dates.zone_name(zone, t),
        names=names,
    )


def render_private_reminder(checkin: Checkin, party: Party, zone: str, t: Translator) -> str:
    return t.gettext(
        "No one from {party} has answered check-in #{id} yet. Please answer the poll "
        "in the consortium's group before {time} ({zone})."
    ).format(
        party=esc(party.name),
        id=checkin.id,
        time=dates.moment(checkin.closes_at, zone, t),
        zone=dates.zone_name(zone, t),
    )


def render_summary(checkin: Checkin, tally: Tally, actions: list[ActionItem], t: Translator) -> str:
    answered = sum(1 for p in tally.parties if p.answered)
    lines = [
        t.ngettext(
            "<b>Check-in #{id} is closed</b>: {answered}/{total} party answered.",
            "<b>Check-in #{id} is closed</b>: {answered}/{total} parties answered.",
            len(tally.parties),
        ).format(id=checkin.id, answered=answered, total=len(tally.parties))
    ]
    for name, count in zip(poll_options(t), tally.options, strict=True):
        lines.append(labelled(esc(name), count, t))
    for turnout in tally.parties:
        party = esc(tally.party_names.get(turnout.party_key, turnout.party_key))
        if turnout.answered:
            lines.append(
                "✅ "
                + t.gettext("{party}: {people}").format(
                    party=party, people=esc(listed(turnout.voters, t))
                )
            )
        else:
            lines.append("❌ " + t.gettext("{party}: no answer").format(party=party))
    if tally.outsiders:
        lines.append(
            t.ngettext(
                "{n} vote from outside the consortium was counted apart.",
                "{n} votes from outside the consortium were counted apart.",
                tally.outsiders,
            ).format(n=tally.outsiders)
        )
    if actions:
        lines.append(t.gettext("Action items:"))
        lines += _action_lines(actions, t)
    return "\n".join(lines)


def render_absent_warning(checkin: Checkin, names: list[str], t: Translator) -> str:
    return t.gettext(
        "Warning: {names} did not answer check-in #{id} nor the one before it."
    ).format(names=esc(listed(names, t)), id=checkin.id)


def render_group_lost(title: str, t: Translator) -> str:
    return t.gettext(
        "The group {title} removed me or closed: I marked it inactive and will not "
        "post there until I am added again."
    ).format(title=esc(title))


def render_next(
    start: dt.datetime | None,
    open_checkin: Checkin | None,
    zone: str,
    t: Translator,
    moved: tuple[dt.date, list[SkippedDay]] | None = None,
) -> str:
    lines = []
    if open_checkin is not None:
        lines.append(
            t.gettext("Check-in #{id} is open until {time} ({zone}).").format(
                id=open_checkin.id,
                time=dates.moment(open_checkin.closes_at, zone, t),
                zone=dates.zone_name(zone, t),
            )
        )
    if start is None:
        lines.append(
            t.gettext(
                "No monthly schedule is set; a coordinator can set one with "
                "/checkin schedule first mon 10:00."
            )
        )
    else:
        lines.append(
            t.gettext("The next check-in opens on {time} ({zone}).").format(
                time=dates.moment(start, zone, t), zone=dates.zone_name(zone, t)
            )
        )
        if moved is not None:
            lines.append(render_moved(*moved, t))
    return "\n".join(lines)


def render_schedule_problem(reason: str, word: str, t: Translator) -> str:
    """Why `/checkin schedule ...` could not be read (a reason of `ScheduleError`), and how
    to write it."""
    problems = {
        "shape": t.gettext("a schedule is an ordinal, a weekday and a time, or a day and a time"),
        "time": t.gettext("{word} is not a time of day"),
        "day": t.gettext("{word}: the day of the month must be 1 to 28, which every month has"),
        "ordinal": t.gettext("{word}: expected first, second, third, fourth or last"),
        "weekday": t.gettext("{word} is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
    }
    return t.gettext(
        "I could not read that schedule ({problem}). Examples: "
        "/checkin schedule first mon 10:00 72h, "
        "/checkin schedule 15 09:30"
    ).format(problem=problems[reason].format(word=esc(word)))


def render_moved(scheduled: dt.date, skipped: list[SkippedDay], t: Translator) -> str:
    """Why a check-in is not on the day its schedule names: each day it moved past."""

    def why(day: SkippedDay) -> str:
        if day.holidays:
            return listed(
                (
                    t.gettext("{holiday} ({country})").format(
                        holiday=esc(name), country=dates.country_name(country, t)
                    )
                    for country, name in day.holidays
                ),
                t,
            )
        if day.listed:
            return t.gettext("a holiday in the consortium file")
        return t.gettext("weekend")

    return t.gettext("Moved from {date}, the scheduled day, past: {reasons}.").format(
        date=_day(scheduled, t),
        # TRANSLATORS: between the days a check-in moved past.
        reasons=t.gettext("; ").join(f"{_day(day.day, t)} {why(day)}" for day in skipped),
    )


def _day(day: dt.date, t: Translator) -> str:
    return format_skeleton("MMMEd", day, locale=dates.locale_of(t))


def render_history_line(checkin: Checkin, zone: str, t: Translator) -> str:
    summary = checkin.summary or {}
    parties: dict[str, list[str]] = summary.get("parties", {})
    answered = [key for key, names in parties.items() if names]
    missing = [key for key, names in parties.items() if not names]
    line = t.ngettext(
        "#{id} {date}: {answered}/{total} party",
        "#{id} {date}: {answered}/{total} parties",
        len(parties),
    ).format(
        id=checkin.id,
        date=dates.day_of(checkin.opened_at, zone, t),
        answered=len(answered),
        total=len(parties),
    )
    if missing:
        line += " — " + t.gettext("missing: {keys}").format(keys=esc(listed(missing, t)))
    return line
