"""The Mini App's web server: the page under /app/, its JSON API under /app/api/, started by
the runner beside the webhook and metrics listeners when WEB_PORT is set.

Every response carries the security headers (a Content-Security-Policy that lets only this
server's scripts and styles run and only Telegram's web clients frame the page). Every API
call but the public strings must carry `Authorization: tma <initData>`: missing, forged or
expired launch data gets 401 and nothing else; each person may make
WEBAPP_REQUESTS_PER_MINUTE calls a minute (429 beyond: `limit.py`, counted in the database
when replicas share one). The launch data is never logged: the access log below writes the
method, path and status only.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.context import SERVICES_KEY, BotApplication, Services
from bot.web import api
from bot.web.api.base import APPLICATION_KEY, INIT_KEY, refusal
from bot.web.auth import InitDataError, check_init_data
from bot.web.limit import Limit, PerPersonLimit, SharedPerPersonLimit, retry_after

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Telegram's web clients frame the page (web.telegram.org/k/ and /a/); nothing else may.
FRAME_ANCESTORS = "https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    f"frame-ancestors 'self' {FRAME_ANCESTORS}"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PUBLIC = frozenset({"/app/api/strings"})  # what the page shows before it knows anyone
SCHEME = "tma "


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: bytes
    gzipped: bytes
    etag: str


def load_assets(root: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file of the page, read and compressed once (a few dozen KB)."""
    assets = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in TYPES:
            body = path.read_bytes()
            assets[path.relative_to(root).as_posix()] = Asset(
                TYPES[path.suffix],
                body,
                gzip.compress(body, 9, mtime=0),
                '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            )
    return assets


LIMIT_KEY: web.AppKey[Limit] = web.AppKey("limit")
ASSETS_KEY: web.AppKey[dict[str, Asset]] = web.AppKey("assets")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404, redirects: raised, as aiohttp wants them
        exc.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def authenticated(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API calls: the caller's launch data checked (401), then their limit (429)."""
    if not request.path.startswith("/app/api/") or request.path in PUBLIC:
        return await handler(request)
    services: Services = request.app[APPLICATION_KEY].bot_data[SERVICES_KEY]
    header = request.headers.get("Authorization", "")
    raw = header[len(SCHEME) :] if header[: len(SCHEME)].lower() == SCHEME else ""
    try:
        init = check_init_data(
            raw,
            services.settings.require_token(),
            services.clock.now(),
            dt.timedelta(hours=services.settings.webapp_max_age_hours),
        )
    except InitDataError as problem:
        log.info("mini app call refused: launch data %s", problem.reason)
        return refusal(401, "unauthorized")
    wait = await request.app[LIMIT_KEY].check(init.user_id)
    if wait > 0:
        response = refusal(429, "too_many_requests")
        response.headers["Retry-After"] = retry_after(wait)
        return response
    request[INIT_KEY] = init
    return await handler(request)


async def _asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("name") or "index.html"
    asset = request.app[ASSETS_KEY].get(name)
    if asset is None:
        raise web.HTTPNotFound()
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("If-None-Match") == asset.etag:
        return web.Response(status=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers={**headers, "Content-Type": asset.content_type})


async def _to_app(_: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/app/")


def build_web_app(application: BotApplication) -> web.Application:
    """The page and its API around the bot's Application (its services and its sender)."""
    services: Services = application.bot_data[SERVICES_KEY]
    app = web.Application(middlewares=[security_headers, authenticated], client_max_size=64 * 1024)
    app[APPLICATION_KEY] = application
    per_minute = services.settings.webapp_requests_per_minute
    # Replicas on one database count each person's calls there (one statement a call); a
    # process alone counts them in memory.
    app[LIMIT_KEY] = (
        SharedPerPersonLimit(services.database, per_minute)
        if services.leadership.shared
        else PerPersonLimit(per_minute)
    )
    app[ASSETS_KEY] = load_assets()
    api.install(app)
    app.router.add_get("/app", _to_app)
    app.router.add_get("/app/", _asset)
    app.router.add_get("/app/{name:[A-Za-z0-9_/-]+\\.[a-z]+}", _asset)
    return app


class AccessLog(AbstractAccessLogger):
    """Method, path (never the query string) and status: the launch data travels in a header
    and the page's fragment never reaches the server, but a query string might carry
    anything."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "mini app %s %s %s %.0f ms", request.method, request.path, response.status, time * 1e3
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


class WebServer:
    """The listening server; `port` is the one bound (WEB_PORT=0 in the tests asks for any)."""

    def __init__(self, application: BotApplication) -> None:
        self._runner = web.AppRunner(
            build_web_app(application), access_log_class=AccessLog, access_log=log
        )
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # the bound socket: the real port when 0 was asked for
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        await self._runner.cleanup()
