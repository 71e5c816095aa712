"""The coordinators' monthly digest: one message per party, its weak figures marked."""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_skeleton

from bot.domain.digest import Figures, Thresholds
from bot.i18n import Translator, dates
from bot.renderers import esc, listed, then
from bot.renderers.participation import render_participation_flag
from bot.services.digest import Digest, PartyDigest


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _duration(minutes: float, t: Translator) -> str:
    if minutes == math.inf:
        return t.gettext("never")
    return dates.duration(dt.timedelta(minutes=round(minutes)), t)


def _mark(name: str, item: PartyDigest) -> str:
    return " ✗" if name in item.below else ""


def month_name(digest: Digest, t: Translator) -> str:
    """`November 2026` / `2026年11月`: the locale's own order of month and year."""
    return format_skeleton("yMMMM", digest.month, locale=dates.locale_of(t))


def render_party(digest: Digest, item: PartyDigest, t: Translator) -> str:
    f: Figures = item.figures
    limits: Thresholds = digest.thresholds
    lines = [f"<b>{esc(item.party.name)}</b>"]  # the month is in the digest's first line
    if item.flagged:
        lines.append(
            "⚠ "
            + t.gettext(
                "Flagged: below the thresholds two months in a row. Collaboration that exists "
                "only on paper starts like this; please talk with the party."
            )
        )
    elif item.below:
        lines.append(t.gettext("Below a threshold this month."))
    if item.mentors_below:
        lines.append(render_participation_flag(item.mentors_below, t))
    lines.append(
        t.ngettext(
            "Check-in attendance: {rate} of {n} check-in (threshold {limit})",
            "Check-in attendance: {rate} of {n} check-ins (threshold {limit})",
            f.checkins,
        ).format(
            rate=_pct(f.checkin_attendance), n=f.checkins, limit=_pct(limits.checkin_attendance)
        )
        + _mark("checkin_attendance", item)
    )
    if f.requests:
        lines.append(
            t.ngettext(
                "On-call response: median {wait} over {n} question, {never} never acknowledged "
                "(threshold {limit})",
                "On-call response: median {wait} over {n} questions, {never} never acknowledged "
                "(threshold {limit})",
                f.requests,
            ).format(
                wait=_duration(f.response_minutes or 0.0, t),
                n=f.requests,
                never=f.unacknowledged,
                limit=_duration(limits.response_minutes, t),
            )
            + _mark("response_minutes", item)
        )
    else:
        lines.append(t.gettext("On-call response: no questions this month"))
    if f.scores_due:
        lines.append(
            t.gettext("Reports scored on time: {rate} of {n} (threshold {limit})").format(
                rate=_pct(f.scored_on_time), n=f.scores_due, limit=_pct(limits.scored_on_time)
            )
            + _mark("scored_on_time", item)
        )
    if f.applications:
        lines.append(
            t.gettext(
                "Topic applications answered within 7 days: {rate} of {n} (threshold {limit})"
            ).format(
                rate=_pct(f.topics_answered), n=f.applications, limit=_pct(limits.topics_answered)
            )
            + _mark("topics_answered", item)
        )
    return "\n".join(lines)


MAX_MESSAGE = 4000  # below Telegram's 4096, for the markup


def render_digest(digest: Digest, t: Translator) -> list[str]:
    """The digest as few messages as fit: the summary, then each party (the flagged first),
    a message ending only between parties."""
    messages = ["<b>" + render_digest_summary(digest, t) + "</b>"]
    for item in digest.parties:
        section = render_party(digest, item, t)
        if len(messages[-1]) + 2 + len(section) > MAX_MESSAGE:
            messages.append(section)
        else:
            messages[-1] += "\n\n" + section
    return messages


def render_digest_summary(digest: Digest, t: Translator) -> str:
    flagged = [esc(d.party.name) for d in digest.parties if d.flagged or d.mentors_below]
    text = t.ngettext(
        "Monthly digest, {month}: {n} party.",
        "Monthly digest, {month}: {n} parties.",
        len(digest.parties),
    ).format(month=month_name(digest, t), n=len(digest.parties))
    if flagged:
        text = then(text, t.gettext("Flagged: {names}.").format(names=listed(flagged, t)), t)
    return text
