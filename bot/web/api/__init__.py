"""The Mini App's JSON API: one module per view, each exporting `build_routes()`, gathered
here in one explicit list (as `bot/app.py` lists the handlers)."""

from __future__ import annotations

from aiohttp import web

from bot.web.api import checkins, cohort, downloads, me, oncall, queue, student, topics

MODULES = (me, cohort, student, queue, checkins, oncall, topics, downloads)


def install(app: web.Application) -> None:
    """Every view's routes, and what a view keeps across requests (the cohort's cache)."""
    cohort.install(app)
    app.router.add_routes([route for module in MODULES for route in module.build_routes()])
