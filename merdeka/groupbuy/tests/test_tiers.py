from __future__ import annotations

from decimal import Decimal

import pytest

from merdeka.core.services import ServiceError
from merdeka.groupbuy.tiers import (
    Tier,
    price_at,
    tier_next,
    tiers_parse,
    tiers_text,
    tiers_validate,
)

TIERS = [Tier(1, Decimal(50000)), Tier(10, Decimal(45000)), Tier(30, Decimal(40000))]


@pytest.mark.parametrize(
    ("quantity", "price"),
    [(0, None), (1, 50000), (9, 50000), (10, 45000), (29, 45000), (30, 40000), (500, 40000)],
)
def test_the_price_is_that_of_the_highest_tier_reached(quantity, price):
    assert price_at(TIERS, quantity) == (Decimal(price) if price is not None else None)


def test_below_a_minimum_there_is_no_price_yet():
    tiers = [Tier(5, Decimal(30000)), Tier(20, Decimal(25000))]
    assert price_at(tiers, 4) is None
    assert price_at(tiers, 5) == Decimal(30000)
    assert tier_next(tiers, 0) == tiers[0]


@pytest.mark.parametrize(
    ("quantity", "following"), [(0, 1), (1, 10), (9, 10), (10, 30), (29, 30), (30, None)]
)
def test_the_next_tier_is_the_next_lower_price(quantity, following):
    found = tier_next(TIERS, quantity)
    assert (found.min_quantity if found else None) == following


def test_a_tier_of_the_same_price_is_not_a_next_step():
    tiers = [Tier(1, Decimal(50000)), Tier(5, Decimal(50000)), Tier(10, Decimal(45000))]
    assert tier_next(tiers, 2).min_quantity == 10


def test_tiers_are_read_in_the_ways_sellers_write_them():
    text = "1-9 = 50000\n10 - 29 = Rp45.000\n\n30+ : rp 40,000"
    assert tiers_parse(text) == TIERS
    assert tiers_parse(tiers_text(TIERS)) == TIERS
    assert tiers_text(TIERS) == "1-9 = 50000\n10-29 = 45000\n30+ = 40000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write at least one price tier"),
        ("sepuluh = 45000", "Line 1"),
        ("1 = 50000\n10 = abc", "Line 2"),
        ("1-9 = 50000\n12 = 45000", "must start at 10"),
        ("9-1 = 50000", "ends before it starts"),
        ("10 = 45000\n5 = 40000", "larger quantity"),
        ("1 = 45000\n10 = 50000", "cannot cost more"),
        ("1 = 0", "above 0"),
        ("0 = 5000", "between 1 and 100000"),
        ("\n".join(f"{n} = {1000 - n}" for n in range(1, 12)), "at most 10"),
    ],
)
def test_bad_tiers_are_refused_with_where_and_why(text, message, english):
    with pytest.raises(ServiceError, match=message):
        tiers_parse(text)


def test_prices_must_be_whole_rupiah_decimals(english):
    with pytest.raises(ServiceError, match="whole number"):
        tiers_validate([Tier(1, Decimal("45000.50"))])
    with pytest.raises(TypeError):
        tiers_validate([Tier(1, 45000.0)])


def test_equal_prices_are_allowed_but_equal_thresholds_are_not(english):
    tiers_validate([Tier(1, Decimal(5000)), Tier(5, Decimal(5000))])
    with pytest.raises(ServiceError, match="larger quantity"):
        tiers_validate([Tier(5, Decimal(5000)), Tier(5, Decimal(4000))])
