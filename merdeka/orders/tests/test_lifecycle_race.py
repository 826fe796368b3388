"""Double taps and two staff members at once: real concurrent transactions (threads with
their own connections, released together by a barrier) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from merdeka.catalog.models import StockLevel, StockMove
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle
from merdeka.orders.models import OrderEvent, Payment, Shipment
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.django_db(transaction=True)

TAPS = 6


def race(action) -> list[tuple[str, str]]:
    barrier = threading.Barrier(TAPS)
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def tap(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            action(index)
            outcome = ("ok", "")
        except ServiceError as exc:
            outcome = ("refused", str(exc))
        except Exception as exc:  # anything else fails the test
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(TAPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == TAPS
    assert not [r for r in results if r[0] == "error"], results
    return results


@pytest.fixture
def order(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kue Nastar", stock=10)
    placed, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 4)],
        buyer=Buyer(name="Dewi", phone="0857-5555-6666"),
        idempotency_key="race-1",
        delivery_method="courier",
        payment_method="transfer",
        shipping_fee=Decimal(0),
    )
    return placed, variant


def test_cancel_tapped_many_times_at_once_releases_the_stock_once(ika_shop, order):
    placed, variant = order
    results = race(
        lambda i: lifecycle.order_cancel(shop=ika_shop, order_id=placed.pk, reason=f"tap {i}")
    )
    assert [r[0] for r in results].count("ok") == 1
    with shop_scope(ika_shop):
        stock = StockLevel.objects.get(variant=variant)
        assert (stock.on_hand, stock.reserved) == (10, 0)
        assert StockMove.objects.filter(order=placed, reason="order_cancelled").count() == 1
        assert OrderEvent.objects.filter(order=placed, kind="cancelled").count() == 1


def test_payment_and_shipping_tapped_at_once_apply_once(ika_shop, order):
    placed, variant = order
    results = race(
        lambda i: lifecycle.order_payment_record(
            shop=ika_shop, order_id=placed.pk, method="transfer", reference=f"tap {i}"
        )
    )
    assert [r[0] for r in results].count("ok") == 1
    results = race(
        lambda i: lifecycle.order_ship(
            shop=ika_shop, order_id=placed.pk, courier="jne", tracking=f"JP000{i}"
        )
    )
    assert [r[0] for r in results].count("ok") == 1
    with shop_scope(ika_shop):
        assert Payment.objects.filter(order=placed).count() == 1
        assert Shipment.objects.filter(order=placed).count() == 1
        stock = StockLevel.objects.get(variant=variant)
        assert (stock.on_hand, stock.reserved) == (6, 0)


def test_cancel_and_ship_at_once_leave_one_consistent_outcome(ika_shop, order):
    placed, variant = order
    lifecycle.order_payment_record(shop=ika_shop, order_id=placed.pk, method="qris")

    def either(i):
        if i % 2:
            lifecycle.order_cancel(shop=ika_shop, order_id=placed.pk, reason="batal")
        else:
            lifecycle.order_ship(shop=ika_shop, order_id=placed.pk, courier="pos", tracking="P0001")

    results = race(either)
    assert [r[0] for r in results].count("ok") == 1
    with shop_scope(ika_shop):
        placed.refresh_from_db()
        stock = StockLevel.objects.get(variant=variant)
    if placed.status == "shipped":
        assert (stock.on_hand, stock.reserved) == (6, 0)
    else:
        assert placed.status == "cancelled" and (stock.on_hand, stock.reserved) == (10, 0)


def test_return_tapped_many_times_at_once_brings_the_stock_back_once(ika_shop, order):
    placed, variant = order
    lifecycle.order_payment_record(shop=ika_shop, order_id=placed.pk, method="qris")
    lifecycle.order_ship(shop=ika_shop, order_id=placed.pk, courier="jne", tracking="JP0001")

    def either(i):
        if i % 3 == 0:  # another member completes it meanwhile: a return may follow
            lifecycle.order_complete(shop=ika_shop, order_id=placed.pk)
        else:
            lifecycle.order_return(
                shop=ika_shop, order_id=placed.pk, reason=f"tap {i}", restock=True
            )

    race(either)
    with shop_scope(ika_shop):
        placed.refresh_from_db()
        stock = StockLevel.objects.get(variant=variant)
        assert placed.status == "returned"
        assert (stock.on_hand, stock.reserved) == (10, 0)
        assert StockMove.objects.filter(order=placed, reason="order_returned").count() == 1
        assert OrderEvent.objects.filter(order=placed, kind="returned").count() == 1
