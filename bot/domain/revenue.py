"""Revenue from an achievement (a patent, software, a product, a paper, a standard), split
between the parties and the students who made it.

The consortium's rules (defaults): research institute 40%, enterprise 30%, university 20%,
students 10%. When the students' participation rate in the project reaches the threshold
(50%), their share rises to 15%, and the 5 points are taken from the parties in proportion
to their shares. A kind of party that took no part in the achievement passes its share on
to the parties that did, in proportion to theirs. Each kind's share is divided equally among
its parties, the students' among the students.

Amounts are exact: fractions while computing, whole minor units of the currency at the end
(cents; yen have none), and the parts always add up to the revenue: each part is rounded
down, and the units left over go one each to the parts that lost the most in rounding
(ties: the larger share, then the recipient's name). Nothing here knows about Telegram or
the database.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from babel import Locale
from babel.numbers import get_currency_precision

STUDENTS = "students"


def known_currency(code: str) -> bool:
    """An ISO 4217 code Babel knows (its precision would silently default to 2 otherwise)."""
    return code.upper() in _currencies()


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(Locale("en").currencies)


@dataclass(frozen=True)
class SplitRules:
    """The shares in percent of each kind of party and of the students, and when the
    students' share rises."""

    parties: Mapping[str, Decimal] = field(
        default_factory=lambda: {
            "research": Decimal(40),
            "enterprise": Decimal(30),
            "university": Decimal(20),
        }
    )
    students: Decimal = Decimal(10)
    students_raised: Decimal = Decimal(15)
    threshold: Decimal = Decimal("0.5")  # participation rate, 0 to 1

    def __post_init__(self) -> None:
        total = sum(self.parties.values(), Decimal(0)) + self.students
        if total != 100:
            raise ValueError(f"the shares add up to {total}%, not 100%")
        if any(share < 0 for share in self.parties.values()) or self.students < 0:
            raise ValueError("a share is negative")
        if not self.students <= self.students_raised < 100:
            raise ValueError("the raised students' share must be between their share and 100%")
        if not 0 <= self.threshold <= 1:
            raise ValueError("the participation threshold is a rate from 0 to 1")


@dataclass(frozen=True)
class Split:
    """Who gets what: each recipient's share of the revenue (percent, exact) and amount."""

    currency: str
    percent: dict[str, Fraction]
    amounts: dict[str, Decimal]
    raised: bool  # the students' share was raised by their participation


def shares_by_kind(
    rules: SplitRules, participation: Fraction | Decimal | float, present: Sequence[str]
) -> dict[str, Fraction]:
    """Percent of the revenue per kind of party present, and for the students."""
    raised = Fraction(participation) >= Fraction(rules.threshold)
    students = Fraction(rules.students_raised if raised else rules.students)
    kinds = {kind: Fraction(rules.parties[kind]) for kind in present if kind in rules.parties}
    unknown = sorted(set(present) - set(rules.parties))
    if unknown:
        raise ValueError(f"no share for {', '.join(unknown)}")
    if not kinds:
        raise ValueError("no party took part")
    weights = sum(kinds.values())
    if weights == 0:
        raise ValueError("the parties that took part have no share")
    # What the parties keep after the students' share, in proportion to their shares among
    # those present: the students' raise is taken from each in proportion, and the share of
    # a kind that is absent goes to the others in proportion.
    parties_total = Fraction(100) - students
    shares = {kind: parties_total * share / weights for kind, share in kinds.items()}
    return {**shares, STUDENTS: students}


def allocate(amount: Decimal, weights: Mapping[str, Fraction], exponent: int) -> dict[str, Decimal]:
    """`amount` divided in proportion to `weights`, in whole units of 10**-exponent, adding
    up to `amount` exactly (largest remainder)."""
    unit = Decimal(1).scaleb(-exponent)
    units = amount / unit
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more decimals than the currency ({exponent})")
    total, weight = int(units), sum(weights.values())
    exact = {name: Fraction(total) * w / weight for name, w in weights.items()}
    parts = {name: math.floor(value) for name, value in exact.items()}
    left = total - sum(parts.values())
    order = sorted(weights, key=lambda n: (-(exact[n] - parts[n]), -weights[n], n))
    for name in order[:left]:
        parts[name] += 1
    return {name: (Decimal(parts[name]) * unit).quantize(unit) for name in weights}


def split_revenue(
    amount: Decimal,
    currency: str,
    parties: Mapping[str, str],
    students: Sequence[str],
    participation: Fraction | Decimal | float,
    rules: SplitRules | None = None,
) -> Split:
    """Split `amount` (in `currency`, an ISO 4217 code) between `parties` (name -> kind) and
    the `students` (names), whose participation rate in the project is `participation`."""
    if amount < 0:
        raise ValueError("revenue cannot be negative")
    if not students:
        raise ValueError("an achievement has at least one student")
    rules = rules or SplitRules()
    by_kind = shares_by_kind(rules, participation, sorted(set(parties.values())))
    weights: dict[str, Fraction] = {}
    for name, kind in parties.items():
        of_kind = sum(1 for k in parties.values() if k == kind)
        weights[name] = by_kind[kind] / of_kind
    for student in students:
        weights[student] = by_kind[STUDENTS] / len(students)
    if len(weights) != len(parties) + len(students):
        raise ValueError("a name is both a party and a student, or listed twice")
    exponent = get_currency_precision(currency)
    return Split(
        currency=currency,
        percent=weights,
        amounts=allocate(amount, weights, exponent),
        raised=by_kind[STUDENTS] > Fraction(rules.students),
    )
