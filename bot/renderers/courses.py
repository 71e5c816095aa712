"""Course modules and sessions as people read them: /courses, a session's reminder, the
attendance sheet, and the answers of /course."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_timedelta
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.courses import CourseInputError
from bot.i18n import Translator, dates
from bot.renderers import Rendered, esc
from bot.services.courses import (
    CoursesView,
    Refusal,
    Reminder,
    SessionView,
    Sheet,
    title,
)
from bot.telegram.callbacks import Action, SessionOp, attendee_op, encode

MAX_SHEET = 60  # attendees with a button each; the rest confirm themselves


def when(moment: dt.datetime, zone: str, t: Translator) -> str:
    """A moment in the reader's zone and language, with the zone named."""
    local = ZoneInfo(zone)
    locale = dates.locale_of(t)
    day = format_skeleton("yMMMEd", moment, tzinfo=local, locale=locale)
    time = format_skeleton("Hm", moment, tzinfo=local, locale=locale)
    return t.gettext("{day} {time} ({zone})").format(
        day=day, time=time, zone=dates.zone_name(zone, t)
    )


def length(minutes: int, t: Translator) -> str:
    return t.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def _where(view: SessionView, t: Translator) -> str:
    if view.session.link:
        return t.gettext("online: {link}").format(link=esc(view.session.link))
    if view.session.place:
        return t.gettext("at {place}").format(place=esc(view.session.place))
    return t.gettext("place to be announced")


def session_line(view: SessionView, zone: str, t: Translator) -> str:
    parts = [
        f"<b>{esc(title(view.course, t.language))}</b>",
        when(view.session.starts_at, zone, t),
        length(view.session.minutes, t),
        _where(view, t),
    ]
    if view.speaker is not None:
        name = view.speaker.name or str(view.speaker.telegram_id)
        parts.append(t.gettext("speaker: {name}").format(name=esc(name)))
    return " · ".join(parts)


def _short(view: SessionView, zone: str, t: Translator) -> str:
    local = ZoneInfo(zone)
    day = format_skeleton("MMMd", view.session.starts_at, tzinfo=local, locale=dates.locale_of(t))
    name = title(view.course, t.language)
    return f"{name[:27]}… {day}" if len(name) > 28 else f"{name} {day}"


def render_courses(view: CoursesView, t: Translator) -> Rendered:
    if not view.courses:
        return Rendered(t.gettext("You take part in no course module yet."))
    lines = [t.gettext("<b>Your course modules</b>")]
    lines += [
        "• "
        + t.gettext("{title} (led by {party})").format(
            title=esc(title(course, t.language)), party=esc(lead)
        )
        for course, lead in view.courses
    ]
    lines.append("")
    if view.upcoming:
        lines.append(t.gettext("<b>Next sessions</b> (your time):"))
        lines += ["• " + session_line(item, view.zone, t) for item in view.upcoming]
    else:
        lines.append(t.gettext("No session is coming up."))
    rows = [
        [
            InlineKeyboardButton(
                t.gettext("Attendance: {session}").format(session=_short(item, view.zone, t)),
                callback_data=encode(Action.SESSION, item.session.id, SessionOp.SHEET),
            )
        ]
        for item in view.to_mark
    ]
    rows += [
        [
            InlineKeyboardButton(
                t.gettext("I attended {session}").format(session=_short(item, view.zone, t)),
                callback_data=encode(Action.SESSION, item.session.id, SessionOp.CONFIRM),
            )
        ]
        for item in view.to_confirm
    ]
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


def render_reminder(reminder: Reminder, now: dt.datetime, t: Translator) -> Rendered:
    view = SessionView(reminder.session, reminder.course, None, "")
    left = format_timedelta(
        reminder.session.starts_at - now, threshold=1, add_direction=True, locale=t.language
    )
    text = t.gettext("Reminder: <b>{title}</b> starts {left}, {when}; {where}.").format(
        title=esc(title(reminder.course, t.language)),
        left=left,
        when=when(reminder.session.starts_at, reminder.zone, t),
        where=_where(view, t),
    )
    text += "\n" + t.gettext("Once it has started, confirm that you attended:")
    button = InlineKeyboardButton(
        t.gettext("I attended"),
        callback_data=encode(Action.SESSION, reminder.session.id, SessionOp.CONFIRM),
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def render_sheet(sheet: Sheet, zone: str, t: Translator) -> Rendered:
    view = sheet.view
    lines = [
        t.gettext("<b>Attendance</b>: {session}").format(session=session_line(view, zone, t)),
        t.gettext("Press a name to mark them attended (✅) or not (⬜)."),
    ]
    rows = []
    for person, present in sheet.rows[:MAX_SHEET]:
        mark = "✅" if present else "⬜"
        rows.append(
            [
                InlineKeyboardButton(
                    f"{mark} {person.name or person.telegram_id}",
                    callback_data=encode(Action.SESSION, view.session.id, attendee_op(person.id)),
                )
            ]
        )
    left = len(sheet.rows) - MAX_SHEET
    if left > 0:
        lines.append(
            t.ngettext(
                "{n} more attendee confirms with the button in their reminder.",
                "{n} more attendees confirm with the button in their reminder.",
                left,
            ).format(n=left)
        )
    attended = sum(1 for _, present in sheet.rows if present)
    lines.append(t.gettext("Attended: {n} of {total}.").format(n=attended, total=len(sheet.rows)))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


def render_confirmed(view: SessionView, t: Translator) -> str:
    return t.gettext("Thank you: your attendance at {title} is recorded.").format(
        title=esc(title(view.course, t.language))
    )


def render_refusal(reason: Refusal, t: Translator) -> str:
    return {
        "unknown": t.gettext("That session no longer exists."),
        "not_yours": t.gettext(
            "Only a coordinator or a contact of the party leading the module can do that "
            "(and the speaker can mark attendance)."
        ),
        "not_now": t.gettext(
            "Attendance can be recorded from the start of a session until a week after it."
        ),
        "not_attendee": t.gettext("You are not among this session's attendees."),
    }[reason]


def render_course_usage(t: Translator) -> str:
    return t.gettext(
        "To add a module: /course new KEY LEAD_PARTY English title | 中文标题\n"
        "To add a session for the whole cohort, in the lead party's time: "
        "/course session KEY YYYY-MM-DD HH:MM LENGTH [LINK or PLACE]\n"
        "Example: /course session data-security 2027-03-01 09:00 90m https://meet.example/ds"
    )


def render_course_problem(problem: CourseInputError, t: Translator) -> str:
    messages = {
        "unknown_party": t.gettext("There is no party with the key {value}."),
        "unknown_course": t.gettext("There is no module with the key {value}; see /courses."),
        "duplicate_course": t.gettext("A module with the key {value} exists already."),
        "bad_course": t.gettext(
            "A module's key is lower-case letters, digits, - or _ (such as data-security), "
            "and its title at most 200 characters; not {value}."
        ),
        "bad_start": t.gettext("Please give the start as YYYY-MM-DD HH:MM, not {value}."),
        "bad_length": t.gettext(
            "Please give the length as a duration up to 12h, such as 90m or 2h; not {value}."
        ),
        "session_in_past": t.gettext("{value} has passed; please give a later start."),
        "where_too_long": t.gettext("Please keep the link or place to {value} characters at most."),
    }
    return messages[problem.code].format(value=esc(problem.value))


def render_course_added(view_title: str, key: str, t: Translator) -> str:
    return t.gettext(
        "Module {title} added (key {key}). Add its sessions with /course session {key} ..."
    ).format(title=esc(view_title), key=esc(key))


def render_session_added(view: SessionView, zone: str, t: Translator) -> str:
    return t.gettext(
        "Session added; every student is reminded before it starts:\n{session}"
    ).format(session=session_line(view, zone, t))
