"""The HTTP listener for load balancers and monitoring: `GET /healthz` always, `GET /metrics`
when metrics are on. On METRICS_LISTEN:METRICS_PORT, or on HEALTH_PORT when metrics are off.

`/healthz` answers 200 with `{"role": "leader" | "standby", "epoch": N, "outbox_due": N,
"ticks": N}` (both roles are healthy: a standby is ready to take over; `ticks` counts the
scheduler ticks the replica ran to the end as the leader, so a leader whose count stops
growing has its scheduler stuck), and 503 with the role and `"database": "unreachable"` when
the database does not answer within HEALTH_TIMEOUT: a replica that cannot reach the database
can neither lead nor handle an update. It runs on the bot's event loop (aiohttp, already a
dependency), so a loop that hangs does not answer either.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from db.errors import SQLAlchemyError

if TYPE_CHECKING:
    from bot.context import Services

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 2.0  # seconds the database has to answer the health check


class HealthServer:
    """`/healthz` and `/metrics` on one port; `port` is the one bound (0 asks for any)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        if self.services.metrics is not None:
            app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, listen, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _request: web.Request) -> web.Response:
        services = self.services
        leadership = services.leadership
        body: dict[str, object] = {"role": leadership.role, "epoch": leadership.epoch or 0}
        now = services.clock.now()
        try:
            due = await asyncio.wait_for(
                services.database.run_single_statement(lambda r: r.outbox.due_count(now)),
                HEALTH_TIMEOUT,
            )
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("health check: the database did not answer (%s)", type(exc).__name__)
            return web.json_response({**body, "database": "unreachable"}, status=503)
        return web.json_response({**body, "outbox_due": due, "ticks": services.ticks})

    async def metrics(self, _request: web.Request) -> web.Response:
        assert self.services.metrics is not None
        payload = generate_latest(self.services.metrics.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
