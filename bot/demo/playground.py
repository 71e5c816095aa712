"""`python -m bot demo --serve`: the demo's bot and fake Telegram kept running after the month,
and a local web page where a newcomer talks to the bot as any person of the demo consortium.

The page (`bot/demo/static/`) is plain HTML, CSS and JavaScript served by this process, on
127.0.0.1 only: nothing is loaded from another host. It talks to a small JSON API here:

    GET  /api/state                                  people, groups, clock, the page's labels
    GET  /api/chats/{chat}/messages?since=V&wait=S   what changed in a chat since version V
    POST /api/chats/{chat}/messages                  {person, text, reply_to?}: a message
    POST /api/chats/{chat}/documents                 multipart person, file, caption: a file
    POST /api/chats/{chat}/messages/{id}/press       {person, row, column}: an inline button
    POST /api/chats/{chat}/messages/{id}/vote        {person, options}: a vote ([]: withdrawn)
    GET  /api/files/{file_id}                        a chart or file from a chat
    POST /api/clock                                  {minutes}: move the demo's clock on

People act through the fake's own test side (`FakeUser`), so the bot gets the updates Telegram
would send. A message is shown from what the fake stored (plain text and entities, rebuilt as
escaped HTML by `SentMessage.text`), so nothing anyone typed reaches the page as markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_skeleton

from bot.clock import ManualClock
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from bot.i18n import Translator
from bot.web.auth import signed_init_data

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATIC = {
    "index.html": "text/html",
    "playground.js": "text/javascript",
    "playground.css": "text/css",
}
# The page may load and call nothing but this process: no CDN, no inline script.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Every POST carries this header: a page of another site cannot send it without a CORS
# preflight this server never grants, so it cannot act in the playground through the browser.
ACTION_HEADER = "X-Playground"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
MAX_TEXT = 4096  # Telegram's limit for a message
MAX_FILE = 20 * 1024 * 1024  # what a bot may download of a file people send (getFile)
MAX_WAIT = 25.0  # seconds a long poll is held open
PRESS_TIMEOUT = 10.0  # seconds the bot has to answer a button


@dataclass(frozen=True)
class Person:
    """Someone of the demo consortium the newcomer can act as."""

    id: int
    name: str
    about: str  # roles and party, in the page's language


class PortBusy(RuntimeError):
    """The playground's port cannot be listened on (taken, or not allowed)."""


class Refused(Exception):
    """A request the playground turns down, with a message for the page (translated)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Seen:
    digest: str
    version: int
    rendered: JSON


@dataclass
class MiniAppLinks:
    """Links to the demo bot's Mini App signed for a person, at the demo's time."""

    url: str  # WEBAPP_URL, local
    token: str
    clock: ManualClock
    names: dict[int, str]
    lang: str

    def link(self, person: int, url: str | None = None) -> str:
        user = {"id": person, "first_name": self.names.get(person, ""), "language_code": self.lang}
        data = signed_init_data(self.token, user, self.clock.now())
        fragment = f"tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0"
        return f"{url or self.url}#{fragment}&tgWebAppPlatform=web"


@dataclass
class Playground:
    """The web app around a running fake Telegram and the bot that talks to it."""

    tg: FakeTelegram
    clock: ManualClock
    t: Translator
    lang: str
    people: list[Person]
    zone: str
    is_open: bool = False  # people may act only once the demo's month is played
    miniapp: MiniAppLinks | None = None  # the bot's Mini App, opened as the person chosen
    _version: int = 0
    _seen: dict[tuple[int, int], _Seen] = field(default_factory=dict)
    _chat_versions: dict[int, int] = field(default_factory=dict)
    _chat_ids: dict[int, tuple[int, ...]] = field(default_factory=dict)
    _users: dict[int, FakeUser] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_guard], client_max_size=MAX_FILE + 1024 * 1024)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/favicon.ico", _no_icon)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/chats/{chat}/messages", self._messages)
        app.router.add_post("/api/chats/{chat}/messages", self._send)
        app.router.add_post("/api/chats/{chat}/documents", self._document)
        app.router.add_post("/api/chats/{chat}/messages/{message}/press", self._press)
        app.router.add_post("/api/chats/{chat}/messages/{message}/vote", self._vote)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_post("/api/clock", self._move_clock)
        app.router.add_get("/api/miniapp", self._miniapp)
        return app

    # ----------------------------------------------------------------------- reading
    async def _page(self, _: web.Request) -> web.Response:
        return _static_file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return _static_file(name)

    async def _state(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "lang": self.lang,
                "open": self.is_open,
                "bot": {
                    "name": self.tg.bot_user["first_name"],
                    "username": self.tg.bot_user["username"],
                },
                "people": [vars(person) for person in self.people],
                "groups": [{"id": g["id"], "title": g["title"]} for g in self.tg.groups()],
                "clock": self.clock_label(),
                "labels": self.labels(),
                "menu": self._menu_button(),
            }
        )

    def _menu_button(self) -> str | None:
        """The text of the bot's menu button when it opens the Mini App (WEBAPP_URL)."""
        button = self.tg.menu_buttons.get(0) or {}
        return str(button["text"]) if button.get("type") == "web_app" else None

    async def _miniapp(self, request: web.Request) -> web.Response:
        """?person=ID[&url=...]: the Mini App's address (a web_app button's, or the menu's)
        signed for that person, as Telegram would open it for them."""
        if self.miniapp is None:
            raise Refused(404, self.t.gettext("The dashboard is not running in this demo."))
        person = self._int(request.query.get("person"))
        if person not in self._person_ids():
            raise Refused(400, self.t.gettext("Unknown person."))
        url = request.query.get("url") or self.miniapp.url
        if not url.startswith(self.miniapp.url):  # only the bot's own Mini App
            raise Refused(400, self.t.gettext("Unknown person."))
        return web.json_response({"url": self.miniapp.link(person, url)})

    async def _messages(self, request: web.Request) -> web.Response:
        """A chat's messages changed since `since` (all at 0); waits up to `wait` seconds for
        a change, so the page can ask again at once (a long poll)."""
        chat_id = self._chat(request)
        since = self._int(request.query.get("since", "0"))
        wait = min(max(float(self._int(request.query.get("wait", "0"))), 0.0), MAX_WAIT)
        if wait and self._scan(chat_id) <= since:
            with contextlib.suppress(TimeoutError):
                await self.tg.wait_for(lambda: self._scan(chat_id) > since, wait)
        version = self._scan(chat_id)
        ids = self._chat_ids.get(chat_id, ())
        changed = [
            self._seen[(chat_id, i)].rendered
            for i in ids
            if self._seen[(chat_id, i)].version > since
        ]
        return web.json_response({"version": version, "ids": list(ids), "messages": changed})

    def _scan(self, chat_id: int) -> int:
        """Bring what the page knows of a chat up to date; the chat's version (it grows with
        every message that appears, changes or goes)."""
        ids = []
        for message in self.tg.history(chat_id):
            poll = message.poll
            votes = self.tg.poll_votes(poll["id"]) if poll is not None else {}
            rendered = render_message(message, self.t, votes)
            if rendered is None:
                continue
            ids.append(message.message_id)
            digest = json.dumps(rendered, sort_keys=True)
            key = (chat_id, message.message_id)
            seen = self._seen.get(key)
            if seen is None or seen.digest != digest:
                self._version += 1
                self._seen[key] = _Seen(digest, self._version, rendered)
                self._chat_versions[chat_id] = self._version
        if set(self._chat_ids.get(chat_id, ())) - set(ids):  # deleted
            self._version += 1
            self._chat_versions[chat_id] = self._version
        self._chat_ids[chat_id] = tuple(ids)
        return self._chat_versions.get(chat_id, 0)

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.tg.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        path, content = stored
        name = path.rsplit("/", 1)[-1].split("_", 1)[-1]
        image = _image_type(content)
        if image is not None:  # charts and photos: shown in the chat
            return web.Response(body=content, content_type=image)
        # Anything else is downloaded, never shown: a file someone sent is not a page here.
        response = web.Response(body=content, content_type="application/octet-stream")
        response.headers["Content-Disposition"] = _attachment(name)
        return response

    # ----------------------------------------------------------------------- acting
    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat_id = self._chat(request)
        user = self._actor(body, chat_id)
        text = str(body.get("text") or "").strip()
        if not text:
            raise Refused(400, self.t.gettext("Write something first."))
        if len(text) > MAX_TEXT:
            raise Refused(
                400,
                self.t.gettext("A message holds at most {limit} characters.").format(
                    limit=MAX_TEXT
                ),
            )
        reply_to = None
        if body.get("reply_to") is not None:
            reply_to = self._message(chat_id, self._int(body["reply_to"]))
        message = user.send(text, chat=self._group(chat_id), reply_to=reply_to)
        return web.json_response({"id": message["message_id"]}, status=201)

    async def _document(self, request: web.Request) -> web.Response:
        if not self.is_open:
            raise Refused(409, self._still_playing())
        form = await request.post()
        chat_id = self._chat(request)
        user = self._actor({"person": form.get("person")}, chat_id)
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise Refused(400, self.t.gettext("Choose a file first."))
        content = upload.file.read()
        caption = str(form.get("caption") or "").strip() or None
        message = user.send_document(
            upload.filename or "file",
            content,
            caption=caption,
            mime_type=upload.content_type or "application/octet-stream",
            chat=self._group(chat_id),
        )
        return web.json_response({"id": message["message_id"]}, status=201)

    async def _press(self, request: web.Request) -> web.Response:
        """Press an inline button (by its place on the message); the bot's answer to it."""
        body = await self._body(request)
        chat_id = self._chat(request)
        user = self._actor(body, chat_id)
        message = self._message(chat_id, self._int(request.match_info["message"]))
        rows = (message.raw.get("reply_markup") or {}).get("inline_keyboard", [])
        row, column = self._int(body.get("row")), self._int(body.get("column"))
        try:
            if min(row, column) < 0:
                raise IndexError(row, column)
            button = rows[row][column]
        except IndexError:
            raise Refused(400, self.t.gettext("That button is no longer there.")) from None
        if "callback_data" not in button:
            raise Refused(400, self.t.gettext("That button opens a link."))
        query = user.press_data(message, button["callback_data"])
        try:
            answer: JSON = await self.tg.wait_for(lambda: user.answer_to(query), PRESS_TIMEOUT)
        except TimeoutError:
            raise Refused(504, self.t.gettext("The bot did not answer the button.")) from None
        return web.json_response(
            {"answer": str(answer.get("text") or ""), "alert": bool(answer.get("show_alert"))}
        )

    async def _vote(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat_id = self._chat(request)
        user = self._actor(body, chat_id)
        message = self._message(chat_id, self._int(request.match_info["message"]))
        poll = message.poll
        if poll is None:
            raise Refused(400, self.t.gettext("That message is not a poll."))
        if poll["is_closed"]:
            raise Refused(409, self.t.gettext("This poll is closed."))
        options = body.get("options")
        if not isinstance(options, list) or any(
            not isinstance(o, int) or not 0 <= o < len(poll["options"]) for o in options
        ):
            raise Refused(400, self.t.gettext("Choose one of the poll's options."))
        if len(options) > 1 and not poll["allows_multiple_answers"]:
            raise Refused(400, self.t.gettext("This poll takes one answer."))
        user.vote(message, sorted(set(options)))
        return web.json_response({"options": sorted(set(options))})

    async def _move_clock(self, request: web.Request) -> web.Response:
        """Move the demo's clock on: reminders, escalations and check-ins fall due."""
        body = await self._body(request)
        minutes = body.get("minutes")
        if not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
            raise Refused(400, self.t.gettext("Move the clock on by 1 minute to 7 days."))
        self.clock.advance(dt.timedelta(minutes=minutes))
        return web.json_response({"clock": self.clock_label()})

    # ----------------------------------------------------------------------- helpers
    async def _body(self, request: web.Request) -> JSON:
        if not self.is_open:
            raise Refused(409, self._still_playing())
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Refused(400, self.t.gettext("The request is not a JSON object."))
        return body

    def _still_playing(self) -> str:
        return self.t.gettext(
            "The demo's month is still being played; you can talk to the bot once it is over."
        )

    def _chat(self, request: web.Request) -> int:
        """A chat of the demo: a group the bot is in, or a person's private chat with it."""
        chat_id = self._int(request.match_info["chat"])
        if chat_id in {g["id"] for g in self.tg.groups()} or chat_id in self._person_ids():
            return chat_id
        raise Refused(404, self.t.gettext("This chat is not one of the demo's."))

    def _person_ids(self) -> set[int]:
        return {person.id for person in self.people}

    def _actor(self, body: JSON, chat_id: int) -> FakeUser:
        """The person acting; in a private chat only its person acts."""
        chosen = body.get("person")
        if isinstance(chosen, str) and chosen.isdigit():  # a form's field
            chosen = int(chosen)
        person = next((p for p in self.people if p.id == chosen), None)
        if person is None:
            raise Refused(400, self.t.gettext("Choose a person of the demo consortium."))
        if chat_id > 0 and chat_id != person.id:
            raise Refused(
                403, self.t.gettext("Only its person writes in a private chat with the bot.")
            )
        if person.id not in self._users:
            self._users[person.id] = self.tg.user(person.id, person.name, language_code=self.lang)
        return self._users[person.id]

    def _group(self, chat_id: int) -> FakeGroup | None:
        return self.tg.group(chat_id, "") if chat_id < 0 else None

    def _message(self, chat_id: int, message_id: int) -> SentMessage:
        found = next((m for m in self.tg.history(chat_id) if m.message_id == message_id), None)
        if found is None:
            raise Refused(404, self.t.gettext("That message is not in this chat."))
        return found

    def _int(self, value: Any) -> int:
        """A whole number from the request, or a refusal the page can show."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        raise Refused(400, self.t.gettext("The request names something that is not a number."))

    def clock_label(self) -> str:
        moment = self.clock.now().astimezone(ZoneInfo(self.zone))
        day = format_skeleton("yMMMEd", moment, locale=self.lang)
        return f"{day} {format_skeleton('Hm', moment, locale=self.lang)}"

    def labels(self) -> dict[str, str]:
        """The page's own words, in the page's language (the bot's messages are the bot's)."""
        t = self.t
        return {
            "title": t.gettext("Synergy Bot playground"),
            "intro": t.gettext(
                "Talk to the demo's bot as any person of the consortium: pick a person, write "
                "a message or a command (try /help), press the buttons, vote in the polls."
            ),
            "person": t.gettext("You are"),
            "private": t.gettext("{name} and the bot, privately"),
            "placeholder": t.gettext("A message or a command, e.g. /help"),
            "send": t.gettext("Send"),
            "file": t.gettext("Send a file"),
            "reply": t.gettext("Reply"),
            "replying": t.gettext("Replying to {name}"),
            "cancel": t.gettext("Cancel"),
            "edited": t.gettext("edited"),
            "clock": t.gettext("Time in the consortium"),
            "later": t.gettext("Move the clock on:"),
            "minutes30": t.gettext("+30 min"),
            "hour": t.gettext("+1 hour"),
            "day": t.gettext("+1 day"),
            "closed": t.gettext("Poll closed"),
            "waiting": self._still_playing(),
            "too_big": t.gettext("The file is larger than 20 MB."),
            "lost": t.gettext("The playground does not answer: is the demo still running?"),
        }


def render_message(
    message: SentMessage, t: Translator, votes: dict[int, list[int]] | None = None
) -> JSON | None:
    """A message as the page shows it; None for a service message with nothing to show.
    `html` is the fake's escaped rebuild of text and entities: the page may insert it.
    `votes`: who chose what in its poll, so the page can mark a person's own choice."""
    raw = message.raw
    sender = raw.get("from") or {}
    rendered: JSON = {
        "id": message.message_id,
        "from": {
            "id": sender.get("id"),
            "name": _name(sender),
            "bot": bool(sender.get("is_bot")),
        },
        "html": message.text,
        "edited": "edit_date" in raw,
    }
    reply = raw.get("reply_to_message")
    if reply:
        excerpt = str(reply.get("text") or reply.get("caption") or "")
        rendered["reply_to"] = {
            "id": reply["message_id"],
            "name": _name(reply.get("from") or {}),
            "text": excerpt[:100],
        }
    if raw.get("photo"):
        rendered["photo"] = raw["photo"][-1]["file_id"]
    document = raw.get("document")
    if document:
        rendered["document"] = {
            "file_id": document["file_id"],
            "name": document.get("file_name") or document["file_id"],
            "size": document.get("file_size"),
        }
    if message.poll is not None:
        rendered["poll"] = _poll(message.poll, t, votes or {})
    rows = (raw.get("reply_markup") or {}).get("inline_keyboard", [])
    if rows:
        rendered["buttons"] = [[_button(b) for b in row] for row in rows]
    if not (rendered["html"] or rendered.get("photo") or document or message.poll):
        return None
    return rendered


def _button(button: JSON) -> JSON:
    """A button as the page shows it: a press, a link, or (`web_app`) the bot's Mini App."""
    shown: JSON = {"text": button["text"], "url": button.get("url")}
    if button.get("web_app"):
        shown["web_app"] = button["web_app"].get("url")
    return shown


def _poll(poll: JSON, t: Translator, votes: dict[int, list[int]]) -> JSON:
    total = poll["total_voter_count"]
    return {
        "id": poll["id"],
        "question": poll["question"],
        "options": [{"text": o["text"], "votes": o["voter_count"]} for o in poll["options"]],
        "total": t.ngettext("{n} vote", "{n} votes", total).format(n=total),
        "closed": poll["is_closed"],
        "multiple": poll["allows_multiple_answers"],
        "chosen": {str(person): options for person, options in votes.items()},
    }


def _name(user: JSON) -> str:
    return " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))


def _image_type(content: bytes) -> str | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


async def _no_icon(_: web.Request) -> web.Response:
    return web.Response(status=204)


def _static_file(name: str) -> web.Response:
    content = resources.files("bot.demo").joinpath("static", name).read_bytes()
    return web.Response(body=content, content_type=STATIC[name], charset="utf-8")


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Local requests only (a name that resolves here is refused: DNS rebinding); actions
    only with the playground's header; answers that load nothing from elsewhere."""
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if host not in LOCAL_HOSTS:
        return web.json_response({"error": "the playground answers on 127.0.0.1 only"}, status=403)
    if request.method == "POST" and request.headers.get(ACTION_HEADER) != "1":
        return web.json_response({"error": f"an action needs {ACTION_HEADER}: 1"}, status=403)
    try:
        response = await handler(request)
    except Refused as refused:
        response = web.json_response({"error": refused.message}, status=refused.status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@contextlib.asynccontextmanager
async def serving(playground: Playground, port: int) -> AsyncIterator[str]:
    """The playground listening on 127.0.0.1:`port` (0: any free port); its URL."""
    runner = web.AppRunner(playground.app(), access_log=None, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        try:
            await site.start()
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise PortBusy(
                f"the playground cannot listen on 127.0.0.1:{port} ({reason}): "
                "choose another port with --port"
            ) from None
        host, bound = runner.addresses[0][:2]
        yield f"http://{host}:{bound}/"
    finally:
        await runner.cleanup()


async def until_stopped() -> None:
    """Until Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
