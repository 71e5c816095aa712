"""Topics and achievements (any member, as /topics and /achievements): the open and running
research topics with their teams and report cycles, and the achievements the caller may
see (the same filter as /achievements: coordinators all, others their parties' and their
own) with each revenue's split, amounts exact as the chat prints them."""

from __future__ import annotations

from fractions import Fraction

from aiohttp import web
from babel.dates import format_date

from bot.domain.access import ROLE_NAMES
from bot.renderers.achievements import achievement_kind_name, money, percent
from bot.renderers.liaison import name_of
from bot.renderers.reports import kind_name
from bot.renderers.topics import state_name
from bot.services import achievements, topics
from bot.services.achievements import amount_of
from bot.web.api.base import JSON, Answer, ApiRequest, view
from db.models import Role


async def listing(request: ApiRequest) -> Answer:
    """The topics of /topics and the achievements of /achievements, for this caller."""
    t, language = request.t, request.caller.language
    found: list[JSON] = []
    for topic_view in await topics.listed(request.repos):
        topic = topic_view.topic
        found.append(
            {
                "id": topic.id,
                "title": topic.title or "",
                "party": topic_view.party.name,
                "state": topic.state.value,
                "state_name": state_name(topic.state, t),
                "deadline": format_date(topic.deadline, "medium", locale=language)
                if topic.deadline
                else None,
                "team": [name_of(p) for p in topic_view.team],
                "team_size": topic.team_size,
                "mentors": [name_of(p) for _, p in topic_view.mentors],
                "reports": [
                    {
                        "cycle": r.cycle + 1,
                        "status": r.status.value,
                        "late": r.late,
                        "submitted": format_date(r.submitted_at, "medium", locale=language)
                        if r.submitted_at
                        else None,
                    }
                    for r in topic_view.reports
                ],
            }
        )
    person = request.person
    outcomes: list[JSON] = []
    for seen in await achievements.visible_to(request.repos, person, set(request.caller.roles)):
        achievement = seen.achievement
        kinds = {p.id: p.kind for p in seen.parties}
        outcomes.append(
            {
                "id": achievement.id,
                "title": achievement.title,
                "kind": achievement_kind_name(achievement.kind, t),
                "topic": achievement.topic_id,
                "parties": [p.name for p in seen.parties],
                "members": [name_of(m) for m in seen.members],
                "revenues": [
                    {
                        "amount": money(amount_of(r.amount_minor, r.currency), r.currency),
                        "date": format_date(r.recorded_at, "medium", locale=language),
                        "note": r.note,
                        "shares": [
                            {
                                "name": s.name,
                                "role": kind_name(kinds[s.party_id], t)
                                if s.party_id is not None and s.party_id in kinds
                                else t.gettext(ROLE_NAMES[Role.STUDENT]),
                                "percent": percent(Fraction(s.percent)),
                                "amount": money(amount_of(s.amount_minor, r.currency), r.currency),
                            }
                            for s in r.shares
                        ],
                    }
                    for r in seen.revenues
                ],
            }
        )
    return Answer({"topics": found, "achievements": outcomes})


def build_routes() -> list[web.RouteDef]:
    return [view("topics", listing)]
