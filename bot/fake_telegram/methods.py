"""The Bot API methods the fake answers (`_api_<method>`, found by name by the server), by
area: messages and edits, callback answers, commands and chats, polls, files, forum topics.
Each checks what Telegram checks and answers as Telegram does (the same descriptions, 400
and 403 alike); getUpdates and the webhook are the server's (`server.py`).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bot.fake_telegram.entities import utf16_length
from bot.fake_telegram.state import Chat, Poll, SentMessage, State
from bot.fake_telegram.wire import (
    JSON,
    MAX_CAPTION,
    MAX_TEXT,
    ApiError,
    check_markup,
    check_web_app,
    member,
    parse_markup,
    set_markup,
)


class BotApi(State):
    """The methods, on the fake's state."""

    # ------------------------------------------------------------------ helpers
    def _target_chat(self, params: JSON) -> Chat:
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

    def _bot_message(self, chat: Chat, params: JSON, **content: Any) -> JSON:
        message: JSON = {
            "message_id": self._new_message_id(chat.id),
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": self.bot_user,
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            check_markup(markup, chat.type)
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

    def _text(self, params: JSON, key: str, limit: int) -> JSON:
        """A text or caption as Telegram stores it: plain text and its entities, the length
        counted on the plain text in UTF-16 code units (an emoji outside the BMP is 2)."""
        markup = str(params.get(key) or "")
        if params.get("parse_mode") == "HTML":
            text, entities = parse_markup(markup)
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

    # ---------------------------------------------------------- the bot itself
    async def _api_getMe(self, params: JSON) -> JSON:
        return self.bot_user

    async def _api_logOut(self, params: JSON) -> bool:
        return True

    async def _api_close(self, params: JSON) -> bool:
        return True

    # ------------------------------------------------------ messages and edits
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
        set_markup(message, params)
        self._edited(message)
        return message

    async def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        message = self._own_message(params)
        set_markup(message, params)
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

    # ------------------------------------------- callbacks, commands and chats
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

    async def _api_setChatMenuButton(self, params: JSON) -> bool:
        """The button beside a private chat's message field (`chat_id`), or every private
        chat's default: the command list, a Mini App, or Telegram's default."""
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in {"commands", "web_app", "default"}:
            raise ApiError(400, "Bad Request: unsupported menu button type")
        if kind == "web_app":
            if not 1 <= len(str(button.get("text") or "")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            check_web_app(button.get("web_app"))
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._chats.get(int(chat_id))
            if chat is None or chat.type != "private":
                raise ApiError(400, "Bad Request: chat not found")
        self.menu_buttons[int(chat_id) if chat_id is not None else 0] = button
        return True

    async def _api_getChatMenuButton(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        found = self.menu_buttons.get(int(chat_id)) if chat_id is not None else None
        return found or self.menu_buttons.get(0) or {"type": "commands"}

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
                "gifts_from_channels": False,
            },
        }

    async def _api_getChatMember(self, params: JSON) -> JSON:
        chat = self._chats.get(int(params.get("chat_id", 0)))
        user_id = int(params.get("user_id", 0))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if user_id == self.bot_user["id"]:
            status = "member" if chat.bot_member else ("kicked" if chat.bot_kicked else "left")
            return member(self.bot_user, status)
        user_chat = self._chats.get(user_id)
        if user_chat is None or user_chat.user is None:
            raise ApiError(400, "Bad Request: user not found")
        return member(user_chat.user, "member")

    # ------------------------------------------------------------------- polls
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
        self._polls[poll_id] = Poll(poll_id, chat.id, message["message_id"], poll)
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

    # ------------------------------------------------------------------- files
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

    def _new_topic(self, chat: Chat, name: str, by: JSON) -> JSON:
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

    def _set_thread(self, chat: Chat, message: JSON, topic: int | None) -> None:
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

    def _place_in_thread(self, chat: Chat, message: JSON, params: JSON) -> None:
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
