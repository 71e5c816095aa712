"""What the fake keeps in memory: chats, messages, polls, files and the updates waiting for
the bot, and how it was told to behave (rate limits, faults). The Bot API methods
(`methods.py`) and the server (`server.py`) build on `State`; the test side (`people.py`)
reads and changes it as people would.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from dataclasses import dataclass, field

from aiohttp import web

from bot.fake_telegram.entities import to_html
from bot.fake_telegram.wire import DEFAULT_UPDATES, JSON


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


@dataclass
class Chat:
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
class Poll:
    id: str
    chat_id: int
    message_id: int
    raw: JSON
    votes: dict[int, list[int]] = field(default_factory=dict)


class State:
    """The fake's state and the few changes every part makes to it (new ids, stored
    messages and files, updates pushed to the bot)."""

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
        self.menu_buttons: dict[int, JSON] = {}  # chat id (0: the default) -> menu button
        self.faults: list[Fault] = []
        self._slow: list[Fault] = []  # calls that take effect before their answer
        self.files: dict[str, tuple[str, bytes]] = {}
        self._chats: dict[int, Chat] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSON] = {}
        self.edits: dict[tuple[int, int], int] = {}  # how often each message was edited
        self._polls: dict[str, Poll] = {}
        self._updates: list[JSON] = []
        self._history: dict[int, JSON] = {}
        self._allowed: frozenset[str] = DEFAULT_UPDATES
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
        self.webhook_max_connections = 40  # setWebhook's, as getWebhookInfo reports it
        self.webhook_allowed: list[str] | None = None  # setWebhook's allowed_updates, if given
        self.webhook_error: tuple[int, str] | None = None  # the last failed post: when, why
        self._late_posts: list[Fault] = []  # updates posted late (Telegram backing off)
        self._polls_started = 0
        self.conflicts = 0  # long polls ended by an overlapping getUpdates (409)
        self._last_poll: JSON = {}
        # Per 409: the ended poll's parameters and the newer call's, for a failing assertion.
        self.conflicted: list[tuple[JSON, JSON]] = []
        self._webhook_task: asyncio.Task[None] | None = None

    def push_update(self, kind: str, payload: JSON) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._history[update_id] = self._updates[-1]
        self._notify()
        return update_id

    def _notify(self) -> None:
        """Wake everything waiting in `wait_for` (a fresh event for the next change)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _store_user_message(self, chat_id: int, message: JSON) -> None:
        self._messages[(chat_id, message["message_id"])] = message

    def _store_file(self, name: str, content: bytes) -> str:
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = (f"documents/{file_id}_{name}", content)
        return file_id
