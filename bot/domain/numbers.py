"""Numbers a person types or a button carries, parsed here only, with their bounds.

Python's `str.isdigit()` is true of `²` and `٣`, which `int()` then refuses or reads; an
integer has no size, which a database column has (a row id is a 32-bit INTEGER on
PostgreSQL, a Telegram id a 64-bit BIGINT). Each function takes the text as it came and
returns the value, or a `NotANumber` that says why not and which bounds hold, for the
caller to put in the person's language. Only ASCII digits count as digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

INT32_MAX = 2**31 - 1  # INTEGER columns: row ids, message ids, counts
INT64_MAX = 2**63 - 1  # BIGINT columns: Telegram ids
# Telegram's user ids have at most 52 significant bits; 15 digits cover every one.
TELEGRAM_ID_MAX = 10**15 - 1

_INT = re.compile(r"[0-9]{1,30}")
_DECIMAL = re.compile(r"([0-9]{1,30})(?:[.,]([0-9]{1,30}))?")


@dataclass(frozen=True)
class NotANumber:
    """Why a text is not the number asked for: `reason` is "not_number" (no number at all),
    "out_of_range" (a number outside `low`..`high`) or "decimals" (more than `places`)."""

    reason: str
    low: int | Decimal
    high: int | Decimal
    places: int = 0


def parse_int(text: str, low: int, high: int, *, prefix: str = "") -> int | NotANumber:
    """A whole number from `low` to `high` (ASCII digits, optionally after one `prefix`
    character such as the `#` of `#12`); surrounding spaces are ignored."""
    value = text.strip()
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :]
    if not _INT.fullmatch(value):
        return NotANumber("not_number", low, high)
    number = int(value)
    if not low <= number <= high:
        return NotANumber("out_of_range", low, high)
    return number


def parse_decimal(
    text: str, low: Decimal, high: Decimal, *, places: int = 2
) -> Decimal | NotANumber:
    """A decimal number from `low` to `high` with at most `places` decimals (`7.5`, `7,5`)."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        return NotANumber("not_number", low, high, places)
    decimals = match.group(2) or ""
    try:
        number = Decimal(f"{match.group(1)}.{decimals or 0}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return NotANumber("not_number", low, high, places)
    if len(decimals.rstrip("0")) > places:
        return NotANumber("decimals", low, high, places)
    if not low <= number <= high:
        return NotANumber("out_of_range", low, high, places)
    return number


def row_id(text: str) -> int | None:
    """The id of a row (`12` or `#12`), as an INTEGER column holds it; None when it is not
    one (no row has it, so "not found" is the right answer)."""
    found = parse_int(text, 1, INT32_MAX, prefix="#")
    return None if isinstance(found, NotANumber) else found


def telegram_id(text: str) -> int | None:
    """A person's Telegram id; None when the text is not one."""
    found = parse_int(text, 1, TELEGRAM_ID_MAX)
    return None if isinstance(found, NotANumber) else found
