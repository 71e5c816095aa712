"""Check-ins (any member, as /checkins): participation per party per month (a grid of the
parties by the last twelve check-ins: answered or not, without who answered, which only a
coordinator's export carries) and the action items, open and done."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_skeleton

from bot.web.api.base import JSON, Answer, ApiRequest, view
from db.models import ActionItem

MONTHS = 12


async def grid(request: ApiRequest) -> Answer:
    """The last check-ins, oldest first, and each party's answer to each."""
    zone = ZoneInfo(await request.ctx.zone())
    language = request.caller.language
    past = list(reversed(await request.repos.checkins.closed(limit=MONTHS)))
    parties = await request.repos.parties.all()
    names = {p.key: p.name for p in parties}
    by_id = {p.id: p.name for p in parties}
    labels = {
        c.id: format_skeleton("yMMM", c.opened_at.astimezone(zone), locale=language) for c in past
    }
    columns = [{"id": c.id, "label": labels[c.id]} for c in past]
    rows: list[JSON] = []
    for party in parties:
        cells = []
        for checkin in past:
            answered = (checkin.summary or {}).get("parties", {})
            cells.append(None if party.key not in answered else bool(answered[party.key]))
        if any(cell is not None for cell in cells):
            rows.append({"party": names[party.key], "cells": cells})
    items: dict[int, JSON] = {}
    for checkin in past:
        for item in await request.repos.checkins.actions_of(checkin.id):
            items[item.id] = _item(item, by_id, labels)
    for item in await request.repos.checkins.open_actions():
        items[item.id] = _item(item, by_id, labels)
    ordered = sorted(items.values(), key=lambda i: (i["done"], -i["id"]))
    return Answer({"checkins": columns, "parties": rows, "actions": ordered})


def _item(item: ActionItem, parties: dict[int, str], labels: dict[int, str]) -> JSON:
    return {
        "id": item.id,
        "text": item.text,
        "party": parties.get(item.party_id or 0, ""),
        "checkin": labels.get(item.checkin_id, ""),
        "done": item.done_at is not None,
    }


def build_routes() -> list[web.RouteDef]:
    return [view("checkins", grid)]
