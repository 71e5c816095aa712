"""Callback data: encoded and decoded here only, always within Telegram's 64 bytes.

Data is `<action>:<arg>:<arg>...` with a short action code. Decoding is strict: unknown
actions, wrong argument counts or malformed arguments decode to None, and the press is
refused without acting.
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
