"""The Mini App's launch data check against data signed here by hand, as Telegram documents
it: secret = HMAC-SHA256(key="WebAppData", msg=token); hash = HMAC-SHA256(secret, the sorted
"key=value" lines but hash, joined by line feeds). Also Telegram's own example shape (a
`signature` field and URL-encoded JSON), and the per-person limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import quote, unquote_plus

import pytest

from bot.web.auth import InitDataError, check_init_data, signed_init_data
from bot.web.limit import PerPersonLimit

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWxyz0123456789"
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


def by_hand(pairs: list[tuple[str, str]], token: str = TOKEN) -> str:
    """initData as a client sends it: URL-encoded pairs, the hash computed over the decoded
    values sorted by key."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(pairs))
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in [*pairs, ("hash", digest)])


USER = '{"id":279058397,"first_name":"Vladislav","last_name":"Kibenko","username":"vdkfrost","language_code":"ru","is_premium":true,"allows_write_to_pm":true}'  # noqa: E501


def pairs(auth_date: dt.datetime = NOW - dt.timedelta(minutes=5)) -> list[tuple[str, str]]:
    return [
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
        ("user", USER),
        ("auth_date", str(int(auth_date.timestamp()))),
        ("signature", "6fbdaab833d39f54518bd5c3eb3f511d035e68cb"),
    ]


def test_data_signed_for_this_bot_names_its_user() -> None:
    found = check_init_data(by_hand(pairs()), TOKEN, NOW, DAY)
    assert (found.user_id, found.first_name, found.language_code) == (
        279058397,
        "Vladislav",
        "ru",
    )
    assert found.auth_date == NOW - dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        (by_hand(pairs(), token="654321:ABCdefGhIJKlmnoPQRstuVWxyz0123456789"), "forged"),
        (by_hand(pairs()).replace("Vladislav", "Vladimir"), "forged"),
        (by_hand(pairs()).rsplit("&hash=", 1)[0], "forged"),
        (by_hand(pairs()) + "&user=%7B%7D", "malformed"),
        (by_hand(pairs(NOW - dt.timedelta(hours=24, seconds=1))), "expired"),
        (by_hand(pairs(NOW + dt.timedelta(minutes=6))), "expired"),
        (by_hand([("auth_date", "1"), ("user", "not json")]), "malformed"),
        ("x" * 9000, "malformed"),
    ],
)
def test_anything_else_is_refused(raw: str, reason: str) -> None:
    with pytest.raises(InitDataError) as refused:
        check_init_data(raw, TOKEN, NOW, DAY)
    assert refused.value.reason == reason


def test_the_age_is_a_setting() -> None:
    old = by_hand(pairs(NOW - dt.timedelta(hours=2)))
    assert check_init_data(old, TOKEN, NOW, dt.timedelta(hours=3)).user_id == 279058397
    with pytest.raises(InitDataError):
        check_init_data(old, TOKEN, NOW, dt.timedelta(hours=1))


def test_the_demo_signer_agrees_with_the_hand_made_hash() -> None:
    user = {"id": 2001, "first_name": "Chen Jie", "language_code": "zh"}
    raw = signed_init_data(TOKEN, user, NOW)
    assert check_init_data(raw, TOKEN, NOW, DAY).user_id == 2001
    fields = dict(p.split("=", 1) for p in raw.split("&"))
    decoded = [(k, unquote_plus(v)) for k, v in fields.items() if k != "hash"]
    assert by_hand(decoded).rsplit("hash=", 1)[1] == fields["hash"]


def test_each_person_has_a_window_of_calls() -> None:
    limit = PerPersonLimit(2, window=60)
    assert [limit.retry_after(1, now=t) for t in (0.0, 1.0, 2.0)] == [0.0, 0.0, 58.0]
    assert limit.retry_after(2, now=2.0) == 0.0  # someone else
    assert limit.retry_after(1, now=60.5) == 0.0  # the first call left the window
