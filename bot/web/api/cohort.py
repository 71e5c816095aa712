"""The Cohort view (coordinators): per collaboration model, party, placement site and
dimension, baseline, current level and improvement, participation and Cronbach's alpha, as
/cohort shows them; and the roster, filtered, whose rows open a student. The summary is
cached under the data version (`bot.services.dashboard.SummaryCache`) and recomputed in the
background after a change while coordinators read it (`warm`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.context import SERVICES_KEY, BotApplication
from bot.services.context import ServiceContext
from bot.services.dashboard import RosterFilter, SummaryCache, filtered_roster
from bot.web.api.base import APPLICATION_KEY, Answer, ApiRequest, view
from db.repositories import Repos

log = logging.getLogger(__name__)

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


WARM_EVERY = 30.0  # seconds between the warmer's looks at the data version
WARM_WHILE_READ = 3600.0  # it keeps the summary warm while someone read it this last hour


async def warm(application: BotApplication, cache: SummaryCache) -> None:
    """Recompute the summary after a change, before a coordinator asks: the next page opens
    on a summary already at the current version (never a stale one: a request that comes
    while this runs waits for it). Only while someone reads the cohort, so a replica nobody
    looks at spends nothing."""
    services = application.bot_data[SERVICES_KEY]
    settings = services.settings

    async def look(repos: Repos) -> None:
        ctx = ServiceContext(repos, services.clock.now(), settings.default_timezone)
        await cache.get(ctx, reading=False)

    while True:
        await asyncio.sleep(WARM_EVERY)
        if cache.read_within(WARM_WHILE_READ):
            try:
                await services.database.run(look)
            except Exception:  # the next look tries again; the request path is unaffected
                log.warning("could not warm the cohort's summary", exc_info=True)


def install(app: web.Application) -> None:
    """What this view keeps across requests: the cached summary, and its warmer."""
    cache = app[CACHE_KEY] = SummaryCache()

    async def warmer(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(warm(app[APPLICATION_KEY], cache), name="cohort-warmer")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(warmer)
