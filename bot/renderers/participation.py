"""What mandatory participation says: the reminder to a mentor below the least share of
weeks scored, the same news for their party's contact and the coordinators, and the flag
on a party in the digest and /cohort."""

from __future__ import annotations

from bot.domain.participation import Step
from bot.i18n import Translator
from bot.renderers import esc
from bot.services.participation import Below


def _share(item: Below) -> str:
    return f"{item.found.share * 100:.0f}%"


def _mentor(item: Below) -> str:
    return esc(item.mentor.name or item.mentor.telegram_id)


def render_participation_reminder(
    step: Step, item: Below, t: Translator, contact_told: bool = True
) -> str:
    """The step's message: to the mentor, or about the mentor to a contact or coordinator
    (`contact_told`: their party's contact heard of it before the coordinators)."""
    figures = {
        "scored": item.found.scored,
        "due": item.found.due,
        "share": _share(item),
        "least": f"{item.least:.0f}%",
    }
    if step is Step.MENTOR:
        return t.ngettext(
            "You have scored {scored} of the {due} weekly report you were asked to score "
            "({share}); the consortium asks every mentor to score at least {least}. Please "
            "score the reports waiting for you.",
            "You have scored {scored} of the {due} weekly reports you were asked to score "
            "({share}); the consortium asks every mentor to score at least {least}. Please "
            "score the reports waiting for you.",
            item.found.due,
        ).format(**figures)
    party = esc(item.party.name) if item.party else "-"
    text = t.ngettext(
        "Mentor {mentor} ({party}) has scored {scored} of {due} weekly report ({share}), "
        "below the least share of {least}, and was reminded.",
        "Mentor {mentor} ({party}) has scored {scored} of {due} weekly reports ({share}), "
        "below the least share of {least}, and was reminded.",
        item.found.due,
    ).format(mentor=_mentor(item), party=party, **figures)
    space = "" if t.language == "zh" else " "  # after a full-width stop, no space
    if step is Step.CONTACT:
        return text + space + t.gettext("Please make sure your party's mentor scores them.")
    if not contact_told:
        return text + space + t.gettext("Please talk with the party.")
    told = t.gettext("Their party's contact was told too; please talk with the party.")
    return text + space + told


def render_participation_flag(mentors: list[Below], t: Translator) -> str:
    """`⚠ Below the least share of weeks scored: Li Wei 1 of 4 (25%)`."""
    names = ", ".join(
        t.gettext("{mentor} {scored} of {due} ({share})").format(
            mentor=_mentor(item), scored=item.found.scored, due=item.found.due, share=_share(item)
        )
        for item in mentors
    )
    least = f"{mentors[0].least:.0f}%" if mentors else "-"
    return "⚠ " + t.gettext(
        "Mentors below the least share of weeks scored ({least}): {names}"
    ).format(least=least, names=names)
