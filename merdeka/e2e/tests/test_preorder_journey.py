"""On a phone: a buyer joins an open pre-order and sees its total go up; the seller
types in an order from a WhatsApp chat and finds it in her order book."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import (
    check_out,
    choose_region,
    no_sideways_scroll,
    open_storefront,
    sign_in,
)
from merdeka.orders.models import Order
from merdeka.preorders.models import PreorderEntry
from merdeka.preorders.services import batch_open
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_shop(ika_shop):
    return open_storefront(ika_shop)


def test_a_buyer_joins_an_open_pre_order_and_sees_the_total_go_up(
    live_server, page, shot, open_shop, ika_shop, console_errors
):
    product, _variants = make_product(ika_shop, name="Bolu Pandan", stock=0)
    now = timezone.now()
    batch = batch_open(
        shop=ika_shop,
        actor=None,
        product_id=product.pk,
        title="PO Bolu Lebaran",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=3),
        max_quantity=20,
        min_quantity=5,
        price=Decimal(60000),
    )
    # the product page shows the batch although the cake has no stock yet
    page.goto(f"{live_server.url}/s/{open_shop.slug}/p/{product.slug}/")
    expect(page.get_by_test_id(f"preorder-{batch.token}")).to_contain_text("PO Bolu Lebaran")
    page.get_by_role("link", name="Lihat PO").click()
    expect(page.locator("main h1")).to_have_text("PO Bolu Lebaran")
    expect(page.get_by_test_id("preorder-total")).to_contain_text("0 dipesan sejauh ini")
    expect(page.get_by_test_id("preorder-total")).to_contain_text("20 tersisa")
    expect(page.get_by_test_id("preorder-time-left")).to_contain_text("Tutup dalam")
    no_sideways_scroll(page)
    shot("batch-before")
    page.fill("input[name=quantity]", "3")
    page.get_by_test_id("join-preorder").click()

    expect(page.get_by_test_id("cart-preorder")).to_be_visible()
    expect(page.get_by_test_id("subtotal")).to_have_text("Rp180.000")
    check_out(page, shot=shot)
    expect(page.get_by_test_id("order-total")).to_have_text("Rp180.000")

    page.goto(f"{live_server.url}/s/{open_shop.slug}/po/{batch.token}/")
    expect(page.get_by_test_id("preorder-total")).to_contain_text("3 dipesan sejauh ini")
    expect(page.get_by_test_id("preorder-total")).to_contain_text("17 tersisa")
    shot("batch-after")
    assert not console_errors, console_errors
    with shop_scope(ika_shop):
        entry = PreorderEntry.objects.get()
        assert entry.quantity == 3 and entry.order.total == Decimal(180000)


def test_the_seller_types_in_an_order_from_a_chat_and_finds_it_in_the_book(
    live_server, page, shot, ika_shop, console_errors
):
    make_product(ika_shop, name="Kue Lapis Legit", stock=5)
    sign_in(page, live_server, "ika", PASSWORD)
    page.wait_for_load_state()
    page.get_by_role("link", name="Pesanan", exact=True).click()
    page.get_by_test_id("manual-order-link").click()
    expect(page.locator("main h1")).to_have_text("Pesanan manual")
    page.fill("#id_name", "Bu Rahma (grup arisan)")
    page.fill("#id_whatsapp", "+62 857-1234-5678")
    page.select_option("#id_line-0-variant", label="Kue Lapis Legit · Rp85.000")
    page.fill("#id_line-0-quantity", "2")
    page.fill("#id_line-1-name", "Bolu pandan titipan")
    page.fill("#id_line-1-quantity", "1")
    page.fill("#id_line-1-price", "30000")
    page.select_option("#id_delivery", "courier")
    page.fill("#id_shipping_fee", "15000")
    choose_region(page, "32", "32.73")
    page.fill("#id_street", "Jl. Kenanga 5")
    no_sideways_scroll(page)
    shot("manual-form")
    page.get_by_test_id("save-manual-order").click()

    expect(page.get_by_test_id("order-status")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rp215.000")
    with shop_scope(ika_shop):
        order = Order.objects.get()
    assert order.channel == "manual" and order.city == "Kota Bandung"
    page.get_by_role("link", name="Pesanan", exact=True).click()
    row = page.locator(".order-row", has_text=order.external_id)
    expect(row).to_contain_text("Manual")
    expect(row).to_contain_text("Rp215.000")
    shot("order-book")
    assert not console_errors, console_errors
