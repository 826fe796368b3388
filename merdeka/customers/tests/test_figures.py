"""A buyer's figures on her customer page (orders, spend, first and last order) follow
her orders in every channel: placed, paid, cancelled, merged. The order lifecycle
announces each change; the customer list reacts through the outbox."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, CustomerStats
from merdeka.customers.resolution import customer_merge
from merdeka.customers.workspace import customers_regrouped
from merdeka.groupbuy import services as groupbuy
from merdeka.groupbuy.tests.world import TIERS
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, Status
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.preorders.services import batch_open, checkout_policy
from merdeka.storefront.tests.conftest import (  # noqa: F401 - fixtures
    _fresh_page_cache,
    make_product,
    qris_static,
    storefront,
)

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")


def figures(shop, phone_holder="Sari Dewi Lestari") -> tuple[int, Decimal]:
    with shop_scope(shop):
        customer = next(
            c for c in Customer.objects.filter(merged_into__isnull=True) if c.name == phone_holder
        )
        row = CustomerStats.objects.get(customer=customer)
    return row.order_count, Decimal(row.total_spend)


def drained(action):
    """Do ``action``, then deliver the outbox as the drain queued after commit would
    (a test's transaction never commits)."""
    from merdeka.core.events import outbox_drain

    result = action()
    outbox_drain()
    return result


@pytest.fixture
def nastar(ika_shop, storefront):  # noqa: F811
    _product, [variant] = make_product(ika_shop, name="Nastar Keju", stock=50)
    return variant


def test_a_storefront_buyer_who_paid_shows_her_order_and_spend(ika_shop, ika, nastar):
    order, _ = drained(
        lambda: order_place(
            shop=ika_shop,
            lines=[LineRequest(nastar.pk, 2)],
            buyer=SARI,
            idempotency_key="sf-1",
            delivery_method="pickup",
            payment_method="qris",
        )
    )
    assert figures(ika_shop) == (1, Decimal(170000))
    drained(
        lambda: lifecycle.order_payment_record(
            shop=ika_shop, order_id=order.pk, method="qris", actor=ika
        )
    )
    assert figures(ika_shop) == (1, Decimal(170000))
    drained(
        lambda: lifecycle.order_cancel(
            shop=ika_shop, order_id=order.pk, reason="Stok habis", actor=ika
        )
    )
    assert figures(ika_shop) == (0, Decimal(0))


def test_a_manual_order_counts_for_its_buyer_until_it_is_cancelled(ika_shop, ika):
    def place(key, price):
        return manual_order_create(
            shop=ika_shop,
            actor=ika,
            buyer=SARI,
            lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price))],
            idempotency_key=key,
            delivery_method="pickup",
            payment_method="transfer",
        )[0]

    first = drained(lambda: place("m-1", 45000))
    drained(lambda: place("m-2", 30000))
    assert figures(ika_shop) == (2, Decimal(75000))
    drained(lambda: lifecycle.order_cancel(shop=ika_shop, order_id=first.pk, reason="Batal"))
    assert figures(ika_shop) == (1, Decimal(30000))


def test_a_pre_order_counts_when_placed_and_leaves_when_its_batch_is_cancelled(
    ika_shop,
    ika,
    storefront,  # noqa: F811
):
    from merdeka.preorders.services import batch_cancel

    product, [variant] = make_product(ika_shop, name="Bolu Pandan", stock=0)
    now = dt.datetime.now(dt.UTC)
    batch = batch_open(
        shop=ika_shop, actor=None, product_id=product.pk, title="PO Lebaran",
        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=2),
    )  # fmt: skip
    drained(
        lambda: order_place(
            shop=ika_shop,
            lines=[LineRequest(variant.pk, 3)],
            buyer=SARI,
            idempotency_key="po-1",
            delivery_method="pickup",
            payment_method="qris",
            line_policy=checkout_policy(shop=ika_shop),
        )
    )
    assert figures(ika_shop) == (1, Decimal(255000))
    assert drained(lambda: batch_cancel(shop=ika_shop, actor=ika, batch=batch)) == 1
    assert figures(ika_shop) == (0, Decimal(0))


def test_a_group_buy_member_shows_the_price_the_group_reached(ika_shop, ika, nastar):
    from merdeka.groupbuy.tests.conftest import join

    offer = groupbuy.offer_save(shop=ika_shop, actor=ika, variant=nastar, tiers=TIERS, max_days=7)
    group, _ = groupbuy.group_open(shop=ika_shop, offer=offer, days=3, key="g", actor=ika)
    drained(lambda: join(ika_shop, group, "Sari Dewi Lestari", "0812-7777-8888", 10))
    assert figures(ika_shop) == (1, Decimal(450000))  # 10 x 45.000 reached with her in it
    drained(lambda: join(ika_shop, group, "Budi Santoso", "0813-1111-2222", 20))
    drained(lambda: groupbuy.group_close(shop=ika_shop, group_id=group.pk, reason="seller"))
    assert figures(ika_shop) == (1, Decimal(400000))  # 30 pieces: 40.000 each


def shopee_csv(path, status: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Order ID", "Order Status", "Order Creation Date", "Product Name", "Quantity",
             "Deal Price", "Username (Buyer)", "Receiver Name", "Phone Number", "City",
             "Province"]
        )  # fmt: skip
        writer.writerow(
            ["2505010000001A", status, "2025-05-01 10:00", "Nastar Keju", 2, "85,000",
             "sarilestari", "Sari Dewi Lestari", "6281277778888", "Kota Bandung", "Jawa Barat"]
        )  # fmt: skip


def test_an_imported_order_counts_and_a_later_export_that_cancels_it_takes_it_back(
    ika_shop, tmp_path, capsys
):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    shopee_csv(first, "Completed")
    call_command("import", str(first), "--shop", ika_shop.slug, "--json")
    capsys.readouterr()
    assert figures(ika_shop) == (1, Decimal(170000))
    later = tmp_path / "Order.all.20250501_20250602.csv"
    shopee_csv(later, "Cancelled")
    call_command("import", str(later), "--shop", ika_shop.slug, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["files"][0]["orders_updated"] == 1
    with shop_scope(ika_shop):
        order = Order.objects.get()
        event = order.events.get()
    assert order.status == Status.CANCELLED  # synced by the lifecycle, with its history
    assert (event.from_status, event.to_status) == (Status.COMPLETED, Status.CANCELLED)
    assert figures(ika_shop) == (0, Decimal(0))


def test_merged_buyers_show_their_orders_together(ika_shop, ika):
    def place(key, name, phone):
        return manual_order_create(
            shop=ika_shop,
            actor=ika,
            buyer=Buyer(name=name, phone=phone),
            lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(40000))],
            idempotency_key=key,
            delivery_method="pickup",
            payment_method="transfer",
        )[0]

    one = drained(lambda: place("a", "Sari Dewi Lestari", "0812-7777-8888"))
    other = drained(lambda: place("b", "Sari D.", "0813-9999-0000"))
    with shop_scope(ika_shop):
        survivor = Customer.objects.get(pk=one.customer_id)
        absorbed = Customer.objects.get(pk=other.customer_id)
    # what the review queue's "merge" runs (customers.services.suggestion_decide)
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=survivor, absorbed=absorbed, reason="reviewed")
        customers_regrouped(shop=ika_shop, customer_ids=[survivor.pk, absorbed.pk])
    assert figures(ika_shop) == (2, Decimal(80000))
    with shop_scope(ika_shop):
        assert not CustomerStats.objects.filter(customer=absorbed).exists()
