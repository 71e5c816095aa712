"""The bot's HTTP client for the Bot API: python-telegram-bot's `BaseRequest` over aiohttp.

PTB's own `HTTPXRequest` costs 1.7 to 2.2 ms of CPU per request on this project's machine
with 24 requests in flight (httpx's connection pool checks every pooled connection, with two
system calls, whenever a request comes or goes), against 0.4 to 0.5 ms here for the same
`send_message` (`benchmarks/RESULTS.md`); at the update path's rate that is a third of the
bot's CPU. aiohttp is already a dependency (the fake Bot API server is an aiohttp app).

It behaves as `HTTPXRequest` does where PTB relies on it: the same defaults (a pool of 256
connections, 5 s to connect, read and write, 1 s to wait for a free connection, 20 s to
write a file), per-call timeouts, `TimedOut` for every time-out (a full pool says so, and
that nothing was sent), `NetworkError` for every other failure to talk HTTP, a proxy (the
settings read it from TELEGRAM_PROXY or the environment: a bot in mainland China reaches the
Bot API through one), and the status and body returned as they came for
`BaseRequest` to turn into PTB's errors (`RetryAfter`, `Forbidden`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = "application/x-www-form-urlencoded"
POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* "
    "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


UPLOAD_FLOOR = 50 * 1024  # bytes per second below which an upload counts as stalled


def upload_deadline(
    write: float | None, read: float | None, connect: float | None, files: UploadFileDict | None
) -> float | None:
    """The bound on a whole request that sends a file, else None. aiohttp times connecting
    and each read (as httpx does), but not writing, which httpx bounds chunk by chunk: an
    upload gets its three timeouts plus the time to send its bytes at 50 KiB/s, so that a
    stalled one ends while a slow one is not cut short. Other requests write a few hundred
    bytes at most and are not bounded as a whole (a download then takes as long as its
    chunks keep coming, as with httpx)."""
    if not files or write is None or read is None or connect is None:
        return None
    size = 0
    for _name, content, _mimetype in files.values():
        if isinstance(content, bytes | bytearray):
            size += len(content)
        else:
            with contextlib.suppress(OSError, AttributeError, ValueError):
                size += os.fstat(content.fileno()).st_size
    return write + read + connect + size / UPLOAD_FLOOR


class AiohttpRequest(BaseRequest):
    """Requests to the Bot API over one aiohttp session, opened by `initialize`."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy  # an HTTP proxy's URL, for every request
        # PTB's pool timeout is the wait for a free connection; aiohttp's connector has no
        # such timeout of its own, so the wait happens here, before the connector.
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's own timeout to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
                # not trust_env, which looks the proxy and .netrc up again for every request,
                # in two threads: the proxy comes from the settings (`Settings.api_proxy`)
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        body: Any = None
        if fields and not files:
            # what aiohttp would make of the dict, without the multipart writer (and the
            # random boundary) it builds on the way
            body = aiohttp.BytesPayload(urlencode(fields).encode(), content_type=FORM)
        elif files:
            form = aiohttp.FormData(fields or {})
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        timeout = aiohttp.ClientTimeout(
            total=upload_deadline(write, read, connect, files),
            connect=connect,
            sock_connect=connect,
            sock_read=read,
        )
        await self._take_slot(pool)
        try:
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's time-outs are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
        finally:
            self._slots.release()

    async def _take_slot(self, timeout: float | None) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # free: returns at once
            return
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise TimedOut(POOL_TIMEOUT_MESSAGE) from None
