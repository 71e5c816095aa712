"""The revenue split of an achievement, worked out by hand: both sides of the students'
threshold, rounding that needs care, currencies without cents, an absent kind of party,
and the parts adding up to the revenue to the cent whatever the amount."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from bot.domain.revenue import SplitRules, allocate, shares_by_kind, split_revenue

PARTIES = {"ai-lab": "research", "edtech": "enterprise", "nbu": "university"}


def test_below_the_threshold_the_default_shares() -> None:
    split = split_revenue(Decimal("10000.00"), "CNY", PARTIES, ["Chen Jie", "Li Na"], 0.49)
    assert split.amounts == {
        "ai-lab": Decimal("4000.00"),
        "edtech": Decimal("3000.00"),
        "nbu": Decimal("2000.00"),
        "Chen Jie": Decimal("500.00"),
        "Li Na": Decimal("500.00"),
    }
    assert not split.raised


def test_at_the_threshold_students_get_15_taken_in_proportion() -> None:
    shares = shares_by_kind(SplitRules(), Fraction(1, 2), ["research", "enterprise", "university"])
    # 5 points from 90: research gives 5*40/90, enterprise 5*30/90, university 5*20/90.
    assert shares == {
        "research": Fraction(340, 9),  # 37.777...%
        "enterprise": Fraction(85, 3),  # 28.333...%
        "university": Fraction(170, 9),  # 18.888...%
        "students": Fraction(15),
    }
    split = split_revenue(Decimal("10000.00"), "CNY", PARTIES, ["Chen Jie"], Decimal("0.5"))
    # Exact: 3777.777.., 2833.333.., 1888.888.., 1500. Rounded down the parts leave 0.02,
    # which go to the two that lost most: the university (.0088..) and research (.0077..).
    assert split.amounts == {
        "ai-lab": Decimal("3777.78"),
        "edtech": Decimal("2833.33"),
        "nbu": Decimal("1888.89"),
        "Chen Jie": Decimal("1500.00"),
    }
    assert split.raised and sum(split.amounts.values()) == Decimal("10000.00")


def test_a_cent_and_a_currency_without_cents() -> None:
    one_cent = split_revenue(Decimal("0.01"), "USD", PARTIES, ["Chen Jie"], 0.9)
    assert one_cent.amounts["ai-lab"] == Decimal("0.01")  # the largest share
    assert sum(one_cent.amounts.values()) == Decimal("0.01")
    yen = split_revenue(Decimal("1000"), "JPY", PARTIES, ["A", "B", "C"], 0.0)
    # Each student's 33.33 is rounded down to 33; the one yen left goes to the first name.
    assert yen.amounts == {
        "ai-lab": Decimal("400"),
        "edtech": Decimal("300"),
        "nbu": Decimal("200"),
        "A": Decimal("34"),
        "B": Decimal("33"),
        "C": Decimal("33"),
    }
    with pytest.raises(ValueError, match="more decimals"):
        split_revenue(Decimal("1000.5"), "JPY", PARTIES, ["A"], 0.0)


def test_an_absent_kind_and_two_parties_of_one_kind() -> None:
    no_enterprise = {"ai-lab": "research", "nbu": "university", "zju": "university"}
    split = split_revenue(Decimal("900.00"), "EUR", no_enterprise, ["S"], 0.2)
    # 90% for the parties: research 40/60 of it (60%), the universities 20/60 (30%), halved.
    assert split.amounts == {
        "ai-lab": Decimal("540.00"),
        "nbu": Decimal("135.00"),
        "zju": Decimal("135.00"),
        "S": Decimal("90.00"),
    }


def test_the_parts_always_add_up_to_the_revenue() -> None:
    for cents in range(1, 20_000, 337):
        amount = Decimal(cents).scaleb(-2)
        for participation in (0.1, 0.5, 0.99):
            split = split_revenue(amount, "CNY", PARTIES, ["A", "B", "C"], participation)
            assert sum(split.amounts.values()) == amount, (amount, participation)
            assert all(part >= 0 for part in split.amounts.values())


def test_rules_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="add up to 95%"):
        SplitRules(students=Decimal(5))
    with pytest.raises(ValueError, match="raised"):
        SplitRules(students_raised=Decimal(5))
    with pytest.raises(ValueError, match="negative"):
        split_revenue(Decimal("-1"), "CNY", PARTIES, ["A"], 0)
    with pytest.raises(ValueError, match="no share for government"):
        split_revenue(Decimal("1"), "CNY", {"gov": "government"}, ["A"], 0)
    with pytest.raises(ValueError, match="listed twice"):
        split_revenue(Decimal("1"), "CNY", PARTIES, ["A", "A"], 0)
    assert allocate(Decimal("0"), {"a": Fraction(1)}, 2) == {"a": Decimal("0.00")}
