"""Domain rules with no I/O: invites, permissions, language, callback data."""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.access import COMMANDS, COMMANDS_BY_NAME, visible_commands
from bot.domain.invites import (
    TOKEN_RE,
    InviteArgsError,
    InviteFacts,
    InviteRequest,
    InviteState,
    check_invite,
    deep_link,
    hash_token,
    new_token,
    parse_invite_args,
)
from bot.i18n import resolve_language
from bot.telegram import callbacks
from db.models import Role

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


def facts(**changes: object) -> InviteFacts:
    base = {
        "expires_at": NOW + dt.timedelta(days=7),
        "uses": 0,
        "max_uses": 1,
        "revoked": False,
        "used_by_this_person": False,
    }
    return InviteFacts(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("invite", "state"),
    [
        (None, InviteState.UNKNOWN),
        (facts(), InviteState.OK),
        (facts(revoked=True), InviteState.REVOKED),
        (facts(used_by_this_person=True, uses=1), InviteState.ALREADY_USED),
        (facts(expires_at=NOW), InviteState.EXPIRED),
        (facts(expires_at=NOW - dt.timedelta(seconds=1)), InviteState.EXPIRED),
        (facts(uses=1), InviteState.USED_UP),
        (facts(uses=29, max_uses=30), InviteState.OK),
    ],
)
def test_check_invite(invite: InviteFacts | None, state: InviteState) -> None:
    assert check_invite(invite, NOW) is state


def test_tokens_fit_a_deep_link_and_only_hashes_are_kept() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert TOKEN_RE.match(token) and len(token) <= 64
    token = next(iter(tokens))
    assert hash_token(token) != token and len(hash_token(token)) == 64
    assert deep_link("synergy_bot", token) == f"https://t.me/synergy_bot?start={token}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nbu", "student"], InviteRequest("nbu", Role.STUDENT, 1, 7)),
        (["NBU", "Mentor", "30"], InviteRequest("nbu", Role.MENTOR, 30, 7)),
        (["nbu", "contact", "14d"], InviteRequest("nbu", Role.CONTACT, 1, 14)),
        (["nbu", "student", "14d", "30"], InviteRequest("nbu", Role.STUDENT, 30, 14)),
        ([], (InviteArgsError.USAGE, "")),
        (["nbu"], (InviteArgsError.USAGE, "")),
        (["nbu", "dean"], (InviteArgsError.ROLE, "dean")),
        (["nbu", "student", "0"], (InviteArgsError.USES, "0")),
        (["nbu", "student", "501"], (InviteArgsError.USES, "501")),
        (["nbu", "student", "91d"], (InviteArgsError.DAYS, "91d")),
        (["nbu", "student", "soon"], (InviteArgsError.USAGE, "soon")),
        (["nbu", "student", "1", "2d", "x"], (InviteArgsError.USAGE, "")),
    ],
)
def test_parse_invite_args(args: list[str], expected: object) -> None:
    assert parse_invite_args(args, default_days=7) == expected


@pytest.mark.parametrize(
    ("person", "telegram", "consortium", "expected"),
    [
        ("zh", "en", "en", "zh"),
        (None, "zh-hans", "en", "zh"),
        (None, "en-GB", "zh", "en"),
        (None, "fr", "zh", "zh"),
        (None, None, None, "en"),
        ("xx", None, "zh", "zh"),
    ],
)
def test_resolve_language(
    person: str | None, telegram: str | None, consortium: str | None, expected: str
) -> None:
    assert resolve_language(person, telegram, consortium) == expected


def test_visible_commands_follow_roles_and_chat_type() -> None:
    def names(roles: set[Role], chat: str, member: bool = True) -> set[str]:
        return {spec.name for spec in visible_commands(roles, chat, member)}

    assert names(set(), "private", member=False) == {"start"}
    student = names({Role.STUDENT}, "private")
    assert "invite" not in student and {"help", "whoami", "lang", "mydata", "forget"} <= student
    assert "invite" in names({Role.COORDINATOR}, "private")
    assert {"link", "unlink"} <= names({Role.COORDINATOR}, "supergroup")
    assert not {"link", "mydata"} & names({Role.STUDENT}, "group")


def test_every_registered_command_has_a_handler() -> None:
    """Each command of the registry is wired to a handler with that name, and vice versa."""
    wired: set[str] = set()
    for path in (ROOT / "handlers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "command"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                wired.add(node.args[0].value)
    assert wired == set(COMMANDS_BY_NAME) == {spec.name for spec in COMMANDS}


def test_callback_codec_round_trip_and_strictness() -> None:
    data = callbacks.encode(callbacks.Action.FORGET, 1002, "yes")
    assert data == "fg:1002:yes"
    assert callbacks.decode(data) == callbacks.Callback(callbacks.Action.FORGET, ("1002", "yes"))
    for forged in ("", "zz:1", "fg:1002", "fg:1002:yes:extra", "lg:<b>", "x" * 65, None, 42):
        assert callbacks.decode(forged) is None
    with pytest.raises(ValueError):
        callbacks.encode(callbacks.Action.LANGUAGE, "a" * 40)
    with pytest.raises(ValueError):
        callbacks.encode(callbacks.Action.LANGUAGE, "en", "zh")


def test_a_press_is_checked_against_its_message() -> None:
    lang, ask = "lg:zh", "ap:1:2001"
    on_chat = callbacks.Press(lang, frozenset({lang, "lg:en"}), True, 2001, 2001, None)
    assert callbacks.refusal(on_chat) is None
    stale, not_yours = callbacks.Refusal.STALE, callbacks.Refusal.NOT_YOURS
    assert callbacks.refusal(replace(on_chat, buttons=frozenset())) is stale  # not on it
    assert callbacks.refusal(replace(on_chat, buttons=None)) is stale  # no message
    assert callbacks.refusal(replace(on_chat, data="zz:1")) is stale  # unreadable
    assert callbacks.refusal(replace(on_chat, presser=1002)) is not_yours  # not their chat
    in_group = callbacks.Press(ask, frozenset({ask}), False, -100, 2001, 2001)
    assert callbacks.refusal(in_group) is None
    assert callbacks.refusal(replace(in_group, presser=1002)) is not_yours  # shown to 2001
    assert callbacks.refusal(replace(in_group, shown_to=None)) is not_yours  # to nobody known
    apply = "tp:1:app"  # a topic's Apply, announced to a whole group
    anyone = callbacks.Press(apply, frozenset({apply}), False, -100, 1002, None)
    assert callbacks.refusal(anyone) is None
    assert set(callbacks.PRESSED_BY) == set(callbacks.Action)


def test_domain_never_imports_telegram() -> None:
    for path in (ROOT / "bot" / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        assert not any(name.split(".")[0] == "telegram" for name in imported), path
