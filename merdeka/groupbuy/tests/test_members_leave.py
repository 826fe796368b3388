"""A member whose order is cancelled leaves the group: the count, the price reached and
the stock follow, once, whoever cancelled it (tiers: 1-9 Rp50.000, 10-29 Rp45.000,
30+ Rp40.000)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from merdeka.catalog.models import StockLevel
from merdeka.core.events import Event
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.groupbuy import services
from merdeka.groupbuy.models import GroupBuy, GroupMember, GroupStatus
from merdeka.groupbuy.tests.conftest import join
from merdeka.orders import lifecycle
from merdeka.orders.models import EventKind, Order, OrderEvent, Status
from merdeka.outreach.models import Delivery


def fresh(shop, obj):
    with shop_scope(shop):
        obj.refresh_from_db()
    return obj


def reserved(shop, variant) -> int:
    with shop_scope(shop):
        return StockLevel.objects.get(variant=variant).reserved


def test_a_cancelled_big_member_no_longer_lifts_the_others_to_the_30_price(
    ika_shop, ika, lapis, group
):
    big, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 30)
    small, _ = join(ika_shop, group, "Budi Santoso", "081300000002", 2)
    assert fresh(ika_shop, group).total_quantity == 32
    lifecycle.order_cancel(shop=ika_shop, order_id=big.order_id, reason="Pembeli batal", actor=ika)
    group = fresh(ika_shop, group)
    assert (group.total_quantity, group.member_count) == (2, 1)
    assert reserved(ika_shop, lapis) == 2
    services.group_close(shop=ika_shop, group_id=group.pk, reason="seller", actor=ika)
    group = fresh(ika_shop, group)
    assert group.status == GroupStatus.CLOSED and group.final_price == Decimal(50000)
    order = fresh(ika_shop, small.order)
    assert order.status == Status.AWAITING_PAYMENT
    assert order.total == Decimal(100000)  # 2 x 50.000, not 2 x 40.000
    assert fresh(ika_shop, big.order).status == Status.CANCELLED


def test_a_member_leaving_a_closed_group_reprices_those_who_have_not_paid(
    ika_shop, ika, lapis, group
):
    big, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 30)
    small, _ = join(ika_shop, group, "Budi Santoso", "081300000002", 2)
    paid, _ = join(ika_shop, group, "Citra Lestari", "081300000003", 1)
    services.group_close(shop=ika_shop, group_id=group.pk, reason="seller", actor=ika)
    assert fresh(ika_shop, small.order).total == Decimal(80000)  # 2 x 40.000
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=paid.order_id, method="transfer", actor=ika
    )
    with shop_scope(ika_shop):
        told_before = Delivery.objects.filter(customer_id=small.order.customer_id).count()
    lifecycle.order_cancel(shop=ika_shop, order_id=big.order_id, reason="Batal", actor=ika)
    group = fresh(ika_shop, group)
    assert (group.total_quantity, group.member_count) == (3, 2)
    assert group.final_price == Decimal(50000)
    assert fresh(ika_shop, small.order).total == Decimal(100000)
    assert fresh(ika_shop, paid.order).total == Decimal(40000)  # paid: billed as it was
    with shop_scope(ika_shop):
        told = Delivery.objects.filter(customer_id=small.order.customer_id).count()
    assert told == told_before + 1  # the new total is told to the one who still pays


def test_a_member_leaves_the_count_once_even_if_the_event_comes_twice(ika_shop, ika, group):
    member, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 12)
    join(ika_shop, group, "Budi Santoso", "081300000002", 3)
    lifecycle.order_cancel(shop=ika_shop, order_id=member.order_id, reason="Batal", actor=ika)
    with transaction.atomic():
        services.members_left(
            [Event("order.cancelled", ika_shop.pk, {"order_id": member.order_id})]
        )
    group = fresh(ika_shop, group)
    assert (group.total_quantity, group.member_count) == (3, 1)
    with shop_scope(ika_shop):
        assert GroupMember.objects.get(pk=member.pk).left_at is not None


def test_a_failed_group_cancels_through_the_lifecycle_with_history_and_stock(
    ika_shop, ika, lapis, offer
):
    services.offer_save(
        shop=ika_shop, actor=ika, variant=lapis, offer=offer, max_days=7,
        tiers=[services.Tier(5, Decimal(45000))],
    )  # fmt: skip
    group, _ = services.group_open(shop=ika_shop, offer=offer, days=2, key="k", actor=ika)
    member, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 2)
    assert reserved(ika_shop, lapis) == 2
    services.group_close(shop=ika_shop, group_id=group.pk, reason="deadline")
    group = fresh(ika_shop, group)
    assert group.status == GroupStatus.FAILED
    assert group.total_quantity == 2  # what it reached stays on record
    assert reserved(ika_shop, lapis) == 0
    with shop_scope(ika_shop):
        event = OrderEvent.objects.get(order_id=member.order_id, kind=EventKind.CANCELLED)
        assert Order.objects.get(pk=member.order_id).status == Status.CANCELLED
    assert event.detail["stock_released"] == 2
    assert event.delivery_id is not None  # the member was told, once
    with pytest.raises(ServiceError):
        lifecycle.order_cancel(shop=ika_shop, order_id=member.order_id, reason="lagi")
    assert reserved(ika_shop, lapis) == 0


def test_closing_asks_every_member_to_pay_through_the_lifecycle(ika_shop, ika, group):
    member, _ = join(ika_shop, group, "Ani Suryani", "081300000001", 10)
    services.group_close(shop=ika_shop, group_id=group.pk, reason="seller", actor=ika)
    with shop_scope(ika_shop):
        event = OrderEvent.objects.get(order_id=member.order_id, kind=EventKind.STATUS)
        assert GroupBuy.objects.get(pk=group.pk).final_price == Decimal(45000)
    assert (event.from_status, event.to_status) == (Status.NEW, Status.AWAITING_PAYMENT)
    assert event.delivery_id is not None
    with shop_scope(ika_shop):
        body = Delivery.objects.get(pk=event.delivery_id).body
    assert "Rp450.000" in body  # 10 x 45.000, in the group's own words
