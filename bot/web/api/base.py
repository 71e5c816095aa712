"""The API's boundary, as `handlers/base.py` is the updates': one transaction per request,
the caller loaded from the checked launch data, the view's permission checked against the
registry (`bot/domain/access.py`), and what a view wrote to the outbox delivered after the
commit.

A view is `async def feature(request: ApiRequest) -> Answer`; `view(name, feature)` makes it
a route. Refusals say nothing about what was asked for: a view raises `Refused` for anything
the caller may not see, whether it exists or not, and every refusal is the same 403.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.context import BotApplication, Services
from bot.domain.access import VIEWS_BY_NAME
from bot.i18n import Translator
from bot.services.context import ServiceContext
from bot.services.people import Caller, load_caller
from bot.web.auth import InitData
from db.models import Person
from db.repositories import Repos

log = logging.getLogger(__name__)

APPLICATION_KEY: web.AppKey[BotApplication] = web.AppKey("application")
INIT_KEY: web.RequestKey[InitData] = web.RequestKey("init")  # set by the middleware

JSON = dict[str, Any]


class Refused(Exception):
    """403: not this caller's to see (or not there: the two are not told apart)."""


class BadInput(Exception):
    """400, with a message already in the caller's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ApiRequest:
    """One API call, as a view sees it (the twin of `handlers.base.Request`)."""

    http: web.Request
    repos: Repos
    caller: Caller
    person: Person
    t: Translator
    now: dt.datetime
    default_tz: str
    drain: bool = False  # the view wrote to the outbox: deliver it after the commit

    @property
    def ctx(self) -> ServiceContext:
        return ServiceContext(self.repos, self.now, self.default_tz)

    def query_int(self, name: str) -> int | None:
        """An integer from the query string; None when absent; BadInput when malformed."""
        raw = self.http.query.get(name)
        if raw is None or raw == "":
            return None
        if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 19:
            raise BadInput(self.t.gettext("This address is not valid."))
        return int(raw)

    async def body(self) -> JSON:
        """The request's JSON object; BadInput when it is not one."""
        try:
            data = await self.http.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BadInput(self.t.gettext("This address is not valid."))
        return data


@dataclass
class FileAnswer:
    """A download: a file's name, bytes and media type."""

    name: str
    content: bytes
    content_type: str


@dataclass
class Answer:
    """What a view answers: JSON, or a file; `fetch` is a file fetched after the commit
    (from Telegram: no network call holds the transaction open)."""

    body: JSON = field(default_factory=dict)
    file: FileAnswer | None = None
    fetch: Callable[[BotApplication], Awaitable[FileAnswer | None]] | None = None


Feature = Callable[[ApiRequest], Awaitable[Answer]]


def services_of(http: web.Request) -> Services:
    services: Services = http.app[APPLICATION_KEY].bot_data["services"]
    return services


def refusal(status: int, error: str, message: str | None = None) -> web.Response:
    """Every refusal's shape: a status and a code, no data (and no hint of any)."""
    body: JSON = {"error": error}
    if message is not None:
        body["message"] = message
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def view(name: str, feature: Feature, *, method: str = "GET", path: str = "") -> web.RouteDef:
    """A route for a view of the registry, under /app/api/NAME[/PATH], guarded by its roles."""
    spec = VIEWS_BY_NAME.get(name)
    if spec is None and name != "me":
        raise KeyError(name)

    async def handle(http: web.Request) -> web.StreamResponse:
        application = http.app[APPLICATION_KEY]
        services = services_of(http)
        init: InitData = http[INIT_KEY]

        async def work(repos: Repos) -> tuple[Answer, bool]:
            caller = await load_caller(
                repos, init.user_id, init.language_code, services.settings.default_timezone
            )
            person = caller.person
            if person is None or not caller.is_member:
                raise Refused
            if spec is not None and not spec.allows(caller.roles):
                raise Refused
            t = services.translations.for_language(caller.language)
            request = ApiRequest(
                http,
                repos,
                caller,
                person,
                t,
                services.clock.now(),
                services.settings.default_timezone,
            )
            return await feature(request), request.drain

        try:
            answer, drain = await services.database.run(work)
        except Refused:
            return refusal(403, "forbidden")
        except BadInput as problem:
            return refusal(400, "bad_input", problem.message)
        if drain:
            application.create_task(services.sender.drain(application), name="outbox-drain")
        file = answer.file
        if answer.fetch is not None:
            file = await answer.fetch(application)
            if file is None:
                return refusal(502, "unavailable")
        if file is not None:
            return web.Response(
                body=file.content,
                content_type=file.content_type,
                charset="utf-8" if file.content_type.startswith("text/") else None,
                headers={
                    "Content-Disposition": "attachment; filename="
                    + '"'
                    + (re.sub(r"[^A-Za-z0-9._-]", "_", file.name)[:120] or "file")
                    + '"',
                    "Cache-Control": "no-store",
                },
            )
        response = web.json_response(answer.body, headers={"Cache-Control": "no-store"})
        response.enable_compression()
        return response

    route = f"/app/api/{name}" + (f"/{path}" if path else "")
    return web.route(method, route, handle)
