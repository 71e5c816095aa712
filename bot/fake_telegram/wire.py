"""The Bot API's wire as the fake speaks it: parameters in (query string, form, multipart or
JSON), answers and errors out (`ok`, `error_code`, `description`, `parameters`), and the
limits and checks Telegram applies to what it is sent (markup, entities, inline keyboards).
Kept apart from the server so the methods and the server read the same rules.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import BodyPartReader, web

from bot.fake_telegram.entities import EntityError, parse_html

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
UPDATE_TYPES = (
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
DEFAULT_UPDATES = frozenset(set(UPDATE_TYPES) - {"chat_member"})
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


def parse_markup(text: str) -> tuple[str, list[JSON]]:
    """Plain text and entities of an HTML text; ApiError 400 as Telegram refuses markup."""
    try:
        return parse_html(text)
    except EntityError as exc:
        raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None


def default_description(status: int) -> str:
    return {
        400: "Bad Request",
        403: "Forbidden",
        429: "Too Many Requests: retry after 1",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(status, "Error")


def error_response(exc: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    if exc.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": exc.migrate_to_chat_id}
    return web.json_response(body, status=exc.code)


def member(user: JSON, status: str) -> JSON:
    member: JSON = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member


def set_markup(message: JSON, params: JSON) -> None:
    """An edit replaces the inline keyboard, or removes it when none is given."""
    if params.get("reply_markup"):
        check_markup(params["reply_markup"], message["chat"]["type"])
        message["reply_markup"] = params["reply_markup"]
    else:
        message.pop("reply_markup", None)


def check_web_app(web_app: Any) -> None:
    """A Mini App's address: HTTPS, as Telegram requires (plain HTTP to this machine is let
    through, as Telegram's test environment does, for the demo and the tests)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    local = isinstance(url, str) and re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", url)
    if not isinstance(url, str) or not (url.startswith("https://") or local):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def check_markup(markup: JSON, chat_type: str = "private") -> None:
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "web_app" in button:
                # Telegram opens Mini Apps from buttons in private chats only.
                if chat_type != "private":
                    raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
                check_web_app(button["web_app"])
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )


async def read_params(request: web.Request) -> JSON:
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
