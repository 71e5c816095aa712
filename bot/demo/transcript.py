"""The demo's transcript: what people send and what the bot answers, in order, printed as a
chat log (and saved as `transcript.txt` by the runner).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.demo.cast import GROUP_ID, GROUP_TITLE
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from bot.i18n import Translator
from bot.renderers import aside, labelled


@dataclass
class Transcript:
    """Prints what people send and what the bot answers, in order, as a chat log."""

    tg: FakeTelegram
    echo: Callable[[str], None]
    names: dict[int, str]
    t: Translator
    lines: list[str] = field(default_factory=list)
    _seen: int = 0
    _edits: dict[tuple[int, int], int] = field(default_factory=dict)
    focus: frozenset[int] | None = None  # the chats shown; None: all

    def shows(self, chat_id: int) -> bool:
        return self.focus is None or chat_id in self.focus

    def say(self, line: str) -> None:
        self.lines.append(line)
        self.echo(line)

    def narrate(self, text: str) -> None:
        """A line of the story, after what the bot has said so far."""
        self.flush()
        self.say(text)

    def heading(self, text: str) -> None:
        self.flush()
        self.say("")
        self.say(f"── {text} ──")

    def person(self, user: FakeUser, text: str, group: FakeGroup | None = None) -> None:
        self.flush()
        if self.shows(GROUP_ID if group is not None else user.id):
            name = self.names[user.id]
            if group is not None:
                name = self.t.gettext("{name} in {group}").format(name=name, group=GROUP_TITLE)
            self.say(labelled(name, _plain(text), self.t))

    def flush(self) -> None:
        """Print what the bot sent or edited since the last call."""
        new = self.tg.sent[self._seen :]
        self._seen = len(self.tg.sent)
        for message in new:
            self._edits[(message.chat_id, message.message_id)] = self._edit_count(message)
            if self.shows(message.chat_id):
                self._bot(message, edited=False)
        for key, count in self.tg.edits.items():
            if count > self._edits.get(key, 0):
                self._edits[key] = count
                if self.shows(key[0]):
                    self._bot(self.tg.message(*key), edited=True)

    def _edit_count(self, message: SentMessage) -> int:
        return self.tg.edits.get((message.chat_id, message.message_id), 0)

    def _bot(self, message: SentMessage, *, edited: bool) -> None:
        where = GROUP_TITLE if message.chat_id < 0 else self.names.get(message.chat_id, "?")
        if edited:
            where = aside(where, self.t.gettext("edited"), self.t)
        body = _plain(message.text)
        if message.poll:
            options = " / ".join(o["text"] for o in message.poll["options"])
            poll = self.t.gettext("[poll] {question} ({options})")
            body = poll.format(question=message.poll["question"], options=options)
        elif message.raw.get("photo"):
            # gettext outside f-strings: Python 3.11's extraction does not look inside them
            chart = self.t.gettext("[chart]")
            body = f"{chart} {body}".rstrip()
        elif message.raw.get("document"):
            name = message.raw["document"]["file_name"]
            file = self.t.gettext("[file {name}]").format(name=name)
            body = f"{file} {body}".rstrip()
        # TRANSLATORS: how the demo transcript names the bot, as in "bot → Li Wei: ...".
        bot = self.t.gettext("bot")
        self.say(("  " + labelled(f"{bot} → {where}", body, self.t)).replace("\n", "\n      "))
        buttons = [text for text, _ in message.buttons]
        if buttons:
            self.say("      " + " ".join(f"[{b}]" for b in buttons))


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
