"""A fake Telegram Bot API server on 127.0.0.1, for tests and the demo.

It speaks the JSON that python-telegram-bot 22.8 parses, keeps chats, messages, polls and
files in memory, enforces Telegram's limits (message length, callback data, polls, rate
limits with 429 and `retry_after`), refuses private messages to people who never pressed
Start (403), and can be told to fail (5xx, 403, timeouts). The test side (`FakeUser`,
`FakeGroup`) plays people: it sends messages and commands, presses buttons, votes and
uploads files, and waits for what the bot sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, ClientSession, web

from bot.fake_telegram.entities import EntityError, parse_html, to_html, utf16_length

JSON = dict[str, Any]

# Parameters Telegram takes as plain strings; everything else arrives JSON-encoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "question",
        "parse_mode",
        "callback_query_id",
        "url",
        "description",
        "short_description",
        "language_code",
        "file_id",
        "action",
        "explanation",
        "name",
        "title",
        "emoji",
        "secret_token",
        "inline_message_id",
    }
)
_SENDING = frozenset({"sendMessage", "sendPoll", "sendDocument", "sendPhoto"})
_UPDATE_TYPES = (
    "message",
    "edited_message",
    "callback_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "channel_post",
    "inline_query",
)
_DEFAULT_UPDATES = frozenset(set(_UPDATE_TYPES) - {"chat_member"})
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_UPLOAD = 50 * 1024 * 1024


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class RateLimits:
    """Telegram's flood limits as the fake enforces them (None switches one off)."""

    overall_per_second: int | None = 30
    group_per_minute: int | None = 20
    chat_per_second: float | None = 1.0
    chat_burst: int = 5  # a bucket: short bursts to one chat pass, then about 1 per second.


@dataclass
class Fault:
    method: str
    status: int = 500
    description: str = "Internal Server Error"
    times: int = 1
    delay: float = 0.0  # seconds to sleep before answering (a timeout when > client timeout)
    chat_id: int | None = None
    retry_after: int | None = None


@dataclass
class SentMessage:
    """A message the bot sent (or a poll), as the fake stores it."""

    chat_id: int
    message_id: int
    raw: JSON

    @property
    def text(self) -> str:
        """The text or caption as HTML, rebuilt from its entities as PTB's `text_html` does
        (Telegram hands back plain text and entities, not the markup that was sent)."""
        if "text" in self.raw:
            return to_html(str(self.raw["text"]), self.raw.get("entities"))
        return to_html(str(self.raw.get("caption") or ""), self.raw.get("caption_entities"))

    @property
    def plain(self) -> str:
        """The text or caption as people see it."""
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.raw.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data") or b.get("url") or "")
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    @property
    def poll(self) -> JSON | None:
        return self.raw.get("poll")

    @property
    def reply_to(self) -> int | None:
        reply = self.raw.get("reply_to_message")
        return reply["message_id"] if reply else None

    @property
    def thread_id(self) -> int | None:
        """The forum topic it is in; None for General (or a chat without topics)."""
        return self.raw.get("message_thread_id") if self.raw.get("is_topic_message") else None


def _parse(text: str) -> tuple[str, list[JSON]]:
    """Plain text and entities of an HTML text; ApiError 400 as Telegram refuses markup."""
    try:
        return parse_html(text)
    except EntityError as exc:
        raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None


def _command_entities(text: str) -> list[JSON]:
    """A command at the start: `/` and 1-32 of `A-Za-z0-9_`, then an optional @username."""
    match = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{5,32})?(?![A-Za-z0-9_])", text)
    return [{"type": "bot_command", "offset": 0, "length": match.end()}] if match else []


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    user: JSON | None = None  # the person, for a private chat
    bot_member: bool = True  # groups: whether the bot is in it
    bot_kicked: bool = False
    migrated_to: int | None = None  # a group upgraded to this supergroup
    is_forum: bool = False  # a supergroup with topics turned on
    topics: dict[int, str] = field(default_factory=dict)  # a forum's topics: id -> name

    def as_json(self) -> JSON:
        if self.type == "private" and self.user:
            data = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if self.user.get("username"):
                data["username"] = self.user["username"]
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or str(self.id)}
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class _Poll:
    id: str
    chat_id: int
    message_id: int
    raw: JSON
    votes: dict[int, list[int]] = field(default_factory=dict)


class FakeTelegram:
    """The server and its state. `async with FakeTelegram() as tg:` starts it on a free port."""

    def __init__(
        self,
        token: str = "123456:TEST-token-for-the-fake-bot-api-server",
        bot_username: str = "synergy_test_bot",
        rate_limits: RateLimits | None = None,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Synergy Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.latency = latency
        self.base_url = ""
        self.calls: list[tuple[str, JSON]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.limited: Counter[str] = Counter()  # 429s by the limit crossed (overall, chat, group)
        self.sent: list[SentMessage] = []
        self.callback_answers: dict[str, JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.faults: list[Fault] = []
        self._slow: list[Fault] = []  # calls that take effect before their answer
        self.files: dict[str, tuple[str, bytes]] = {}
        self._chats: dict[int, _Chat] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSON] = {}
        self.edits: dict[tuple[int, int], int] = {}  # how often each message was edited
        self._polls: dict[str, _Poll] = {}
        self._updates: list[JSON] = []
        self._history: dict[int, JSON] = {}
        self._allowed: frozenset[str] = _DEFAULT_UPDATES
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._ids = itertools.count(1)
        self._second: deque[float] = deque()  # when the sends of the last second went
        self._minutes: dict[int, deque[float]] = {}  # a group's sends of the last minute
        self._buckets: dict[int, tuple[float, float]] = {}
        self._changed = asyncio.Event()
        self._cursors: dict[int, int] = {}
        self._runner: web.AppRunner | None = None
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_answers: list[int] = []  # what the bot answered to each post
        self._polls_started = 0
        self.conflicts = 0  # long polls ended by an overlapping getUpdates (409)
        self._webhook_task: asyncio.Task[None] | None = None

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
        self._chats.setdefault(user_id, _Chat(id=user_id, type="private", user=data))
        self._chats[user_id].user = data
        return FakeUser(self, data)

    def group(self, chat_id: int, title: str, *, kind: str = "supergroup") -> FakeGroup:
        chat = self._chats.setdefault(
            chat_id, _Chat(id=chat_id, type=kind, title=title, bot_member=False)
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
            description=description or _default_description(status),
        )
        self.faults.append(fault)
        return fault

    def slow_answer(self, method: str, delay: float, *, times: int = 1) -> Fault:
        """The next `times` calls of `method` take effect at once (people see the message),
        but their answer reaches the bot `delay` seconds later."""
        fault = Fault(method=method, status=0, times=times, delay=delay)
        self._slow.append(fault)
        return fault

    def push_update(self, kind: str, payload: JSON) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._history[update_id] = self._updates[-1]
        self._notify()
        return update_id

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

    def _bot_membership(self, chat: _Chat, by: JSON, old: str, new: str) -> None:
        """A my_chat_member update: the bot's status in a chat changed."""
        self.push_update(
            "my_chat_member",
            {
                "chat": chat.as_json(),
                "from": by,
                "date": int(time.time()),
                "old_chat_member": _member(self.bot_user, old),
                "new_chat_member": _member(self.bot_user, new),
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

    def _notify(self) -> None:
        """Wake everything waiting in `wait_for` (a fresh event for the next change)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -------------------------------------------------------------- HTTP plumbing
    async def _handle_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return _error(ApiError(401, "Unauthorized"))
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return _error(exc)
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
            return _error(exc)
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

    # ------------------------------------------------------------------ helpers
    def _new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _target_chat(self, params: JSON) -> _Chat:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.type == "private":
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self._started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        elif chat.bot_kicked:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        elif not chat.bot_member:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return chat

    def _bot_message(self, chat: _Chat, params: JSON, **content: Any) -> JSON:
        message: JSON = {
            "message_id": self._new_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": self.bot_user,
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            _check_markup(markup)
            if "inline_keyboard" in markup:  # Telegram echoes only inline keyboards back
                message["reply_markup"] = markup
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        if reply_to:
            original = self._messages.get((chat.id, int(reply_to)))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if original is not None:
                message["reply_to_message"] = original
        self._place_in_thread(chat, message, params)
        self._messages[(chat.id, message["message_id"])] = message
        self.sent.append(SentMessage(chat.id, message["message_id"], message))
        return message

    def _store_user_message(self, chat_id: int, message: JSON) -> None:
        self._messages[(chat_id, message["message_id"])] = message

    def _text(self, params: JSON, key: str, limit: int) -> JSON:
        """A text or caption as Telegram stores it: plain text and its entities, the length
        counted on the plain text in UTF-16 code units (an emoji outside the BMP is 2)."""
        markup = str(params.get(key) or "")
        if params.get("parse_mode") == "HTML":
            text, entities = _parse(markup)
        elif params.get("parse_mode"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}")
        else:
            text, entities = markup, []
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        if not text:
            return {}
        entities_key = "entities" if key == "text" else "caption_entities"
        return {key: text, entities_key: entities} if entities else {key: text}

    # ------------------------------------------------------------- API methods
    async def _api_getMe(self, params: JSON) -> JSON:
        return self.bot_user

    async def _api_logOut(self, params: JSON) -> bool:
        return True

    async def _api_close(self, params: JSON) -> bool:
        return True

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
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else _DEFAULT_UPDATES
        if self._webhook_task is not None:
            self._webhook_task.cancel()
        if self.webhook_url:
            self._webhook_task = asyncio.get_running_loop().create_task(self._post_updates())
        return True

    async def _post_updates(self) -> None:
        """While a webhook is set, post each update to it (in order, one at a time, as
        Telegram does), with its secret header; an update is retried until the bot says 200."""
        async with ClientSession() as session:
            while self.webhook_url:
                if not self._updates:
                    changed = self._changed
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), 1.0)
                    continue
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
                try:
                    async with session.post(self.webhook_url, json=update, headers=headers) as r:
                        self.webhook_answers.append(r.status)
                        ok = r.status == 200
                except OSError:
                    ok = False
                if ok:
                    self._updates.pop(0)
                    self._notify()
                else:
                    await asyncio.sleep(0.2)

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
            self._allowed = frozenset(allowed) if allowed else _DEFAULT_UPDATES
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        # Only one getUpdates at a time: a new one ends a long poll still waiting with 409.
        self._polls_started += 1
        mine = self._polls_started
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
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        assert isinstance(result, list)
        return result

    async def _api_sendMessage(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        return self._bot_message(chat, params, **self._text(params, "text", MAX_TEXT))

    async def _api_editMessageText(self, params: JSON) -> JSON:
        message = self._own_message(params)
        content = self._text(params, "text", MAX_TEXT)
        if (
            message.get("text") == content["text"]
            and message.get("entities") == content.get("entities")
            and message.get("reply_markup") == params.get("reply_markup")
        ):
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("entities", None)
        message.update(content)
        message["edit_date"] = int(time.time())
        _set_markup(message, params)
        self._edited(message)
        return message

    async def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        message = self._own_message(params)
        _set_markup(message, params)
        self._edited(message)
        return message

    def _edited(self, message: JSON) -> None:
        key = (message["chat"]["id"], message["message_id"])
        self.edits[key] = self.edits.get(key, 0) + 1

    async def _api_deleteMessage(self, params: JSON) -> bool:
        message = self._own_message(params)
        key = (message["chat"]["id"], message["message_id"])
        self._messages.pop(key, None)
        self.sent = [m for m in self.sent if (m.chat_id, m.message_id) != key]
        return True

    def _own_message(self, params: JSON) -> JSON:
        chat_id, message_id = int(params.get("chat_id", 0)), int(params.get("message_id", 0))
        chat = self._chats.get(chat_id)
        if chat is not None and chat.migrated_to is not None:
            self._target_chat(params)  # the upgrade's answer
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    async def _api_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id in self.callback_answers:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        text = str(params.get("text") or "")
        if utf16_length(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    async def _api_sendChatAction(self, params: JSON) -> bool:
        self._target_chat(params)
        return True

    async def _api_setMyCommands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, str(params.get("language_code") or ""))] = commands
        return True

    async def _api_deleteMyCommands(self, params: JSON) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, str(params.get("language_code") or "")), None)
        return True

    async def _api_getChat(self, params: JSON) -> JSON:
        chat = self._chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {
            **chat.as_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    async def _api_getChatMember(self, params: JSON) -> JSON:
        chat = self._chats.get(int(params.get("chat_id", 0)))
        user_id = int(params.get("user_id", 0))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if user_id == self.bot_user["id"]:
            status = "member" if chat.bot_member else ("kicked" if chat.bot_kicked else "left")
            return _member(self.bot_user, status)
        user_chat = self._chats.get(user_id)
        if user_chat is None or user_chat.user is None:
            raise ApiError(400, "Bad Request: user not found")
        return _member(user_chat.user, "member")

    async def _api_sendPoll(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        question = str(params.get("question") or "")
        if not 1 <= utf16_length(question) <= 300:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        options = [
            o if isinstance(o, str) else o.get("text", "") for o in params.get("options") or []
        ]
        if not 2 <= len(options) <= 12:
            raise ApiError(400, "Bad Request: poll must have 2-12 options")
        if any(not 1 <= utf16_length(o) <= 100 for o in options):
            raise ApiError(400, "Bad Request: poll options length must not exceed 100")
        anonymous = params.get("is_anonymous", True) not in (False, "false")
        if not anonymous and chat.type == "channel":
            raise ApiError(400, "Bad Request: non-anonymous polls can't be sent to channel chats")
        poll_id = str(next(self._ids) + 5_000_000_000)
        poll: JSON = {
            "id": poll_id,
            "question": question,
            "total_voter_count": 0,
            "is_closed": False,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": f"{poll_id}-{i}"}
                for i, text in enumerate(options)
            ],
            "is_anonymous": anonymous,
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": True,
            "members_only": False,
        }
        message = self._bot_message(chat, params, poll=poll)
        self._polls[poll_id] = _Poll(poll_id, chat.id, message["message_id"], poll)
        return message

    async def _api_stopPoll(self, params: JSON) -> JSON:
        message = self._own_message(params)
        poll = message.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        self.push_update("poll", poll)
        return poll

    async def _api_sendDocument(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        name, content = self._upload(params, "document")
        caption = self._text(params, "caption", MAX_CAPTION)
        file_id = self._store_file(name, content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(content),
        }
        return self._bot_message(chat, params, document=document, **caption)

    async def _api_sendPhoto(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        name, content = self._upload(params, "photo")
        caption = self._text(params, "caption", MAX_CAPTION)
        file_id = self._store_file(name, content)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 800,
                "height": 600,
                "file_size": len(content),
            }
        ]
        return self._bot_message(chat, params, photo=photo, **caption)

    async def _api_getFile(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        if len(content) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def _upload(self, params: JSON, key: str) -> tuple[str, bytes]:
        value = params.get(key)
        if isinstance(value, tuple):
            return value
        if isinstance(value, str) and value in self.files:
            path, content = self.files[value]
            # Sent again by file_id: Telegram keeps the original name.
            return path.rsplit("/", 1)[-1].split("_", 1)[1], content
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value.removeprefix("attach://"))
            if isinstance(attached, tuple):
                return attached
        raise ApiError(400, f"Bad Request: there is no {key} in the request")

    def _store_file(self, name: str, content: bytes) -> str:
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = (f"documents/{file_id}_{name}", content)
        return file_id

    # ------------------------------------------------------------ forum topics
    async def _api_createForumTopic(self, params: JSON) -> JSON:
        """A topic made by the bot: its id is the id of its `forum_topic_created` message."""
        chat = self._target_chat(params)
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: invalid forum topic name specified")
        thread_id = self._new_topic(chat, name, self.bot_user)["message_thread_id"]
        return {"message_thread_id": thread_id, "name": name, "icon_color": 0x6FB9F0}

    def _new_topic(self, chat: _Chat, name: str, by: JSON) -> JSON:
        """A forum topic, created by its service message: the topic's id (the thread id
        of every message in it) is that message's id."""
        message_id = self._new_message_id(chat.id)
        message: JSON = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": by,
            "message_thread_id": message_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": 0x6FB9F0},
        }
        chat.topics[message_id] = name
        self._messages[(chat.id, message_id)] = message
        return message

    def _set_thread(self, chat: _Chat, message: JSON, topic: int | None) -> None:
        """A message's thread, as Telegram sets it. A reply goes where what it replies to is;
        a message in a forum topic has `message_thread_id` and `is_topic_message`, and one that
        replies to nothing replies to the topic's `forum_topic_created` message; elsewhere in
        a supergroup (General included) a reply has its reply chain's first message as
        `message_thread_id`, without `is_topic_message`: not a topic a bot can send to."""
        original = message.get("reply_to_message")
        if original is not None and original["chat"]["id"] == chat.id:
            topic = original["message_thread_id"] if original.get("is_topic_message") else None
        if topic:
            message["message_thread_id"], message["is_topic_message"] = topic, True
            created = self._messages.get((chat.id, topic))
            if original is None and created is not None:
                message["reply_to_message"] = created
        elif original is not None and chat.type == "supergroup":
            message["message_thread_id"] = (
                original.get("message_thread_id") or original["message_id"]
            )

    def _place_in_thread(self, chat: _Chat, message: JSON, params: JSON) -> None:
        """Where a bot's message goes: into the topic `message_thread_id` names (400 "message
        thread not found" unless it is a topic of this forum: General, a reply chain or a
        deleted topic is not), into the replied-to message's topic when it replies, else
        General. In a topic `allow_sending_without_reply` does not hold: a reply to a message
        that is gone answers 400."""
        thread = int(params.get("message_thread_id") or 0)
        if thread and thread not in chat.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        reply = params.get("reply_parameters") or {}
        replies = reply.get("message_id") or params.get("reply_to_message_id")
        if thread and replies and "reply_to_message" not in message:
            raise ApiError(400, "Bad Request: message to be replied not found")
        self._set_thread(chat, message, thread or None)


def _default_description(status: int) -> str:
    return {
        400: "Bad Request",
        403: "Forbidden",
        429: "Too Many Requests: retry after 1",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(status, "Error")


def _error(exc: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    if exc.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": exc.migrate_to_chat_id}
    return web.json_response(body, status=exc.code)


def _member(user: JSON, status: str) -> JSON:
    member: JSON = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _set_markup(message: JSON, params: JSON) -> None:
    """An edit replaces the inline keyboard, or removes it when none is given."""
    if params.get("reply_markup"):
        _check_markup(params["reply_markup"])
        message["reply_markup"] = params["reply_markup"]
    else:
        message.pop("reply_markup", None)


def _check_markup(markup: JSON) -> None:
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )


async def _read_params(request: web.Request) -> JSON:
    """Parameters as Telegram reads them: query string, form, multipart or a JSON body."""
    raw: dict[str, Any] = dict(request.query)
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.json()
        return {**raw, **body} if isinstance(body, dict) else raw
    if content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename:
                content = await part.read()
                if len(content) > MAX_UPLOAD:
                    raise ApiError(413, "Request Entity Too Large")
                raw[part.name] = (part.filename, bytes(content))
            else:
                raw[part.name] = await part.text()
    elif request.can_read_body:
        raw.update(dict(await request.post()))
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeUser:
    """A person using Telegram: their private chat with the bot, and what they do in groups."""

    def __init__(self, server: FakeTelegram, data: JSON) -> None:
        self.server = server
        self.data = data
        self.id: int = data["id"]

    @property
    def chat(self) -> _Chat:
        return self.server._chats[self.id]

    def _post(self, chat: FakeGroup | None, content: JSON, reply_to: SentMessage | None) -> JSON:
        """A message from this person, in their private chat with the bot or in a group."""
        target = chat.chat if chat is not None else self.chat
        assert target.migrated_to is None, "the group was upgraded: post in the supergroup"
        if target.type == "private":
            # A person can write to a bot only after pressing Start; then the bot may answer.
            self.server._started.add(self.id)
        message: JSON = {
            "message_id": self.server._new_message_id(target.id),
            "date": int(time.time()),
            "chat": target.as_json(),
            "from": self.data,
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = self.server._messages.get(
                (reply_to.chat_id, reply_to.message_id), reply_to.raw
            )
        self.server._set_thread(target, message, chat.thread_id if chat is not None else None)
        self.server._store_user_message(target.id, message)
        self.server.push_update("message", message)
        return message

    def post(self, content: JSON, *, chat: FakeGroup | None = None) -> JSON:
        """A message with any content, e.g. of a kind newer than the bot."""
        return self._post(chat, content, None)

    def send(
        self, text: str, *, chat: FakeGroup | None = None, reply_to: SentMessage | None = None
    ) -> JSON:
        """Send a text message (a command when it starts with /) to the bot or in a group."""
        if chat is None and text.startswith("/start"):
            self.server._blocked.discard(self.id)
        content: JSON = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(chat, content, reply_to)

    def send_document(
        self,
        name: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
        chat: FakeGroup | None = None,
        reply_to: SentMessage | None = None,
    ) -> JSON:
        file_id = self.server._store_file(name, content)
        body: JSON = {
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": name,
                "mime_type": mime_type,
                "file_size": len(content),
            }
        }
        if caption:
            body["caption"] = caption
        return self._post(chat, body, reply_to)

    def send_photo(
        self,
        content: bytes,
        *,
        caption: str | None = None,
        chat: FakeGroup | None = None,
        reply_to: SentMessage | None = None,
    ) -> JSON:
        file_id = self.server._store_file("photo.jpg", content)
        body: JSON = {
            "photo": [
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": 1280,
                    "height": 960,
                    "file_size": len(content),
                }
            ]
        }
        if caption:
            body["caption"] = caption
        return self._post(chat, body, reply_to)

    def press(self, message: SentMessage, button_text: str) -> str:
        """Press the inline button with this text on a message the bot sent."""
        current = self.server._messages.get((message.chat_id, message.message_id), message.raw)
        for text, data in SentMessage(message.chat_id, message.message_id, current).buttons:
            if text == button_text:
                return self.press_data(message, data)
        raise AssertionError(f"no button {button_text!r} on the message: {message.buttons}")

    async def press_and_read(
        self, message: SentMessage, button_text: str, timeout: float = 10.0
    ) -> SentMessage:
        """Press a button and return what the bot made of it: the pressed message once edited,
        or the next new message in this chat."""
        key = (message.chat_id, message.message_id)
        edits = self.server.edits.get(key, 0)
        chat_id = message.chat_id

        def outcome() -> SentMessage | None:
            if self.server.edits.get(key, 0) > edits:
                return SentMessage(chat_id, message.message_id, self.server._messages[key])
            unread = self.server.unread(chat_id)
            return unread[0] if unread else None

        self.press(message, button_text)
        result: SentMessage = await self.server.wait_for(outcome, timeout)
        if result.message_id != message.message_id:
            self.server._cursors[chat_id] = self.server._cursors.get(chat_id, 0) + 1
        return result

    def press_data(self, message: SentMessage, data: str) -> str:
        """Send a callback query with any data (a forged press, when it is not on the message)."""
        query_id = str(next(self.server._ids) + 9_000_000)
        current = self.server._messages.get((message.chat_id, message.message_id), message.raw)
        self.server.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": self.data,
                "chat_instance": f"ci{message.chat_id}",
                "message": current,
                "data": data,
            },
        )
        return query_id

    def vote(self, message: SentMessage, option_ids: list[int]) -> None:
        """Vote in a poll the bot sent (an empty list withdraws the vote)."""
        poll_data = message.poll
        assert poll_data is not None, "not a poll"
        poll = self.server._polls[poll_data["id"]]
        if poll.raw["is_closed"]:
            raise AssertionError("the poll is closed")
        previous = poll.votes.pop(self.id, [])
        for index in previous:
            poll.raw["options"][index]["voter_count"] -= 1
        if option_ids:
            poll.votes[self.id] = option_ids
            for index in option_ids:
                poll.raw["options"][index]["voter_count"] += 1
        poll.raw["total_voter_count"] = len(poll.votes)
        self.server.push_update(
            "poll_answer",
            {
                "poll_id": poll.id,
                "user": self.data,
                "option_ids": option_ids,
                "option_persistent_ids": [
                    poll.raw["options"][i]["persistent_id"] for i in option_ids
                ],
            },
        )

    def block_bot(self) -> None:
        self.server._blocked.add(self.id)
        self.server._bot_membership(self.chat, self.data, "member", "kicked")

    async def next_message(self, timeout: float = 10.0) -> SentMessage:
        return await self.server.next_message(self.id, timeout)

    def delete(self, message: JSON) -> None:
        """The person deletes one of their messages (Telegram does not tell bots): replies
        to it find nothing."""
        self.server._messages.pop((message["chat"]["id"], message["message_id"]), None)

    def answer_to(self, query_id: str) -> JSON | None:
        return self.server.callback_answers.get(query_id)

    async def callback_answer(self, query_id: str, timeout: float = 10.0) -> JSON:
        answer: JSON = await self.server.wait_for(lambda: self.answer_to(query_id), timeout)
        return answer

    def edit(self, message: JSON, new_text: str) -> JSON:
        """Edit a message this person sent (as `send` returned it), as Telegram delivers it: an
        `edited_message` update with the same chat and `message_id`, an `edit_date`, and the
        entities recomputed (a text that now starts with a command has a `bot_command`)."""
        key = (message["chat"]["id"], message["message_id"])
        stored = self.server._messages.get(key, message)
        if stored.get("from", {}).get("id") != self.id:
            raise AssertionError("a person can edit only their own messages")
        field, entities_field = (
            ("caption", "caption_entities") if "caption" in stored else ("text", "entities")
        )
        edited: JSON = {**stored, field: new_text, "edit_date": int(time.time())}
        edited.pop(entities_field, None)
        entities = _command_entities(new_text)
        if entities:
            edited[entities_field] = entities
        self.server._store_user_message(key[0], edited)
        self.server.push_update("edited_message", edited)
        return edited


class FakeGroup:
    """A group chat; the bot must be added before it can post there."""

    def __init__(self, server: FakeTelegram, chat: _Chat) -> None:
        self.server = server
        self.chat = chat
        self.id = chat.id

    def add_bot(self, by: FakeUser) -> None:
        old = "kicked" if self.chat.bot_kicked else "left"
        self.chat.bot_member, self.chat.bot_kicked = True, False
        self.server._bot_membership(self.chat, by.data, old, "member")

    def remove_bot(self, by: FakeUser) -> None:
        self.chat.bot_member, self.chat.bot_kicked = False, True
        self.server._bot_membership(self.chat, by.data, "member", "kicked")

    def upgrade(self, by: FakeUser, new_id: int | None = None) -> FakeGroup:
        """The group becomes a supergroup (200 members, topics turned on, a public link...),
        as Telegram does it: a service message with `migrate_to_chat_id` in the group, one
        with `migrate_from_chat_id` in the new supergroup, and from then on every send to the
        old id answers 400 with `parameters.migrate_to_chat_id`; nothing sent there arrives."""
        assert self.chat.type == "group", "only a basic group is upgraded"
        new_id = new_id if new_id is not None else -(10**12 + abs(self.id))
        old = self.chat
        new = _Chat(
            id=new_id,
            type="supergroup",
            title=old.title,
            bot_member=old.bot_member,
            bot_kicked=old.bot_kicked,
        )
        self.server._chats[new_id] = new
        by._post(self, {"migrate_to_chat_id": new_id}, None)
        old.migrated_to = new_id
        upgraded = FakeGroup(self.server, new)
        by._post(upgraded, {"migrate_from_chat_id": old.id}, None)
        return upgraded

    async def next_message(self, timeout: float = 10.0) -> SentMessage:
        return await self.server.next_message(self.id, timeout)

    thread_id: int | None = None  # where `chat=group` posts: General (or no topics)

    def turn_on_topics(self) -> None:
        """An admin turns the supergroup into a forum (`is_forum`); what was there is in
        General. (A basic group is upgraded to a supergroup first: use a supergroup here.)"""
        assert self.chat.type == "supergroup", "only a supergroup has topics"
        self.chat.is_forum = True

    def create_topic(self, name: str, by: FakeUser) -> FakeTopic:
        """Someone creates a forum topic: its `forum_topic_created` service message reaches
        the bot as a message in the new topic."""
        assert self.chat.is_forum, "turn on topics first"
        created = self.server._new_topic(self.chat, name, by.data)
        self.server.push_update("message", created)
        return FakeTopic(self, created["message_thread_id"], name)


class FakeTopic(FakeGroup):
    """A topic of a forum group: `user.send(..., chat=topic)` posts in it; what the bot sends
    is read from the group's messages as a whole (`SentMessage.thread_id` says where)."""

    def __init__(self, group: FakeGroup, thread_id: int, name: str) -> None:
        super().__init__(group.server, group.chat)
        self.thread_id = thread_id
        self.name = name

    def delete(self) -> None:
        """An admin deletes the topic and every message in it: a send there answers 400
        "message thread not found", a reply to one of its messages finds nothing."""
        thread = self.thread_id or 0
        self.chat.topics.pop(thread, None)
        for key, message in list(self.server._messages.items()):
            if key[0] == self.id and message.get("message_thread_id") == thread:
                del self.server._messages[key]
