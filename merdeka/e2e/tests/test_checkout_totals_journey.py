"""A buyer on a phone sees the shipping fee and the total to pay change as she chooses
how she gets her order, before she sends it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import BANDUNG, choose_region, no_sideways_scroll, open_storefront
from merdeka.orders.models import Order
from merdeka.storefront.models import ShippingRate
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_fee_and_the_total_show_before_the_order_is_sent(
    live_server, page, shot, ika_shop, console_errors
):
    front = open_storefront(ika_shop, courier_enabled=True, courier_flat_fee=Decimal(25000))
    with shop_scope(ika_shop):
        ShippingRate.objects.create(
            shop=ika_shop, province_code="32", city_code="32.73", fee=Decimal(9000)
        )
    make_product(ika_shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),))

    page.goto(f"{live_server.url}/s/{front.slug}/p/kue-lapis-legit/")
    page.locator("form.add-to-cart button[type=submit]").click()
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()

    fee, total = page.get_by_test_id("shipping-fee"), page.get_by_test_id("grand-total")
    expect(page.get_by_test_id("checkout-subtotal")).to_have_text("Rp85.000")
    expect(total).to_have_text("—")

    page.locator("input[name=delivery][value=pickup]").check()
    expect(fee).to_have_text("Rp0")
    expect(total).to_have_text("Rp85.000")

    page.locator("input[name=delivery][value=courier]").check()
    expect(fee).to_contain_text("Pilih kota")
    expect(total).to_have_text("—")
    choose_region(page, *BANDUNG)
    expect(fee).to_have_text("Rp9.000")  # Bandung's own rate, not the flat fee
    expect(total).to_have_text("Rp94.000")

    page.fill("#id_name", "Siti Nurhaliza")
    page.fill("#id_whatsapp", "0812 2222 3333")
    page.fill("#id_street", "Jl. Melati No. 7 RT 02/RW 05")
    page.locator("input[name=payment][value=qris]").check()
    page.wait_for_load_state("networkidle")  # the last region's answers are in
    expect(total).to_have_text("Rp94.000")
    no_sideways_scroll(page)
    shot("checkout-totals")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("order-total")).to_have_text("Rp94.000")
    with shop_scope(ika_shop):
        order = Order.objects.get()
    assert (order.shipping_fee, order.total) == (Decimal(9000), Decimal(94000))
    assert not console_errors, console_errors


def test_a_choice_made_before_the_page_script_arrives_still_shows_its_total(
    live_server, page, ika_shop, console_errors
):
    """On a slow phone the buyer can tap "pickup" before htmx has loaded; the totals
    must still follow her choice once it arrives (and after a back navigation, when
    the browser restores the form)."""
    front = open_storefront(ika_shop, courier_enabled=True, courier_flat_fee=Decimal(25000))
    make_product(ika_shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),))
    page.goto(f"{live_server.url}/s/{front.slug}/p/kue-lapis-legit/")
    page.locator("form.add-to-cart button[type=submit]").click()

    held = []
    script = re.compile(r"htmx[^/]*\.js")
    page.route(script, lambda route: held.append(route))  # the script waits for us
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()
    page.locator("input[name=delivery][value=pickup]").check()
    expect(page.get_by_test_id("grand-total")).to_have_text("—")  # nothing ran yet
    assert held, "the checkout page loads htmx"
    for route in held:
        route.continue_()

    expect(page.get_by_test_id("shipping-fee")).to_have_text("Rp0")
    expect(page.get_by_test_id("grand-total")).to_have_text("Rp85.000")
    assert not console_errors, console_errors


def test_a_choice_the_browser_restored_still_shows_its_total(
    live_server, page, ika_shop, console_errors
):
    """Back to the checkout from another page: the browser puts her delivery back
    without a change event, and only after the page's load event (Chromium); the totals
    must follow it, not the empty form htmx saw when it started."""
    front = open_storefront(ika_shop, courier_enabled=True, courier_flat_fee=Decimal(25000))
    make_product(ika_shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),))
    page.goto(f"{live_server.url}/s/{front.slug}/p/kue-lapis-legit/")
    page.locator("form.add-to-cart button[type=submit]").click()
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()
    checkout = page.url
    page.locator("input[name=delivery][value=courier]").check()
    choose_region(page, *BANDUNG[:2])
    expect(page.get_by_test_id("grand-total")).to_have_text("Rp110.000")
    page.wait_for_load_state("networkidle")  # leaving mid-request would abort it (an error)

    page.goto(f"{live_server.url}/s/{front.slug}/")
    page.go_back()
    assert page.url == checkout
    expect(page.locator("input[name=delivery][value=courier]")).to_be_checked()
    # her province is back; the city's list came after the browser restored the form
    expect(page.get_by_test_id("shipping-fee")).to_contain_text("Pilih kota")
    page.select_option("#id_city", BANDUNG[1])
    expect(page.get_by_test_id("grand-total")).to_have_text("Rp110.000")
    assert not console_errors, console_errors
