"""A round-robin load balancer in front of webhook replicas, for tests and benchmarks.

In production Telegram posts to one URL, a load balancer's (nginx, HAProxy, a cloud one),
which spreads the posts over the replicas. This one does what they do by default: each
post goes to the next replica in turn; a replica that cannot be connected to (stopped,
restarting) is passed over for the next (nginx's `proxy_next_upstream error`); a replica
that drops the connection after taking the post (killed mid-update) makes the post fail
with 502, and Telegram posts it again. It records which replica took each update.
"""

from __future__ import annotations

import json

from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout, web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class RoundRobinBalancer:
    """`await start()` listens on 127.0.0.1 (a free port); `backends` are the replicas'
    webhook URLs, which may change while it runs (a replica restarted on a new port)."""

    def __init__(self, backends: list[str] | None = None) -> None:
        self.backends: list[str] = list(backends or [])
        self.taken: list[tuple[int, int]] = []  # (update id, replica index) answered 200
        self.passed_over = 0  # posts a replica could not take (not reachable), sent on
        self.failed = 0  # posts answered 502: every replica down, or one died mid-post
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    async def start(self, path: str = "/telegram-hook") -> str:
        """Start listening; returns the URL to give Telegram (WEBHOOK_URL)."""
        app = web.Application()
        app.router.add_post(path, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._session = ClientSession(timeout=ClientTimeout(total=120))
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}{path}"

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {"Content-Type": "application/json"}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        for _ in range(len(self.backends)):
            index = self._next % len(self.backends)
            self._next = index + 1
            try:
                async with self._session.post(
                    self.backends[index], data=body, headers=headers
                ) as answer:
                    if answer.status == 200:
                        self.taken.append((_update_id(body), index))
                    return web.Response(status=answer.status, body=await answer.read())
            except ClientConnectorError:
                self.passed_over += 1  # not listening: the next replica takes it
            except (ClientError, TimeoutError):
                break  # taken, then the connection dropped: Telegram posts it again
        self.failed += 1
        return web.Response(status=502)


def _update_id(body: bytes) -> int:
    try:
        return int(json.loads(body)["update_id"])
    except (ValueError, KeyError, TypeError):
        return 0
