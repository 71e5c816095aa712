"""What achievements and revenue shares say: the record, the list and the split."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from babel.numbers import get_currency_precision

from bot.i18n import Translator, dates
from bot.renderers import aside, esc, fit, labelled, listed, more_lines
from bot.renderers.reports import kind_name
from bot.services.achievements import AchievementView, RevenueAdded, amount_of
from db.models import Achievement, AchievementKind, Revenue


def achievement_kind_name(kind: AchievementKind, t: Translator) -> str:
    return {
        AchievementKind.PATENT: t.gettext("patent"),
        AchievementKind.SOFTWARE: t.gettext("software"),
        AchievementKind.PRODUCT: t.gettext("product"),
        AchievementKind.PAPER: t.gettext("paper"),
        AchievementKind.STANDARD: t.gettext("standard"),
    }[kind]


def money(amount: Decimal, currency: str) -> str:
    """An exact amount with the currency's own decimals: 12,500.50 CNY, 1,000 JPY."""
    places = get_currency_precision(currency)
    return f"{amount:,.{places}f} {currency}"


def percent(value: Fraction) -> str:
    """A share for people to read (two decimals); the exact one is stored."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "%"


def achievement_label(achievement: Achievement, t: Translator) -> str:
    return t.gettext('#{id} {kind} "{title}"').format(
        id=achievement.id,
        kind=achievement_kind_name(achievement.kind, t),
        title=esc(achievement.title),
    )


def render_recorded(view: AchievementView, t: Translator) -> str:
    return "\n".join(
        [
            t.gettext("Achievement {label} is recorded.").format(
                label=achievement_label(view.achievement, t)
            ),
            t.gettext("Parties: {names}").format(
                names=listed((aside(esc(p.name), kind_name(p.kind, t), t) for p in view.parties), t)
            ),
            t.gettext("Members: {names}").format(
                names=listed((esc(m.name or m.telegram_id) for m in view.members), t)
            ),
            t.gettext("Coordinators record revenue from it with /revenue {id} AMOUNT.").format(
                id=view.achievement.id
            ),
        ]
    )


def render_achievement_usage(t: Translator) -> str:
    return t.gettext(
        "Send /achievement TOPIC KIND TITLE: TOPIC is the topic's number, or - for your own "
        "work; KIND is patent, software, product, paper or standard. For example: "
        "/achievement 3 patent Low-cost soil moisture sensor"
    )


def render_refusal(reason: str, t: Translator) -> str:
    return {
        "no_topic": t.gettext("There is no running or closed topic with that number."),
        "not_yours": t.gettext(
            "Only the topic's team, its institute's contacts or a coordinator can record this."
        ),
        "no_parties": t.gettext("No party is linked to this work yet."),
        "gone": t.gettext("There is no achievement with that number."),
        "no_share": t.gettext(
            "None of this achievement's parties has a share in the consortium file's "
            "achievements section, or it has no student; nothing was recorded."
        ),
    }[reason]


def render_revenue_usage(t: Translator) -> str:
    return t.gettext(
        "Send /revenue ACHIEVEMENT AMOUNT [CURRENCY] [NOTE], for example /revenue 1 12500.50 CNY "
        "licence fee 2026"
    )


def _revenue_lines(revenue: Revenue, view: AchievementView, t: Translator) -> list[str]:
    kinds = {p.id: p.kind for p in view.parties}
    lines = []
    for share in revenue.shares:
        amount = amount_of(share.amount_minor, revenue.currency)
        if share.party_id is not None and share.party_id in kinds:
            who = aside(esc(share.name), kind_name(kinds[share.party_id], t), t)
        else:
            who = t.gettext("{name} (student)").format(name=esc(share.name))
        lines.append(
            "• "
            + labelled(
                who, f"{percent(Fraction(share.percent))} = {money(amount, revenue.currency)}", t
            )
        )
    return lines


def render_split(added: RevenueAdded, raised_at: Decimal, t: Translator) -> str:
    assert added.revenue is not None and added.view is not None and added.split is not None
    revenue, view = added.revenue, added.view
    measured = (
        t.gettext("the topic's report cycles")
        if added.measured_on == "topic"
        else t.gettext("the weekly reports")
    )
    students_share = added.split.percent
    total_students = sum(
        (p for key, p in students_share.items() if key.startswith("s")), Fraction(0)
    )
    lines = [
        "<b>"
        + t.gettext("Revenue from {label}: {amount}").format(
            label=achievement_label(view.achievement, t),
            amount=money(amount_of(revenue.amount_minor, revenue.currency), revenue.currency),
        )
        + "</b>",
        t.gettext("Students' participation in the project: {rate} (measured on {what}).").format(
            rate=percent(added.participation * 100), what=measured
        ),
        (
            t.gettext("It reaches {threshold}%, so the students' share is raised to {share}.")
            if added.split.raised
            else t.gettext("It is below {threshold}%, so the students' share stays {share}.")
        ).format(threshold=f"{raised_at:g}", share=percent(total_students)),
    ]
    lines += _revenue_lines(revenue, view, t)
    if revenue.note:
        lines.append(t.gettext("Note: {note}").format(note=esc(revenue.note)))
    return "\n".join(lines)


def render_achievements(views: Sequence[AchievementView], t: Translator) -> str:
    if not views:
        return t.gettext("No achievement is recorded yet. Record one with /achievement.")
    lines = ["<b>" + t.gettext("Achievements") + "</b>"]
    for view in views[-30:]:
        lines.append(
            achievement_label(view.achievement, t)
            + " — "
            + listed((esc(p.name) for p in view.parties), t)
        )
        for revenue in view.revenues:
            amount = amount_of(revenue.amount_minor, revenue.currency)
            lines.append(
                "  "
                + t.gettext("Revenue {amount} on {date}:").format(
                    amount=money(amount, revenue.currency),
                    date=dates.day(revenue.recorded_at.date(), t),
                )
            )
            lines += ["  " + line for line in _revenue_lines(revenue, view, t)]
    return fit(lines, more_lines(t))
