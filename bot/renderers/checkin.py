"""What the monthly check-in says: agenda, poll, reminders, summary, warnings, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from babel.dates import format_skeleton

from bot.domain.checkin import OPTION_KEYS
from bot.i18n import Translator
from bot.renderers import esc, said
from bot.renderers.liaison import local
from bot.renderers.pace import render_agenda_gaps
from bot.services.analytics import ReportStats
from bot.services.checkin import SkippedDay, Tally
from bot.services.pace import GapWarning
from db.models import ActionItem, Checkin, LiaisonRequest, Party


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
    gaps: Iterable[GapWarning] = (),
) -> str:
    """The agenda posted in the group `chat_id`: an open question's text shows only in the
    group it was asked in (one asked privately or elsewhere is not this group's to read)."""
    lines = [
        t.gettext(
            "<b>Monthly check-in #{id}</b>: please answer the poll below by {time} ({zone})."
        ).format(id=checkin.id, time=local(checkin.closes_at, zone), zone=esc(zone))
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


def render_report_stats(stats: ReportStats, t: Translator) -> str:
    if stats.expected == 0:
        text = t.gettext("Weekly reports: none were due in the last four weeks.")
    else:
        text = t.gettext(
            "Weekly reports due in the last four weeks: {submitted} of {expected} submitted "
            "({late} late)."
        ).format(submitted=stats.submitted, expected=stats.expected, late=stats.late)
    if stats.waiting:
        text += " " + t.ngettext(
            "{n} score is still awaited from a mentor.",
            "{n} scores are still awaited from mentors.",
            stats.waiting,
        ).format(n=stats.waiting)
    return text


def render_group_reminder(checkin: Checkin, missing: list[Party], zone: str, t: Translator) -> str:
    names = ", ".join(esc(p.name) for p in missing)
    return t.gettext("Check-in #{id} closes at {time} ({zone}). Not answered yet: {names}.").format(
        id=checkin.id, time=local(checkin.closes_at, zone), zone=esc(zone), names=names
    )


def render_private_reminder(checkin: Checkin, party: Party, zone: str, t: Translator) -> str:
    return t.gettext(
        "No one from {party} has answered check-in #{id} yet. Please answer the poll "
        "in the consortium's group before {time} ({zone})."
    ).format(
        party=esc(party.name), id=checkin.id, time=local(checkin.closes_at, zone), zone=esc(zone)
    )


def render_summary(checkin: Checkin, tally: Tally, actions: list[ActionItem], t: Translator) -> str:
    answered = sum(1 for p in tally.parties if p.answered)
    lines = [
        t.gettext("<b>Check-in #{id} is closed</b>: {answered}/{total} parties answered.").format(
            id=checkin.id, answered=answered, total=len(tally.parties)
        )
    ]
    for name, count in zip(poll_options(t), tally.options, strict=True):
        lines.append(f"{esc(name)}: {count}")
    for turnout in tally.parties:
        party = esc(tally.party_names.get(turnout.party_key, turnout.party_key))
        if turnout.answered:
            lines.append(
                "✅ "
                + t.gettext("{party}: {people}").format(
                    party=party, people=esc(", ".join(turnout.voters))
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
    ).format(names=esc(", ".join(names)), id=checkin.id)


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
                id=open_checkin.id, time=local(open_checkin.closes_at, zone), zone=esc(zone)
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
                time=local(start, zone), zone=esc(zone)
            )
        )
        if moved is not None:
            lines.append(render_moved(*moved, t))
    return "\n".join(lines)


def render_moved(scheduled: dt.date, skipped: list[SkippedDay], t: Translator) -> str:
    """Why a check-in is not on the day its schedule names: each day it moved past."""

    def why(day: SkippedDay) -> str:
        if day.holidays:
            return ", ".join(
                t.gettext("{holiday} ({country})").format(holiday=esc(name), country=country)
                for country, name in day.holidays
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
    return format_skeleton("MMMEd", day, locale=t.language)


def render_history_line(checkin: Checkin, zone: str, t: Translator) -> str:
    summary = checkin.summary or {}
    parties: dict[str, list[str]] = summary.get("parties", {})
    answered = [key for key, names in parties.items() if names]
    missing = [key for key, names in parties.items() if not names]
    line = t.gettext("#{id} {date}: {answered}/{total} parties").format(
        id=checkin.id,
        date=local(checkin.opened_at, zone)[:10],
        answered=len(answered),
        total=len(parties),
    )
    if missing:
        line += " — " + t.gettext("missing: {keys}").format(keys=esc(", ".join(missing)))
    return line
