"""Gross profit kept per day as entries post (``ProfitDay``): its rows always add up to
what the orders' entries moved on sales, discounts and cost of goods, whatever posted
them (the live path, the backfill, a restore), and the page reads them a page of
orders at a time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from merdeka.books.models import Account, JournalLine, ProfitDay
from merdeka.books.orders import order_postings_sync
from merdeka.books.posting import today
from merdeka.books.profit import (
    PROFIT_KEYS,
    cursor_read,
    part_of,
    profit_orders_page,
    shares,
)
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")


def profit_days_agree(shop) -> None:
    """Every (day, channel)'s gross-profit rows equal the sum over the journal of what
    the orders' entries moved: net sales (sales less discounts) and cost of goods."""
    with shop_scope(shop):
        keys = dict(Account.objects.filter(shop=shop, key__in=PROFIT_KEYS).values_list("pk", "key"))
        journal: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for date, channel, account_id, debit, credit in (
            JournalLine.objects.filter(
                shop=shop, account_id__in=list(keys), entry__order_id__isnull=False
            )
            .values_list("date", "entry__order__channel", "account_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("date", "entry__order__channel", "account_id", "d", "c")
        ):
            row = journal[(date, channel)]
            if keys[account_id] == "cost_of_goods":
                row[1] += debit - credit
            else:
                row[0] += credit - debit
        days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for date, channel, sales, cost in (
            ProfitDay.objects.filter(shop=shop)
            .values("date", "channel")
            .annotate(s=Sum("sales"), c=Sum("cost"))
            .values_list("date", "channel", "s", "c")
        ):
            days[(date, channel)] = [sales, cost]
    nonzero = {key: value for key, value in journal.items() if any(value)}
    assert {key: value for key, value in days.items() if any(value)} == nonzero


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8),
)
def test_shares_add_up_to_the_amount_exactly(amount, weights):
    found = shares(amount, weights)
    assert sum(found) == amount
    whole = sum(weights) or len(weights)
    for share, weight in zip(found, weights or [], strict=True):
        exact = amount * (weight if sum(weights) else 1) / whole
        assert abs(share - exact) < 1


def test_part_of_rounds_half_away_from_zero():
    assert (part_of(5, 1, 2), part_of(-5, 1, 2), part_of(7, 2, 3), part_of(1, 1, 0)) == (
        3,
        -3,
        5,
        0,
    )


def test_the_cursor_reads_back_or_is_nothing():
    assert cursor_read("2026-12-01.42") == (dt.date(2026, 12, 1), 42)
    assert cursor_read("x") is None
    assert cursor_read(None) is None
    assert cursor_read("2026-13-01.4") is None


def order(shop, actor, key, lines, discount=0):
    placed, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=q, name=name, unit_price=Decimal(p)) for name, q, p in lines],
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=shop, order_id=placed.pk, method="cash", actor=actor)
    lifecycle.order_complete(shop=shop, order_id=placed.pk, actor=actor)
    return placed


def test_an_order_shares_its_sales_over_its_lines_and_a_return_takes_them_back(ika_shop, ika):
    first = order(ika_shop, ika, "a", [("Nastar", 2, 33333), ("Bolu", 1, 10001)])
    order(ika_shop, ika, "b", [("Nastar", 1, 50000)])
    with shop_scope(ika_shop):
        rows = {
            r.name: (r.sales, r.units, r.units_without_cost, r.sales_without_cost)
            for r in ProfitDay.objects.filter(shop=ika_shop)
        }
    # nothing sold from the catalog: no known cost, all of it revenue without HPP
    assert rows == {
        "Nastar": (66666 + 50000, 3, 3, 116666),
        "Bolu": (10001, 1, 1, 10001),
    }
    profit_days_agree(ika_shop)
    with transaction.atomic():  # returned: what it posted is reversed
        order_postings_sync(shop=ika_shop, order_ids=[first.pk], status_as={first.pk: "returned"})
    with shop_scope(ika_shop):
        rows = {r.name: (r.sales, r.units) for r in ProfitDay.objects.filter(shop=ika_shop)}
    assert rows == {"Nastar": (50000, 1), "Bolu": (0, 0)}
    profit_days_agree(ika_shop)


def test_the_orders_page_goes_back_a_page_at_a_time(ika_shop, ika, ika_client):
    placed = [order(ika_shop, ika, f"o{n}", [("Nastar", 1, 1000 * (n + 1))]) for n in range(5)]
    day = today(ika_shop)
    seen, before = [], None
    while True:
        page, before = profit_orders_page(
            shop=ika_shop, date_from=day, date_to=day, before=before, size=2
        )
        seen += [row.order_id for row in page]
        if before is None:
            break
    assert seen == [o.pk for o in reversed(placed)]  # newest first, each once
    url = reverse("books_gross_profit")
    period = {"date_from": day.isoformat(), "date_to": day.isoformat()}
    html = ika_client.get(url, period).content.decode()
    assert "Rp15.000" in html  # 1.000 + 2.000 + ... + 5.000, sales without a cost
    assert 'data-testid="next-page"' not in html  # 5 orders: one page of 25
