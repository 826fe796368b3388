"""Opening, ordering from, closing, cancelling and messaging a pre-order batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from merdeka.catalog.models import StockLevel
from merdeka.core.schedule import PERIODIC, tick
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import Order
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.preorders import selectors
from merdeka.preorders.models import PreorderBatch, PreorderEntry
from merdeka.preorders.services import (
    batch_cancel,
    batch_close,
    batch_message_buyers,
    preorders_close_due,
)
from merdeka.preorders.tests.conftest import buy, open_batch
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.tests.conftest import make_product

pytestmark = pytest.mark.usefixtures("english")


def reload(shop, batch):
    with shop_scope(shop):
        return PreorderBatch.objects.get(pk=batch.pk)


def test_a_buyer_orders_a_product_without_stock_from_the_batch_at_its_price(ika_shop, cake):
    product, variant = cake
    batch = open_batch(ika_shop, product, max_quantity=10, price=Decimal(60000))
    order = buy(ika_shop, variant, 3)
    assert order.subtotal == Decimal(180000)
    with shop_scope(ika_shop):
        line = order.lines.get()
        entry = PreorderEntry.objects.get()
        assert StockLevel.objects.get(variant=variant).reserved == 0  # stock untouched
    assert line.unit_price == Decimal(60000) and line.stock_location is None
    assert (entry.batch_id, entry.order_id, entry.quantity) == (batch.pk, order.pk, 3)
    assert reload(ika_shop, batch).reserved == 3
    totals = selectors.batch_totals(shop=ika_shop, batch=batch)
    assert (totals.units, totals.orders, totals.amount, totals.left) == (3, 1, 180000, 7)


def test_a_capped_batch_refuses_more_than_is_left_and_writes_nothing(ika_shop, cake):
    product, variant = cake
    batch = open_batch(ika_shop, product, max_quantity=4)
    buy(ika_shop, variant, 3, key="a")
    with pytest.raises(ServiceError, match="Only 1 left in PO Lebaran\\."):
        buy(ika_shop, variant, 2, key="b", phone="0813-1111-2222")
    with shop_scope(ika_shop):
        assert Order.objects.count() == 1 and PreorderEntry.objects.count() == 1
    assert reload(ika_shop, batch).reserved == 3


def test_outside_its_window_the_batch_does_not_sell(ika_shop, cake):
    product, variant = cake
    now = timezone.now()
    open_batch(ika_shop, product, opens_at=now + dt.timedelta(days=1),
               closes_at=now + dt.timedelta(days=2))  # fmt: skip
    # not open yet: the product is sold from stock, and there is none
    with pytest.raises(ServiceError, match="sold out"):
        buy(ika_shop, variant, 1)


def test_ordering_after_the_closing_time_is_refused_before_the_scheduler_ran(ika_shop, cake):
    product, variant = cake
    now = timezone.now()
    batch = open_batch(ika_shop, product, closes_at=now + dt.timedelta(minutes=5))
    policy_time = now + dt.timedelta(minutes=1)
    from merdeka.preorders.services import PreorderLinePolicy

    policy = PreorderLinePolicy({variant.pk: batch}, now + dt.timedelta(minutes=6))
    from merdeka.orders.services import Buyer, LineRequest, order_place

    with pytest.raises(ServiceError, match="has closed"):
        order_place(shop=ika_shop, lines=[LineRequest(variant.pk, 1)],
                    buyer=Buyer(name="Siti", phone="0812-2222-3333"), idempotency_key="late",
                    delivery_method="pickup", payment_method="qris", line_policy=policy)  # fmt: skip
    assert buy(ika_shop, variant, 1, now=policy_time).pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"closes_at": timezone.now() - dt.timedelta(days=3)}, "after the opening time"),
        (
            {
                "opens_at": timezone.now() - dt.timedelta(days=3),
                "closes_at": timezone.now() - dt.timedelta(days=1),
            },
            "already passed",
        ),
        ({"min_quantity": 10, "max_quantity": 5}, "more than the maximum"),
        ({"max_quantity": 0}, "between 1 and"),
        ({"min_quantity": -1}, "between 1 and"),
        ({"price": Decimal(0)}, "above 0"),
        ({"price": Decimal("10.5")}, "above 0"),
        ({"ships_on": dt.date(2020, 1, 1)}, "before the closing date"),
        ({"note": "x" * 1001}, "1000"),
    ],
)
def test_impossible_batches_are_refused(ika_shop, cake, kwargs, message):
    product, _variant = cake
    with pytest.raises(ServiceError, match=message):
        open_batch(ika_shop, product, **kwargs)
    with shop_scope(ika_shop):
        assert PreorderBatch.objects.count() == 0


def test_a_too_long_title_and_another_shops_product_are_refused(ika_shop, citra_shop, cake):
    product, _variant = cake
    from merdeka.preorders.services import batch_open

    now = timezone.now()
    with pytest.raises(ServiceError, match="120"):
        batch_open(shop=ika_shop, actor=None, product_id=product.pk, title="x" * 121,
                   opens_at=now, closes_at=now + dt.timedelta(days=1))  # fmt: skip
    theirs, [their_variant] = make_product(citra_shop, name="Keripik Citra", stock=1)
    with pytest.raises(ServiceError, match="from your catalog"):
        batch_open(shop=ika_shop, actor=None, product_id=theirs.pk, title="PO",
                   opens_at=now, closes_at=now + dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(ServiceError, match="variants of this product"):
        open_batch(ika_shop, product, variant_ids=[their_variant.pk])


def test_two_open_batches_cannot_sell_one_variant_at_once(ika_shop, cake):
    product, _variant = cake
    open_batch(ika_shop, product)
    with pytest.raises(ServiceError, match="already sells this product"):
        open_batch(ika_shop, product)


def test_batches_close_at_their_closing_time_from_the_scheduler(ika_shop, citra_shop, cake):
    assert "merdeka.preorders.services.preorders_close_due" in PERIODIC
    product, variant = cake
    now = timezone.now()
    due = open_batch(ika_shop, product, closes_at=now + dt.timedelta(hours=2))
    theirs, _ = make_product(citra_shop, name="Keripik Citra", stock=1)
    later = open_batch(citra_shop, theirs, closes_at=now + dt.timedelta(days=5))
    assert preorders_close_due(now=now + dt.timedelta(hours=1)) == []
    results = tick(now=now + dt.timedelta(hours=2))
    assert results["merdeka.preorders.services.preorders_close_due"] == [due.pk]
    closed = reload(ika_shop, due)
    assert closed.state == "closed" and closed.closed_by == "schedule"
    assert closed.closed_at == now + dt.timedelta(hours=2)
    assert reload(citra_shop, later).state == "open"
    assert preorders_close_due(now=now + dt.timedelta(hours=3)) == []  # once only
    with shop_scope(ika_shop):
        assert AuditEvent.objects.filter(action="preorder.closed").count() == 1
    # closed: the cake is no pre-order any more, and there is no stock of it
    with pytest.raises(ServiceError, match="sold out"):
        buy(ika_shop, variant, 1, now=now + dt.timedelta(minutes=1))


def test_the_seller_closes_by_hand_once(ika_shop, ika, cake):
    product, _variant = cake
    batch = open_batch(ika_shop, product)
    assert batch_close(shop=ika_shop, actor=ika, batch=batch)
    assert not batch_close(shop=ika_shop, actor=ika, batch=batch)
    assert reload(ika_shop, batch).closed_by == "seller"


def test_a_missed_minimum_is_shown_and_cancelling_returns_quota_and_stock(ika_shop, ika, cake):
    product, variant = cake
    _other, [cookie] = make_product(ika_shop, name="Nastar", stock=5)
    batch = open_batch(ika_shop, product, min_quantity=10, max_quantity=20)
    first = buy(ika_shop, variant, 2, key="a")
    from merdeka.orders.services import Buyer, LineRequest, order_place
    from merdeka.preorders.services import checkout_policy

    mixed, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 1), LineRequest(cookie.pk, 2)],
        buyer=Buyer(name="Budi", phone="0813-3333-4444"),
        idempotency_key="b",
        delivery_method="pickup",
        payment_method="qris",
        line_policy=checkout_policy(shop=ika_shop),
    )
    batch_close(shop=ika_shop, actor=ika, batch=batch)
    totals = selectors.batch_totals(shop=ika_shop, batch=batch)
    assert totals.units == 3 and not totals.minimum_reached
    assert batch_cancel(shop=ika_shop, actor=ika, batch=batch) == 2
    assert batch_cancel(shop=ika_shop, actor=ika, batch=reload(ika_shop, batch)) == 0
    with shop_scope(ika_shop):
        assert set(Order.objects.filter(pk__in=[first.pk, mixed.pk])
                   .values_list("status", flat=True)) == {"cancelled"}  # fmt: skip
        assert StockLevel.objects.get(variant=cookie).reserved == 0
    batch = reload(ika_shop, batch)
    assert batch.state == "cancelled" and batch.reserved == 0
    assert selectors.batch_totals(shop=ika_shop, batch=batch).units == 0


def test_every_buyer_gets_one_service_email_with_their_orders(
    ika_shop, ika, cake, smtp, django_capture_on_commit_callbacks
):
    product, variant = cake
    batch = open_batch(ika_shop, product, price=Decimal(50000))
    one = buy(ika_shop, variant, 1, key="a", email="siti@example.id")
    two = buy(ika_shop, variant, 2, key="b", email="siti@example.id")
    buy(ika_shop, variant, 1, key="c", name="Budi", phone="0813-3333-4444")  # no email
    with django_capture_on_commit_callbacks(execute=True):
        result = batch_message_buyers(
            shop=ika_shop,
            actor=ika,
            batch=batch,
            channel="email",
            subject="PO {toko}",
            body="Halo {nama}, pesanan {pesanan} ({total}) siap dikirim.",
        )
    assert result == {"sent": 2, "skipped": 0}
    assert smtp.recipients() == ["siti@example.id"]
    text = smtp.messages[0].get_content()
    assert f"Halo Siti Nurhaliza, pesanan {one.external_id}, {two.external_id}" in text
    assert "(Rp150.000)" in text
    with shop_scope(ika_shop):
        statuses = sorted(Delivery.objects.values_list("status", flat=True))
        assert AuditEvent.objects.filter(action="preorder.messaged").count() == 1
    assert statuses == sorted([DeliveryStatus.SENT, DeliveryStatus.SKIPPED_NO_CONTACT])


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "at most 1000"), ("x" * 1001, "at most 1000"), ("Halo {rahasia}", "Unknown")],
)
def test_a_bad_message_sends_nothing(ika_shop, ika, cake, body, message):
    product, variant = cake
    batch = open_batch(ika_shop, product)
    buy(ika_shop, variant, 1)
    with pytest.raises(ServiceError, match=message):
        batch_message_buyers(shop=ika_shop, actor=ika, batch=batch, channel="email", body=body)
    with shop_scope(ika_shop):
        assert Delivery.objects.count() == 0


def test_cancelling_a_pre_order_in_the_order_book_gives_its_units_back_once(ika_shop, ika, cake):
    from merdeka.orders.lifecycle import order_cancel

    product, variant = cake  # no stock at all: the units come from the batch's quota
    batch = open_batch(ika_shop, product, max_quantity=5)
    order = buy(ika_shop, variant, 3, key="po-cancel")
    assert reload(ika_shop, batch).reserved == 3
    outcome = order_cancel(shop=ika_shop, order_id=order.pk, reason="Pembeli batal", actor=ika)
    assert outcome.event.detail["stock_released"] == 0  # none came from stock
    assert reload(ika_shop, batch).reserved == 0
    # the same event delivered again gives nothing back a second time
    from merdeka.core.events import Event
    from merdeka.preorders.services import quota_release

    buy(ika_shop, variant, 2, key="po-other")
    with transaction.atomic():
        quota_release([Event("order.cancelled", ika_shop.pk, {"order_id": order.pk})])
    assert reload(ika_shop, batch).reserved == 2
    order_cancel(shop=ika_shop, order_id=order_id_of(ika_shop, "po-other"), reason="x", actor=ika)
    with pytest.raises(ServiceError):
        order_cancel(shop=ika_shop, order_id=order.pk, reason="Lagi", actor=ika)
    assert reload(ika_shop, batch).reserved == 0
    buy(ika_shop, variant, 5, key="po-after")  # the whole quota sells again
    assert reload(ika_shop, batch).reserved == 5


def order_id_of(shop, key):
    from merdeka.orders.services import order_by_idempotency_key

    return order_by_idempotency_key(shop, key).pk
