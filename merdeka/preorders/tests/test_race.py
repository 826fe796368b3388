"""Many buyers race for the last units of a capped pre-order batch.

Real concurrent transactions on the test database (SQLite in WAL with BEGIN
IMMEDIATE, or PostgreSQL under READ COMMITTED), threads with their own connections
released together by a barrier: the batch is never oversold and nobody is lost.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import Order
from merdeka.preorders.models import PreorderBatch, PreorderEntry
from merdeka.preorders.tests.conftest import buy, open_batch
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.django_db(transaction=True)

CAP = 7
BUYERS = 12


def test_a_capped_batch_is_never_oversold_by_racing_buyers(ika_shop):
    product, [variant] = make_product(ika_shop, name="Kue Kering PO", stock=0)
    batch = open_batch(ika_shop, product, max_quantity=CAP)
    barrier = threading.Barrier(BUYERS)
    results: list[tuple[int, str, object]] = []
    lock = threading.Lock()

    def buyer(index: int) -> None:
        quantity = 1 + index % 2  # some want two
        try:
            barrier.wait(timeout=30)
            order = buy(ika_shop, variant, quantity, key=f"race-{index}",
                        phone=f"0812{8000_0000 + index:08d}", name=f"Pembeli {index}")  # fmt: skip
            outcome = ("ok", order.pk)
        except ServiceError as exc:
            outcome = ("short", str(exc))
        except Exception as exc:  # anything else fails the test
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append((quantity, *outcome))

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    errors = [r for r in results if r[1] == "error"]
    assert not errors, errors
    assert len(results) == BUYERS
    with shop_scope(ika_shop):
        reserved = PreorderBatch.objects.get(pk=batch.pk).reserved
        entries = list(PreorderEntry.objects.values_list("order_id", "quantity"))
        orders = set(Order.objects.values_list("pk", flat=True))
    won = [(quantity, pk) for quantity, kind, pk in results if kind == "ok"]
    assert reserved == sum(q for q, _pk in won) == sum(q for _o, q in entries)
    assert reserved <= CAP
    assert reserved >= CAP - 1  # the batch filled up (one may be left for a buyer of two)
    assert {pk for _q, pk in won} == orders == {o for o, _q in entries}
    # the ones too late were told what is left of the batch (in any language)
    assert all("PO Lebaran" in r[2] for r in results if r[1] == "short")
