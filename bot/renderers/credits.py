"""What credits say: each source of a student's credits in /credits, and the credit
transcript a university office files (a workbook and a printable HTML page)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from bot.domain.credits import CreditRules, Credits
from bot.i18n import Translator, dates
from bot.renderers import esc, plural
from bot.renderers.analytics import render_credits_line
from bot.services.credits import StudentCredits, TrainingAdded


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}" if value != value.to_integral_value() else f"{int(value)}"


def render_rules(per: CreditRules, t: Translator) -> str:
    """The consortium's credit rules, as the transcript states them ("1 credit per ...")."""
    each = [  # "1 credit per ..." as well as "2 credits per ..."
        t.ngettext(
            "{n} credit per full month abroad",
            "{n} credits per full month abroad",
            plural(per.overseas_per_month),
        ).format(n=_n(per.overseas_per_month)),
        t.ngettext(
            "{n} credit per {hours} hours of enterprise training",
            "{n} credits per {hours} hours of enterprise training",
            plural(per.training_credits),
        ).format(n=_n(per.training_credits), hours=_n(per.training_hours_per_credit)),
        t.ngettext(
            "{n} credit per accepted research report cycle",
            "{n} credits per accepted research report cycle",
            plural(per.per_topic_cycle),
        ).format(n=_n(per.per_topic_cycle)),
    ]
    return t.gettext("Rules: {rules}.").format(rules=t.gettext("; ").join(each))


def _hours(hours: Decimal, t: Translator) -> str:
    return t.ngettext("{hours} hour", "{hours} hours", plural(hours)).format(hours=_n(hours))


def _overseas(found: StudentCredits) -> Credits:
    return Credits(
        sum(c.months for _, _, c in found.placements),
        found.overseas,
        sum(c.planned_months for _, _, c in found.placements),
        found.overseas_planned,
    )


def render_student_credits(found: StudentCredits, t: Translator) -> str:
    """A student's credits: abroad as ever, then training and research when there are any."""
    lines = []
    if found.placements:
        lines.append(render_credits_line(_overseas(found), t))
    total = found.training_total
    if total is not None and total.hours > 0:
        lines.append(
            t.ngettext(
                "Enterprise training: {credits} earned ({hours} hour; {rest} toward the next "
                "credit)",
                "Enterprise training: {credits} earned ({hours} hours; {rest} toward the next "
                "credit)",
                plural(total.hours),
            ).format(credits=_n(total.earned), hours=_n(total.hours), rest=_n(total.toward_next))
        )
    if found.research:
        lines.append(
            t.ngettext(
                "Research topics: {credits} earned ({n} accepted report cycle)",
                "Research topics: {credits} earned ({n} accepted report cycles)",
                len(found.research),
            ).format(credits=_n(found.research_earned), n=len(found.research))
        )
    minutes = sum(c.minutes for c in found.courses)
    if minutes:
        lines.append(
            t.gettext("Course modules: {credits} earned ({hours} hours attended)").format(
                credits=_n(found.courses_earned), hours=_n(Decimal(minutes) / 60)
            )
        )
    if not lines:
        return t.gettext("No practice is recorded for you yet.")
    if len(lines) > 1:
        lines.append("<b>" + t.gettext("Credits in all: {n}").format(n=_n(found.total)) + "</b>")
    return "\n".join(lines)


def render_everybody(rows: Sequence[StudentCredits], total: int, t: Translator) -> str:
    """The first students' credits (`rows`) of `total`."""
    if not rows:
        return t.gettext("No practice is recorded yet.")
    lines = ["<b>" + t.gettext("Credits for practice") + "</b>"]
    for found in rows:
        name = esc(found.student.name or found.student.telegram_id)
        if found.training_earned or found.research or found.courses_earned:
            line = t.gettext(
                "{name}: {total} in all (abroad {overseas}, training {training}, "
                "research {research})"
            ).format(
                name=name,
                total=_n(found.total),
                overseas=_n(found.overseas),
                training=_n(found.training_earned),
                research=_n(found.research_earned),
            )
            if found.courses_earned:
                line += " " + t.gettext("(course modules: {courses})").format(
                    courses=_n(found.courses_earned)
                )
            lines.append(line)
        else:
            lines.append(
                t.gettext("{name}: {earned} earned, {planned} planned").format(
                    name=name, earned=f"{found.overseas:g}", planned=f"{found.overseas_planned:g}"
                )
            )
    if total > len(rows):
        lines.append(t.gettext("… and {n} more (see /export)").format(n=total - len(rows)))
    lines.append(t.gettext("A student's transcript: /transcript STUDENT_ID"))
    return "\n".join(lines)


def render_training_added(added: TrainingAdded, hours: Decimal, t: Translator) -> str:
    assert added.record and added.party and added.student and added.total
    return t.ngettext(
        "Recorded {hours} hour of training at {party} for {student} on {day}. In all: "
        "{total} hours; credits earned: {credits}.",
        "Recorded {hours} hours of training at {party} for {student} on {day}. In all: "
        "{total} hours; credits earned: {credits}.",
        plural(hours),
    ).format(
        hours=_n(hours),
        party=esc(added.party.name),
        student=esc(added.student.name or added.student.telegram_id),
        day=dates.day(added.record.day, t),
        total=_n(added.total.hours),
        credits=_n(added.total.earned),
    )


def render_training_day_full(
    added: TrainingAdded, hours: Decimal, day: dt.date, t: Translator
) -> str:
    """A record that would make the student's day longer than 24 hours: nothing was added."""
    assert added.student is not None
    return t.ngettext(
        "Nothing was recorded: {student} already has {recorded} hour of training on {day}, "
        "and {hours} more would make it over 24 hours in one day.",
        "Nothing was recorded: {student} already has {recorded} hours of training on {day}, "
        "and {hours} more would make it over 24 hours in one day.",
        plural(Decimal(added.recorded_that_day) / 60),
    ).format(
        student=esc(added.student.name or added.student.telegram_id),
        recorded=_n(Decimal(added.recorded_that_day) / 60),
        day=dates.day(day, t),
        hours=_n(hours),
    )


def render_training_for_student(added: TrainingAdded, hours: Decimal, t: Translator) -> str:
    assert added.record and added.party and added.total
    return t.ngettext(
        "{party} recorded {hours} hour of your training on {day}. Enterprise training so far: "
        "{total} hours; credits earned: {credits}. See /credits.",
        "{party} recorded {hours} hours of your training on {day}. Enterprise training so far: "
        "{total} hours; credits earned: {credits}. See /credits.",
        plural(hours),
    ).format(
        party=esc(added.party.name),
        hours=_n(hours),
        day=dates.day(added.record.day, t),
        total=_n(added.total.hours),
        credits=_n(added.total.earned),
    )


def render_training_refusal(reason: str, t: Translator) -> str:
    return {
        "not_enterprise": t.gettext(
            "Only the contacts and mentors of an enterprise can record its training hours."
        ),
        "not_student": t.gettext("That Telegram id is not a student of the consortium."),
        "usage": t.gettext(
            "Send /training STUDENT_ID HOURS [YYYY-MM-DD] [NOTE], for example /training 2001 8 "
            "2026-11-20 lab safety and PLC basics"
        ),
    }[reason]


# --- the transcript ------------------------------------------------------------------------


def transcript_rows(found: StudentCredits, t: Translator) -> list[list[str]]:
    """One row per source item: source, what, period or day, amount, credits."""
    rows: list[list[str]] = []
    per_month = found.rules.overseas_per_month
    for placement, site, credits in found.placements:
        rows.append(
            [
                t.gettext("Overseas practice"),
                site.name if site else "",
                f"{placement.start_date.isoformat()} – {placement.end_date.isoformat()}",
                t.ngettext(
                    "{n} full month × {rate}", "{n} full months × {rate}", credits.months
                ).format(n=credits.months, rate=_n(per_month)),
                _n(credits.earned),
            ]
        )
    for record, party in found.training:
        rows.append(
            [
                t.gettext("Enterprise training"),
                (party.name if party else "") + (f": {record.note}" if record.note else ""),
                record.day.isoformat(),
                _hours(Decimal(record.minutes) / 60, t),
                "",
            ]
        )
    if found.training_total is not None and found.training_total.hours > 0:
        rows.append(
            [
                t.gettext("Enterprise training"),
                t.ngettext(
                    "{n} complete block of {hours} hours",
                    "{n} complete blocks of {hours} hours",
                    found.training_total.blocks,
                ).format(
                    n=found.training_total.blocks, hours=_n(found.rules.training_hours_per_credit)
                ),
                "",
                _hours(found.training_total.hours, t),
                _n(found.training_earned),
            ]
        )
    for module in found.courses:
        rows.append(
            [
                t.gettext("Course module"),
                module.course.title_zh if t.language == "zh" else module.course.title_en,
                "",
                t.gettext("{hours} hours attended × {rate}").format(
                    hours=_n(Decimal(module.minutes) / 60),
                    rate=_n(Decimal(module.course.credits_per_hour)),
                ),
                _n(module.credits),
            ]
        )
    for item in found.research:
        rows.append(
            [
                t.gettext("Research topic"),
                f"#{item.topic.id} {item.topic.title or ''}",
                item.cycle.label(),
                t.gettext("accepted report cycle"),
                _n(found.rules.per_topic_cycle),
            ]
        )
    return rows


def _headers(t: Translator) -> list[str]:
    return [
        t.gettext("Source"),
        t.gettext("What"),
        t.gettext("When"),
        t.gettext("Amount"),
        t.gettext("Credits"),
    ]


def transcript_xlsx(found: StudentCredits, t: Translator, issued: dt.date) -> bytes:
    # Imported here, not at start-up (bot/lazy.py says why); this runs in a worker thread,
    # where a plain import is safe and Python 3.11's lazy modules are not.
    import openpyxl
    import openpyxl.styles

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.gettext("Credit transcript")[:31]  # Excel's longest sheet name
    student = found.student
    sheet.append([t.gettext("Credit transcript"), student.name or "", str(student.telegram_id)])
    sheet.append([t.gettext("Issued"), issued])  # a date cell, not a text
    sheet["B2"].number_format = "yyyy-mm-dd"
    sheet.append([])
    sheet.append(_headers(t))
    for cell in sheet[4]:
        cell.font = openpyxl.styles.Font(bold=True)
    for row in transcript_rows(found, t):
        *text, credits = row
        sheet.append([*text, float(Decimal(credits)) if credits else None])
    sheet.append([t.gettext("Total"), "", "", "", float(found.total)])
    sheet[sheet.max_row][0].font = openpyxl.styles.Font(bold=True)
    for column, width in zip("ABCDE", (22, 48, 26, 28, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def transcript_html(
    found: StudentCredits, t: Translator, issued: dt.date, consortium: str, language: str
) -> bytes:
    student = found.student
    head = "".join(f"<th>{escape(h)}</th>" for h in _headers(t))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in transcript_rows(found, t)
    )
    title = t.gettext("Credit transcript")
    rules = render_rules(found.rules, t)
    # gettext outside the f-string: Python 3.11's extraction does not look inside f-strings
    student_label, checked_by = t.gettext("Student"), t.gettext("Checked by (university office):")
    issued_label, total_label = t.gettext("Issued"), t.gettext("Total")
    page = f"""<!DOCTYPE html>
<html lang="{escape(language)}"><head><meta charset="utf-8">
<title>{escape(title)}: {escape(student.name or str(student.telegram_id))}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: 4px 8px; text-align: left; }}
td:last-child, th:last-child {{ text-align: right; }}
tfoot td {{ font-weight: bold; }}
.sign {{ margin-top: 4em; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p>{escape(consortium)}</p>
<p>{escape(student_label)}: <b>{escape(student.name or "")}</b>
(Telegram {student.telegram_id})<br>
{escape(issued_label)}: {issued.isoformat()}</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>
<tfoot><tr><td colspan="4">{escape(total_label)}</td><td>{_n(found.total)}</td></tr></tfoot>
</table>
<p>{escape(rules)}</p>
<p class="sign">{escape(checked_by)} ______________________</p>
</body></html>
"""
    return page.encode("utf-8")
