"""Invite tokens and the rules for using them (no I/O)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.kinds import Role

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_USES = 500
MAX_DAYS = 90


def new_token() -> str:
    """A 24-character URL-safe token: fits Telegram's 64-character deep-link payload."""
    return secrets.token_urlsafe(18)


def hash_token(token: str) -> str:
    """Only this hash is stored, so a leaked database holds no usable invite."""
    return hashlib.sha256(token.encode()).hexdigest()


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


class InviteState(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    ALREADY_USED = "already_used"


@dataclass(frozen=True)
class InviteFacts:
    expires_at: dt.datetime
    uses: int
    max_uses: int
    revoked: bool
    used_by_this_person: bool


def check_invite(facts: InviteFacts | None, now: dt.datetime) -> InviteState:
    """Whether an invite may be used now by this person."""
    if facts is None:
        return InviteState.UNKNOWN
    if facts.revoked:
        return InviteState.REVOKED
    if facts.used_by_this_person:
        return InviteState.ALREADY_USED
    if now >= facts.expires_at:
        return InviteState.EXPIRED
    if facts.uses >= facts.max_uses:
        return InviteState.USED_UP
    return InviteState.OK


@dataclass(frozen=True)
class InviteRequest:
    party_key: str
    role: Role
    uses: int
    days: int


class InviteArgsError(StrEnum):
    USAGE = "usage"
    ROLE = "role"
    USES = "uses"
    DAYS = "days"


def parse_invite_args(
    args: list[str], default_days: int
) -> InviteRequest | tuple[InviteArgsError, str]:
    """`PARTY ROLE [COUNT] [DAYSd]`, e.g. `nbu student 30 14d`."""
    if len(args) < 2 or len(args) > 4:
        return InviteArgsError.USAGE, ""
    party_key, role_text, *rest = args
    try:
        role = Role(role_text.lower())
    except ValueError:
        return InviteArgsError.ROLE, role_text
    uses, days = 1, default_days
    for word in rest:
        if re.fullmatch(r"\d{1,4}", word):
            uses = int(word)
            if not 1 <= uses <= MAX_USES:
                return InviteArgsError.USES, word
        elif re.fullmatch(r"\d{1,3}d", word, flags=re.IGNORECASE):
            days = int(word[:-1])
            if not 1 <= days <= MAX_DAYS:
                return InviteArgsError.DAYS, word
        else:
            return InviteArgsError.USAGE, word
    return InviteRequest(party_key=party_key.lower(), role=role, uses=uses, days=days)
