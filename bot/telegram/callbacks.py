"""Callback data: encoded and decoded here only, always within Telegram's 64 bytes.

Data is `<action>:<arg>:<arg>...` with a short action code. Decoding is strict: unknown
actions, wrong argument counts or malformed arguments decode to None, and the press is
refused without acting.

A modified client can send any data on any message the bot sent, so a press is also checked
against the message it arrived on (`refusal`, for every button in `handlers.base.button`):
the data must be one of that message's buttons, and the presser one of the people the
button is for (`PRESSED_BY`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Action(StrEnum):
    LANGUAGE = "lg"  # args: language code
    FORGET = "fg"  # args: telegram id of the person, "yes" or "no"
    ACKNOWLEDGE = "la"  # args: request id
    ANSWER = "lw"  # args: request id
    HAND_OVER = "lh"  # args: request id
    ASK_PARTY = "ap"  # args: party id, telegram id of the asker
    REPORT = "rp"  # args: report id, operation (see handlers.reports)
    SCORE = "sc"  # args: assessment id, operation
    PROGRESS = "pg"  # args: telegram id of the student
    TOPIC = "tp"  # args: topic id, operation (see handlers.topics)
    APPLICATION = "ta"  # args: application id, "y" or "n"
    TOPIC_REPORT = "tr"  # args: topic report id, operation
    TOPIC_SCORE = "ts"  # args: topic assessment id, operation


_ARITY = {
    Action.LANGUAGE: 1,
    Action.FORGET: 2,
    Action.ACKNOWLEDGE: 1,
    Action.ANSWER: 1,
    Action.HAND_OVER: 1,
    Action.ASK_PARTY: 2,
    Action.REPORT: 2,
    Action.SCORE: 2,
    Action.PROGRESS: 1,
    Action.TOPIC: 2,
    Action.APPLICATION: 2,
    Action.TOPIC_REPORT: 2,
    Action.TOPIC_SCORE: 2,
}


class Audience(StrEnum):
    """Who may press a button, besides what the action's handler checks itself.

    In a private chat only its owner can press, whatever the audience. In a group, the bot's
    message that carries a button for ONE person is the reply to that person's message (the
    command that asked for it): Telegram sends that message with the press, so the person it
    was shown to is its author.
    """

    ONE = "one"  # only the person the message was shown to
    GROUP = "group"  # anyone in the chat; the handler checks who may act (e.g. a party's contact)


# Who may press each action's buttons, and where the bot shows them.
PRESSED_BY = {
    # /lang's choice (private or group): the person who sent /lang.
    Action.LANGUAGE: Audience.ONE,
    # /forget's confirmation (private): its owner; the data names them, checked again.
    Action.FORGET: Audience.ONE,
    # A question delivered to a contact (private): that contact; the service checks that
    # they are still the one the question is with.
    Action.ACKNOWLEDGE: Audience.ONE,
    Action.ANSWER: Audience.ONE,
    Action.HAND_OVER: Audience.ONE,
    # The party choice of /ask without a party (private or group): the asker; the data names
    # them, checked again.
    Action.ASK_PARTY: Audience.ONE,
    # A weekly report's draft (private): its student; the handler checks the report is theirs.
    Action.REPORT: Audience.ONE,
    # A mentor's scoring (private): that mentor; the service checks the assessment is theirs.
    Action.SCORE: Audience.ONE,
    # /progress's list of students (private or group): the person who sent /progress.
    Action.PROGRESS: Audience.ONE,
    # A topic's card: Apply is announced in groups to every student there; a draft's
    # Publish/Discard/Edit and Announce are private, and the service checks the author.
    Action.TOPIC: Audience.GROUP,
    # An application to a topic (private): a contact of the publishing party, checked by the
    # service.
    Action.APPLICATION: Audience.ONE,
    # A topic team's draft report (private): the team member writing it, checked by the service.
    Action.TOPIC_REPORT: Audience.ONE,
    # A topic mentor's scoring (private): that mentor, checked by the service.
    Action.TOPIC_SCORE: Audience.ONE,
}


class Refusal(StrEnum):
    STALE = "stale"  # the data is not on the message it arrived on (or that message is gone)
    NOT_YOURS = "not_yours"  # the button is for someone else


@dataclass(frozen=True)
class Press:
    """A button press as Telegram delivers it, reduced to what the check needs."""

    data: str | None
    buttons: frozenset[str] | None  # the callback data on the message; None: no message
    private: bool
    chat_id: int
    presser: int
    shown_to: int | None  # in a group, the author of the message the bot's message replies to


def refusal(press: Press) -> Refusal | None:
    """Why this press must change nothing, or None: the data must be on the message it was
    pressed on, and the presser one of the people its action's buttons are for."""
    decoded = decode(press.data)
    if decoded is None or press.buttons is None or press.data not in press.buttons:
        return Refusal.STALE
    if press.private:
        return None if press.presser == press.chat_id else Refusal.NOT_YOURS
    if PRESSED_BY[decoded.action] is Audience.ONE and press.shown_to != press.presser:
        return Refusal.NOT_YOURS
    return None


@dataclass(frozen=True)
class Callback:
    action: Action
    args: tuple[str, ...]


def encode(action: Action, *args: object) -> str:
    parts = [str(arg) for arg in args]
    if len(parts) != _ARITY[action] or not all(_ARG.match(part) for part in parts):
        raise ValueError(f"bad arguments for {action.name}: {parts}")
    data = ":".join([action.value, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: object) -> Callback | None:
    if not isinstance(data, str) or not 0 < len(data.encode()) <= MAX_BYTES:
        return None
    code, *args = data.split(":")
    try:
        action = Action(code)
    except ValueError:
        return None
    if len(args) != _ARITY[action] or not all(_ARG.match(arg) for arg in args):
        return None
    return Callback(action, tuple(args))


def matches(action: Action) -> Callable[[object], bool]:
    """A pattern for CallbackQueryHandler: data that decodes to this action."""

    def check(data: object) -> bool:
        decoded = decode(data)
        return decoded is not None and decoded.action is action

    return check
