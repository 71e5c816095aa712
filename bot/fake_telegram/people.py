"""The test side of the fake: people using Telegram (`FakeUser`), groups (`FakeGroup`) and
forum topics (`FakeTopic`). They send messages and commands, press buttons, vote, upload
files and edit or delete their messages, as the updates Telegram would deliver; the server
(`server.py`) hands them out (`tg.user(...)`, `tg.group(...)`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from bot.fake_telegram.state import Chat, SentMessage
from bot.fake_telegram.wire import JSON

if TYPE_CHECKING:
    from bot.fake_telegram.server import FakeTelegram


def _command_entities(text: str) -> list[JSON]:
    """A command at the start: `/` and 1-32 of `A-Za-z0-9_`, then an optional @username."""
    match = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{5,32})?(?![A-Za-z0-9_])", text)
    return [{"type": "bot_command", "offset": 0, "length": match.end()}] if match else []


class FakeUser:
    """A person using Telegram: their private chat with the bot, and what they do in groups."""

    def __init__(self, server: FakeTelegram, data: JSON) -> None:
        self.server = server
        self.data = data
        self.id: int = data["id"]

    @property
    def chat(self) -> Chat:
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

    def __init__(self, server: FakeTelegram, chat: Chat) -> None:
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
        new = Chat(
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
