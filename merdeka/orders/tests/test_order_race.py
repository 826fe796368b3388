"""A flash sale: many buyers (and double taps) race for a product with little stock.

Real concurrent transactions on the test database (SQLite in WAL with BEGIN IMMEDIATE,
or PostgreSQL under READ COMMITTED): threads with their own connections, released
together by a barrier. Nothing may be oversold, duplicated or lost.
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from merdeka.catalog.models import StockLevel, StockMove
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.orders.models import Order, OrderLine
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = 5
BUYERS = 16


def test_a_flash_sale_never_oversells_duplicates_or_loses_an_order(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kue Kering Lebaran", stock=STOCK)
    barrier = threading.Barrier(BUYERS * 2)
    results: list[tuple[str, object]] = []
    lock = threading.Lock()

    def buyer(index: int, tap: int) -> None:
        # buyers 0 and 1 share a phone: on PostgreSQL two new identities meet
        phone = f"0812{7000_0000 + max(index, 1):08d}"
        key = f"flash-{index}"
        try:
            barrier.wait(timeout=30)
            order, _created = order_place(
                shop=ika_shop,
                lines=[LineRequest(variant.pk, 1)],
                buyer=Buyer(name=f"Pembeli {index}", phone=phone),
                idempotency_key=key,
                delivery_method="pickup",
                payment_method="qris",
                shipping_fee=Decimal(0),
            )
            outcome = ("ok", order.pk)
        except ServiceError as exc:
            outcome = ("short", str(exc))
        except Exception as exc:  # anything else is a failure of the test
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append((key, outcome))

    threads = [
        threading.Thread(target=buyer, args=(index, tap))
        for index in range(BUYERS)
        for tap in range(2)  # every buyer taps twice: same key, two requests
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    errors = [outcome for _key, outcome in results if outcome[0] == "error"]
    assert not errors, errors
    assert len(results) == BUYERS * 2
    with shop_scope(ika_shop):
        orders = list(Order.objects.filter(shop=ika_shop))
        level = StockLevel.objects.get(variant=variant)
        lines = OrderLine.objects.filter(order__in=orders)
        reserved_moves = sum(
            StockMove.objects.filter(variant=variant, reason="order").values_list(
                "reserved_change", flat=True
            )
        )
        customers = Customer.objects.count()
    # zero oversold
    assert level.reserved == STOCK and level.on_hand == STOCK
    assert len(orders) == STOCK
    assert sum(line.quantity for line in lines) == STOCK == reserved_moves
    # zero duplicates: one order per key, and both taps of a key got the same order
    assert len({order.idempotency_key for order in orders}) == len(orders)
    by_key: dict[str, set] = {}
    for key, outcome in results:
        if outcome[0] == "ok":
            by_key.setdefault(key, set()).add(outcome[1])
    assert all(len(ids) == 1 for ids in by_key.values())
    # ... and no tap of a buyer who got an order was told it was sold out
    told_short = {key for key, outcome in results if outcome[0] == "short"}
    assert not told_short & set(by_key)
    # zero lost: every order a buyer was told about exists, whole
    told = {next(iter(ids)) for ids in by_key.values()}
    assert told == {order.pk for order in orders}
    assert Counter(line.order_id for line in lines) == Counter(dict.fromkeys(told, 1))
    # the shortfalls were told why
    shortfalls = [outcome[1] for _key, outcome in results if outcome[0] == "short"]
    assert len(shortfalls) >= (BUYERS - STOCK)
    assert customers <= BUYERS
