"""A fake Telegram Bot API server on 127.0.0.1, for tests and the demo.

It speaks the JSON that python-telegram-bot 22.8 parses, keeps chats, messages, polls and
files in memory, enforces Telegram's limits (message length, callback data, polls, rate
limits with 429 and `retry_after`), refuses private messages to people who never pressed
Start (403), and can be told to fail (5xx, 403, timeouts). The test side (`FakeUser`,
`FakeGroup`) plays people: it sends messages and commands, presses buttons, votes and
uploads files, and waits for what the bot sends.

This module is the server: the aiohttp app and its plumbing, faults, rate limits, updates
(getUpdates and the webhook) and what tests ask of it. The rest of the package: `wire.py`
(parameters in, answers and errors out), `state.py` (what the fake holds), `methods.py` (the
Bot API methods), `people.py` (the test side), `entities.py` (HTML and entities).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import ClientConnectorError, ClientError, ClientSession, web

from bot.fake_telegram.methods import BotApi
from bot.fake_telegram.people import FakeGroup, FakeUser
from bot.fake_telegram.state import Chat, Fault, SentMessage
from bot.fake_telegram.wire import (
    DEFAULT_UPDATES,
    JSON,
    MAX_UPLOAD,
    ApiError,
    default_description,
    error_response,
    member,
    read_params,
)

_SENDING = frozenset({"sendMessage", "sendPoll", "sendDocument", "sendPhoto"})


class FakeTelegram(BotApi):
    """The server and its state. `async with FakeTelegram() as tg:` starts it on a free port
    (its constructor and state are `State`'s, its Bot API methods `BotApi`'s)."""

    # ----------------------------------------------------------------- lifecycle
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        # Cancel a handler whose client went away (a long poll of a bot that stopped).
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        self.webhook_url = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- test side
    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        data: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            data["last_name"] = last_name
        if username:
            data["username"] = username
        if language_code:
            data["language_code"] = language_code
        self._chats.setdefault(user_id, Chat(id=user_id, type="private", user=data))
        self._chats[user_id].user = data
        return FakeUser(self, data)

    def group(self, chat_id: int, title: str, *, kind: str = "supergroup") -> FakeGroup:
        chat = self._chats.setdefault(
            chat_id, Chat(id=chat_id, type=kind, title=title, bot_member=False)
        )
        return FakeGroup(self, chat)

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Make the next `times` calls of `method` fail (or hang for `delay` seconds)."""
        fault = Fault(
            method=method,
            status=status,
            times=times,
            chat_id=chat_id,
            delay=delay,
            retry_after=retry_after,
            description=description or default_description(status),
        )
        self.faults.append(fault)
        return fault

    def slow_answer(self, method: str, delay: float, *, times: int = 1) -> Fault:
        """The next `times` calls of `method` take effect at once (people see the message),
        but their answer reaches the bot `delay` seconds later."""
        fault = Fault(method=method, status=0, times=times, delay=delay)
        self._slow.append(fault)
        return fault

    def late_posts(self, delay: float, *, times: int = 1) -> Fault:
        """The next `times` updates reach the webhook `delay` seconds late: each post of them
        waits that long first, as Telegram's do once it has backed off after failed posts
        (a bot that was down). Counted once a post is answered with a 2xx."""
        fault = Fault(method="webhook", status=0, times=times, delay=delay)
        self._late_posts.append(fault)
        return fault

    def redeliver(self, update_id: int) -> None:
        """Offer an update again, as Telegram does when the bot did not confirm it (a crash
        after handling it, before the next getUpdates): a bot that starts without an offset
        receives it once more."""
        self._updates.insert(0, self._history[update_id])
        self._notify()

    def drop_pending_updates(self) -> int:
        """Drop the updates not fetched yet, as `deleteWebhook(drop_pending_updates=True)`
        does for a bot restarted that way; returns how many were dropped."""
        dropped = len(self._updates)
        self._updates.clear()
        self._notify()
        return dropped

    def last_update_id(self) -> int:
        return max(self._history, default=0)

    def _bot_membership(self, chat: Chat, by: JSON, old: str, new: str) -> None:
        """A my_chat_member update: the bot's status in a chat changed."""
        self.push_update(
            "my_chat_member",
            {
                "chat": chat.as_json(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": member(self.bot_user, old),
                "new_chat_member": member(self.bot_user, new),
            },
        )

    def messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def history(self, chat_id: int) -> list[SentMessage]:
        """Every message in a chat, people's and the bot's, oldest first, as it stands now
        (after edits; deleted ones gone): what a person scrolling the chat sees."""
        keys = sorted(key for key in self._messages if key[0] == chat_id)
        return [SentMessage(chat_id, key[1], self._messages[key]) for key in keys]

    def groups(self) -> list[JSON]:
        """The groups the bot is a member of, as Telegram describes a chat."""
        return [
            chat.as_json()
            for chat in self._chats.values()
            if chat.type != "private" and chat.bot_member and chat.migrated_to is None
        ]

    def poll_votes(self, poll_id: str) -> dict[int, list[int]]:
        """Who chose which options in a poll the bot sent (its polls are not anonymous)."""
        return dict(self._polls[poll_id].votes)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """A message the bot sent, as it stands now (after any edits)."""
        return SentMessage(chat_id, message_id, self._messages[(chat_id, message_id)])

    def count_calls(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    @property
    def pending_updates(self) -> int:
        """Updates not yet delivered: not fetched and confirmed by getUpdates' offset, or not
        answered with a 2xx by the webhook (getWebhookInfo's `pending_update_count`)."""
        return len(self._updates)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the state changes)."""
        deadline = time.monotonic() + timeout
        while True:
            changed = self._changed
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the bot did not do what the test waited for")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> SentMessage:
        """The next message the bot sends to this chat that the test has not read yet."""

        def unseen() -> SentMessage | None:
            messages = self.messages(chat_id)
            cursor = self._cursors.get(chat_id, 0)
            return messages[cursor] if len(messages) > cursor else None

        message: SentMessage = await self.wait_for(unseen, timeout)
        self._cursors[chat_id] = self._cursors.get(chat_id, 0) + 1
        return message

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched every update sent so far."""
        await self.wait_for(lambda: not self._updates, timeout)

    def unread(self, chat_id: int) -> list[SentMessage]:
        return self.messages(chat_id)[self._cursors.get(chat_id, 0) :]

    # -------------------------------------------------------------- HTTP plumbing
    async def _handle_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return error_response(ApiError(401, "Unauthorized"))
        try:
            params = await read_params(request)
        except ApiError as exc:
            return error_response(exc)
        self.calls.append((method, params))
        self._notify()  # a test may wait for a call to arrive (a long poll returns later)
        if self.latency:
            await asyncio.sleep(self.latency)
        handler = getattr(self, f"_api_{method}", None)
        try:
            await self._apply_faults(method, params)
            if handler is None:
                raise ApiError(404, "Not Found")
            if method in _SENDING:
                self._check_rate(int(params.get("chat_id", 0)))
            result = await handler(params)
        except ApiError as exc:
            self.errors.append((method, exc.code, exc.description))
            return error_response(exc)
        self._notify()
        slow = next((f for f in self._slow if f.method == method and f.times > 0), None)
        if slow is not None:
            slow.times -= 1
            await asyncio.sleep(slow.delay)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for _, (path, content) in self.files.items():
            if path == request.match_info["path"]:
                return web.Response(body=content)
        return web.Response(status=404)

    async def _apply_faults(self, method: str, params: JSON) -> None:
        for fault in self.faults:
            if fault.method != method or fault.times <= 0:
                continue
            if fault.chat_id is not None and int(params.get("chat_id", 0)) != fault.chat_id:
                continue
            fault.times -= 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                raise ApiError(fault.status, fault.description, fault.retry_after)
            return

    def _check_rate(self, chat_id: int) -> None:
        """Telegram's flood limits for one send: the sends of the last second overall, the
        chat's bucket, a group's sends of the last minute. Each window is a deque of the
        sends it still holds, so a check costs the same however many came before (a scan of
        the whole last minute's sends took three quarters of this server's CPU at a few
        hundred sends a second)."""
        limits, now = self.rate_limits, time.monotonic()
        second = self._second
        while second and now - second[0] >= 1.0:
            second.popleft()
        if limits.overall_per_second is not None and len(second) >= limits.overall_per_second:
            self.limited["overall"] += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if limits.chat_per_second is not None:
            level, last = self._buckets.get(chat_id, (float(limits.chat_burst), now))
            level = min(float(limits.chat_burst), level + (now - last) * limits.chat_per_second)
            if level < 1.0:
                self._buckets[chat_id] = (level, now)
                self.limited["chat"] += 1
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._buckets[chat_id] = (level - 1.0, now)
        chat = self._chats.get(chat_id)
        if chat is not None and chat.type != "private":
            minute = self._minutes.setdefault(chat_id, deque())
            while minute and now - minute[0] > 60:
                minute.popleft()
            if limits.group_per_minute is not None and len(minute) >= limits.group_per_minute:
                wait = max(1, int(60 - (now - minute[0])) + 1)
                self.limited["group"] += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            minute.append(now)
        second.append(now)

    # ------------------------------------------------------ updates and webhook
    async def _api_deleteWebhook(self, params: JSON) -> bool:
        self.webhook_url = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, params: JSON) -> bool:
        self.webhook_url = str(params.get("url") or "") or None
        self.webhook_secret = str(params.get("secret_token") or "") or None
        self.webhook_max_connections = int(params.get("max_connections") or 40)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_UPDATES
            self.webhook_allowed = list(allowed) or None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        if self.webhook_url:
            self._webhook_task = asyncio.get_running_loop().create_task(self._post_updates())
        return True

    async def _post_updates(self) -> None:
        """While a webhook is set, post each update to it (in order, one at a time, as
        Telegram does), with its secret header, except the kinds `allowed_updates` leaves
        out; an update is retried until the bot answers with a 2xx (a refused connection, a
        bot that dies mid-post, an error status are all retried), and stays pending
        (getWebhookInfo) until then. Only the latest
        setWebhook's poster posts: Python 3.11's `wait_for` can swallow a cancellation, and
        two posters would each take an update off the queue (one of them never posted)."""
        async with ClientSession() as session:
            while self.webhook_url and self._webhook_task is asyncio.current_task():
                if not self._updates:
                    changed = self._changed
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), 1.0)
                    continue
                late = next((f for f in self._late_posts if f.times > 0), None)
                if late is not None:
                    await asyncio.sleep(late.delay)
                    if not self._updates or self._webhook_task is not asyncio.current_task():
                        continue
                update = self._updates[0]
                if next(k for k in update if k != "update_id") not in self._allowed:
                    self._updates.pop(0)  # a kind setWebhook's allowed_updates left out
                    self._notify()
                    continue
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
                try:
                    async with session.post(self.webhook_url, json=update, headers=headers) as r:
                        self.webhook_answers.append(r.status)
                        ok = 200 <= r.status < 300
                        if not ok:
                            self.webhook_error = (
                                int(time.time()),
                                f"Wrong response from the webhook: {r.status} {r.reason}",
                            )
                except (OSError, ClientError) as exc:  # also a bot gone mid-post
                    ok = False
                    refused = isinstance(exc, ClientConnectorError)
                    why = "Connection refused" if refused else str(exc) or type(exc).__name__
                    self.webhook_error = (int(time.time()), why)
                if ok:
                    if late is not None:
                        late.times -= 1
                    if self._updates and self._updates[0] is update:
                        self._updates.pop(0)
                    self._notify()
                else:
                    await asyncio.sleep(0.2)

    async def _api_getWebhookInfo(self, params: JSON) -> JSON:
        """The webhook as set, and how many updates wait for the bot: not yet answered with
        a 2xx by the webhook (or, without one, not yet fetched and confirmed)."""
        info: JSON = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": self.pending_updates,
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_max_connections
            if self.webhook_allowed is not None:
                info["allowed_updates"] = self.webhook_allowed
            if self.webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def post_to_webhook(self, update: JSON, secret: str | None) -> int:
        """Post an update to the bot's webhook with any secret (a forged one, for tests)."""
        assert self.webhook_url is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            ClientSession() as session,
            session.post(self.webhook_url, json=update, headers=headers) as response,
        ):
            return response.status

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_UPDATES
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        # Only one getUpdates at a time: a new one ends a long poll still waiting with 409.
        self._polls_started += 1
        mine, self._last_poll = self._polls_started, params
        self._notify()

        def ready() -> list[JSON] | bool:
            if self._polls_started != mine:
                return True
            return [
                u for u in self._updates if next(k for k in u if k != "update_id") in self._allowed
            ][:limit]

        try:
            result = await self.wait_for(ready, timeout) if timeout else ready()
        except TimeoutError:
            return []
        if result is True:
            self.conflicts += 1
            self.conflicted.append((params, self._last_poll))
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        assert isinstance(result, list)
        return result
