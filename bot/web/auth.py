"""Who opened the Mini App: Telegram's launch data (`initData`), checked as Telegram documents
it ("Validating data received via the Mini App").

The secret key is HMAC-SHA256 of the bot token keyed with the constant "WebAppData"; the hash
is HMAC-SHA256 under that key of the data-check-string, every received field but `hash` as
`key=value`, sorted by key, joined by line feeds. Data older than the configured age is
refused (a link copied from a screen stays useful only that long). Pure functions: no aiohttp,
no database; `signed_init_data` builds such data for the demo's links and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 8192  # Telegram's init data is a few hundred bytes; anything longer is not it
FUTURE_SKEW = dt.timedelta(minutes=5)  # clocks differ; an auth_date further ahead is forged


class InitDataError(Exception):
    """Launch data that proves nothing: `reason` is missing, malformed, forged or expired
    (for the log; the caller is told only 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InitData:
    """The Telegram user the launch data vouches for."""

    user_id: int
    first_name: str
    language_code: str | None
    auth_date: dt.datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _parse(raw: str) -> dict[str, str]:
    if not raw:
        raise InitDataError("missing")
    if len(raw) > MAX_LENGTH:
        raise InitDataError("malformed")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: which one was signed?
        raise InitDataError("malformed")
    return fields


def check_init_data(raw: str, bot_token: str, now: dt.datetime, max_age: dt.timedelta) -> InitData:
    """The user of signed, recent launch data; InitDataError otherwise."""
    fields = _parse(raw)
    given = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise InitDataError("forged")
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataError("malformed") from None
    if now - auth_date > max_age or auth_date - now > FUTURE_SKEW:
        raise InitDataError("expired")
    language = user.get("language_code")
    return InitData(
        user_id,
        str(user.get("first_name") or ""),
        language if isinstance(language, str) else None,
        auth_date,
    )


def signed_init_data(
    bot_token: str,
    user: Mapping[str, object],
    auth_date: dt.datetime,
    **extra: str,
) -> str:
    """Launch data for this user as Telegram would sign it (the demo's links, the tests)."""
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "user": json.dumps(dict(user), separators=(",", ":"), ensure_ascii=False),
        **extra,
    }
    fields["hash"] = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode(fields)
