"""Callback data: encoded and decoded here only, always within Telegram's 64 bytes.

Data is `<action>:<arg>:<arg>...` with a short action code. Decoding is strict: unknown
actions, wrong argument counts or malformed arguments decode to None, and the press is
refused without acting.

The second argument of several actions is an operation: what the button does. Each has a
name and a one-line meaning below (`ReportOp`, `ScoreOp`, `TopicOp`, `TopicReportOp`,
`Answer`); operations that carry a value (a week, a score, a part to edit) are built and read
by the functions next to them. The data strings are what buttons already sent carry: never
change one, only add.

A modified client can send any data on any message the bot sent, so a press is also checked
against the message it arrived on (`refusal`, for every button in `handlers.base.button`):
the data must be one of that message's buttons, and the presser one of the people the
button is for (`PRESSED_BY`).
"""

from __future__ import annotations

import datetime as dt
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
    SESSION = "cs"  # args: course session id, operation (`SessionOp`, or `attendee_op`)
    SURVEY = "sv"  # args: survey answer id, operation (`SurveyOp`, or `skill_op`)
    REVIEW = "rv"  # args: course review id, operation (`ReviewOp`, or `rating_op`)


class ReportOp(StrEnum):
    """What a button on a weekly report's draft does (`rp:<report id>:<op>`)."""

    RULES_DONE = "rn"  # the rules that applied are all ticked: next question
    NO_EPISODE = "ep0"  # nothing to tell as an episode this week
    NO_PROBLEMS = "pr0"  # no problems this week
    FILES_DONE = "ad"  # no more files to attach
    REMOVE_FILES = "ax"  # remove the files attached so far
    SUBMIT = "sub"  # submit the draft (or the correction)
    DISCARD = "dis"  # discard the draft: asks first
    DISCARD_YES = "disy"  # yes, discard it
    KEEP = "keep"  # no, keep it
    FIX = "fix"  # correct a submitted report


class ScoreOp(StrEnum):
    """What a button on a mentor's assessment does (`sc:` or `ts:<assessment id>:<op>`), on a
    weekly report's or a topic report's alike; `value_op` gives a score."""

    START = "go"  # start (or go on) scoring
    NO_COMMENT = "nc"  # save without a comment
    SAVE = "ok"  # save the finished scores
    START_OVER = "re"  # clear every score given so far


class TopicOp(StrEnum):
    """What a button on a topic does (`tp:<topic id>:<op>`); `edit_op` edits a part."""

    PUBLISH = "pub"  # publish the draft
    DISCARD = "del"  # discard the draft
    ANNOUNCE = "ann"  # announce it in the linked groups
    APPLY = "app"  # a student applies
    REPORT = "rep"  # write the team's report for this cycle


class TopicReportOp(StrEnum):
    """What a button on a topic team's report does (`tr:<report id>:<op>`); `contributor_op`
    ticks a member who took part, `edit_op` edits a part."""

    CONTRIBUTORS_DONE = "cd"  # every member who took part is ticked
    SUBMIT = "sub"  # submit the report


class Answer(StrEnum):
    """A yes or no: `fg:<telegram id>:yes|no` (forget me), `ta:<application id>:y|n`."""

    YES = "yes"
    NO = "no"
    ACCEPT = "y"  # the application is accepted
    DECLINE = "n"  # the application is declined


_WEEK, _RULE, _SELF, _EDIT = "w-", "t-", "s-", "e-"


class SessionOp(StrEnum):
    """What a button about a course session does (`cs:<session id>:<op>`); `attendee_op`
    marks one attendee on the attendance sheet."""

    SHEET = "sh"  # the speaker or the lead's contact opens the attendance sheet
    CONFIRM = "ok"  # an attendee confirms they attended


_ATTENDEE = re.compile(r"^p(\d{1,12})$")


def attendee_op(person_id: int) -> str:
    """Mark this attendee (a person id) attended, or not, on the sheet."""
    return f"p{person_id}"


def attendee_of_op(op: str) -> int | None:
    found = _ATTENDEE.match(op)
    return int(found.group(1)) if found else None


class SurveyOp(StrEnum):
    """What a button on a contact's demand survey does (`sv:<answer id>:<op>`); `skill_op`
    ticks or unticks a skill."""

    DONE = "d"  # the skills are ticked: ask for other needs
    NO_NEED = "n"  # no other needs: the answer is complete


class ReviewOp(StrEnum):
    """What a button on a module's review does (`rv:<review id>:<op>`); `rating_op` gives a
    question its score."""

    NO_CHANGE = "n"  # nothing should change: the review is complete


_SKILL = re.compile(r"^k(\d{1,2})$")
_RATING = re.compile(r"^q(\d)-([1-5])$")


def skill_op(index: int) -> str:
    """Tick or untick the survey's skill at `index`: `kI`."""
    return f"k{index}"


def skill_of_op(op: str) -> int | None:
    found = _SKILL.match(op)
    return int(found.group(1)) if found else None


def rating_op(question: int, score: int) -> str:
    """Score 1-5 on the review's question at `question`: `qI-N`."""
    return f"q{question}-{score}"


def rating_of_op(op: str) -> tuple[int, int] | None:
    found = _RATING.match(op)
    return (int(found.group(1)), int(found.group(2))) if found else None


_SELF_SCORE = re.compile(r"^s-(tech_rd|cross_cultural|rule_adaptation)-([1-5])$")
_VALUE = re.compile(r"^v([0-2])-(\d{1,3})$")
_CONTRIBUTOR = re.compile(r"^c(\d{1,2})$")


def week_op(monday: dt.date) -> str:
    """Choose the week starting on `monday`: `w-YYYYMMDD`."""
    return _WEEK + monday.strftime("%Y%m%d")


def week_of_op(op: str) -> dt.date | None:
    """The week a `week_op` chose; None for any other op or a day that does not exist."""
    if not op.startswith(_WEEK):
        return None
    try:
        return dt.datetime.strptime(op[len(_WEEK) :], "%Y%m%d").date()
    except ValueError:
        return None


def rule_op(key: str) -> str:
    """Tick or untick one of the rules that applied this week: `t-KEY`."""
    return _RULE + key


def rule_of_op(op: str) -> str | None:
    return op[len(_RULE) :] if op.startswith(_RULE) else None


def self_score_op(dimension: str, value: int) -> str:
    """The student's own score of 1-5 on a dimension: `s-DIM-N`."""
    return f"{_SELF}{dimension}-{value}"


def self_score_of_op(op: str) -> tuple[str, int] | None:
    found = _SELF_SCORE.match(op)
    return (found.group(1), int(found.group(2))) if found else None


def edit_op(step: str) -> str:
    """Edit one part of a draft (a weekly report, a topic, a topic report): `e-STEP`."""
    return _EDIT + step


def edit_of_op(op: str) -> str | None:
    return op[len(_EDIT) :] if op.startswith(_EDIT) else None


def value_op(index: int, value: int) -> str:
    """A mentor's score `value` on the dimension at `index` (0-2): `vI-N`."""
    return f"v{index}-{value}"


def value_of_op(op: str) -> tuple[int, int] | None:
    """The (dimension index, score) of a `value_op`, unchecked against 100."""
    found = _VALUE.match(op)
    return (int(found.group(1)), int(found.group(2))) if found else None


def contributor_op(index: int) -> str:
    """Tick or untick the team member at `index` as having taken part: `cI`."""
    return f"c{index}"


def contributor_of_op(op: str) -> int | None:
    found = _CONTRIBUTOR.match(op)
    return int(found.group(1)) if found else None


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
    Action.SESSION: 2,
    Action.SURVEY: 2,
    Action.REVIEW: 2,
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
    # A session's reminder (private) or /courses' list: the attendee confirming, or the
    # speaker or lead party's contact marking; the service checks who may.
    Action.SESSION: Audience.ONE,
    # A demand survey or a module's review (private): the contact it was sent to; the
    # service checks the answer or the review is theirs.
    Action.SURVEY: Audience.ONE,
    Action.REVIEW: Audience.ONE,
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
