"""Members racing to join a group on little stock, and joins racing the close.

Real concurrent transactions (threads with their own connections, released together),
on SQLite (WAL, BEGIN IMMEDIATE) and on PostgreSQL (READ COMMITTED)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from merdeka.catalog.models import StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.groupbuy import services
from merdeka.groupbuy.models import GroupBuy, GroupMember
from merdeka.groupbuy.tests.world import TIERS
from merdeka.orders.models import Order, OrderLine
from merdeka.orders.services import Buyer
from merdeka.storefront.services import storefront_ensure
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = 5
MEMBERS = 12


def _group(shop, stock):
    storefront_ensure(shop=shop)
    _product, [variant] = make_product(shop, name="Kue Kering Lebaran", stock=stock)
    offer = services.offer_save(shop=shop, actor=None, variant=variant, tiers=TIERS, max_days=3)
    group, _ = services.group_open(
        shop=shop, offer=offer, days=1, key="race", coordinator_name="Sari",
        coordinator_phone="081211112222",
    )  # fmt: skip
    return variant, group


def _run(workers):
    threads = [threading.Thread(target=w) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_racing_joins_on_little_stock_never_oversell_or_duplicate(ika_shop):
    variant, group = _group(ika_shop, STOCK)
    barrier = threading.Barrier(MEMBERS * 2)
    results: list[tuple[str, str, object]] = []
    lock = threading.Lock()

    def member(index: int):
        def work():
            key = f"join-{index}"
            try:
                barrier.wait(timeout=30)
                joined, _created = services.group_join(
                    shop=ika_shop,
                    group=GroupBuy.unscoped.get(pk=group.pk),
                    key=key,
                    join=services.JoinRequest(
                        buyer=Buyer(name=f"Anggota {index}", phone=f"0813{6000_0000 + index:08d}"),
                        quantity=1,
                        delivery_method="pickup",
                        payment_method="transfer",
                    ),
                )
                outcome = ("ok", joined.pk)
            except ServiceError as exc:
                outcome = ("refused", str(exc))
            except Exception as exc:  # anything else fails the test
                outcome = ("error", repr(exc))
            finally:
                connection.close()
            with lock:
                results.append((key, *outcome))

        return work

    _run([member(index) for index in range(MEMBERS) for _tap in range(2)])

    assert not [r for r in results if r[1] == "error"], results
    with shop_scope(ika_shop):
        level = StockLevel.objects.get(variant=variant)
        members = list(GroupMember.objects.all())
        orders = list(Order.objects.all())
        lines = list(OrderLine.objects.all())
        group.refresh_from_db()
    assert level.reserved == STOCK  # nothing oversold
    assert len(members) == len(orders) == len(lines) == STOCK
    assert group.total_quantity == STOCK == sum(m.quantity for m in members)
    assert group.member_count == STOCK
    by_key: dict[str, set] = {}
    for key, kind, value in results:
        if kind == "ok":
            by_key.setdefault(key, set()).add(value)
    assert all(len(ids) == 1 for ids in by_key.values())  # both taps, one membership
    assert {next(iter(ids)) for ids in by_key.values()} == {m.pk for m in members}


def test_joins_racing_the_close_all_end_at_the_final_price(ika_shop):
    variant, group = _group(ika_shop, 100)
    services.group_join(
        shop=ika_shop, group=group, key="first",
        join=services.JoinRequest(
            buyer=Buyer(name="Sari", phone="081211112222"), quantity=1,
            delivery_method="pickup", payment_method="transfer",
        ),
    )  # fmt: skip
    joiners = 8
    barrier = threading.Barrier(joiners + 1)
    errors: list[str] = []

    def member(index: int):
        def work():
            try:
                barrier.wait(timeout=30)
                services.group_join(
                    shop=ika_shop,
                    group=GroupBuy.unscoped.get(pk=group.pk),
                    key=f"late-{index}",
                    join=services.JoinRequest(
                        buyer=Buyer(name=f"Anggota {index}", phone=f"0813{7000_0000 + index:08d}"),
                        quantity=2,
                        delivery_method="pickup",
                        payment_method="transfer",
                    ),
                )
            except ServiceError:
                pass  # closed first: refused, nothing written
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                connection.close()

        return work

    def closer():
        try:
            barrier.wait(timeout=30)
            services.group_close(shop=ika_shop, group_id=group.pk, reason="coordinator")
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    _run([member(i) for i in range(joiners)] + [closer])

    assert not errors, errors
    with shop_scope(ika_shop):
        group.refresh_from_db()
        members = list(GroupMember.objects.select_related("order"))
        level = StockLevel.objects.get(variant=variant)
        prices = set(OrderLine.objects.values_list("unit_price", flat=True))
    assert group.status == "closed"
    assert group.total_quantity == sum(m.quantity for m in members) == level.reserved
    expected = Decimal(45000) if group.total_quantity >= 10 else Decimal(50000)
    assert group.final_price == expected
    # every member who got in was in the close: asked to pay the final price
    assert {m.order.status for m in members} <= {"awaiting_payment"}
    assert prices <= {expected}
    assert all(m.order.total == expected * m.quantity for m in members)
