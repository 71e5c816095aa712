"""The Cohort view (coordinators): per collaboration model, party, placement site and
dimension, baseline, current level and improvement, participation and Cronbach's alpha, as
/cohort shows them; and the roster, filtered, whose rows open a student."""

from __future__ import annotations

from aiohttp import web

from bot.services.dashboard import RosterFilter, SummaryCache, filtered_roster
from bot.web.api.base import Answer, ApiRequest, view

CACHE_KEY: web.AppKey[SummaryCache] = web.AppKey("cohort-cache")


def _cache(request: ApiRequest) -> SummaryCache:
    app = request.http.app
    if CACHE_KEY not in app:
        raise RuntimeError("the web app was built without the cohort's cache")
    return app[CACHE_KEY]


async def summary(request: ApiRequest) -> Answer:
    """The cohort's figures (the summary of /cohort)."""
    found = await _cache(request).get(request.ctx)
    return Answer({"version": found.version, **found.figures})


async def roster(request: ApiRequest) -> Answer:
    """Students matching ?party=&site=&model=&q= (the first page of them, and how many)."""
    found = await _cache(request).get(request.ctx)
    query = request.http.query
    wanted = RosterFilter(
        party=query.get("party") or None,
        site=query.get("site") or None,
        model=request.query_int("model"),
        search=(query.get("q") or "")[:64] or None,
    )
    rows, total = filtered_roster(found, wanted)
    return Answer({"students": rows, "total": total})


def build_routes() -> list[web.RouteDef]:
    return [view("cohort", summary), view("cohort", roster, path="students")]


def install(app: web.Application) -> None:
    """What this view keeps across requests: the cached summary."""
    app[CACHE_KEY] = SummaryCache()
