"""A new buyer on a phone: open the shop, add to the cart, check out, see how to pay."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.e2e.tests.conftest import (
    check_out,
    menu_go,
    no_sideways_scroll,
    open_storefront,
    phone_context,
    sign_in,
)
from merdeka.orders.models import Order
from merdeka.storefront.tests.conftest import make_product, static_qris, tlv_decode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_shop(ika_shop):
    front = open_storefront(ika_shop, courier_enabled=True, courier_flat_fee=Decimal(15000))
    make_product(
        ika_shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000), Decimal(150000))
    )
    make_product(ika_shop, name="Nastar Keju", stock=0)
    return front


def test_a_new_buyer_orders_from_the_shop_and_gets_a_qris_with_the_right_amount(
    live_server, page, shot, open_shop, ika_shop, console_errors
):
    page.goto(f"{live_server.url}/s/{open_shop.slug}/")
    expect(page.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    expect(page.get_by_test_id("card-nastar-keju")).to_contain_text("habis")
    shot("shop")
    page.get_by_test_id("card-kue-lapis-legit").click()
    expect(page.locator("main h1")).to_have_text("Kue Lapis Legit")
    share = page.get_by_test_id("share-whatsapp").get_attribute("href")
    assert share.startswith("https://wa.me/?text=") and "Kue Lapis Legit" in unquote(share)
    og = page.locator('meta[property="og:title"]').get_attribute("content")
    assert og == "Kue Lapis Legit — Rp85.000"
    page.locator("input[name=variant]").nth(1).check()  # the bigger one
    page.fill("input[name=quantity]", "2")
    shot("product")
    page.locator("form.add-to-cart button[type=submit]").click()

    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("subtotal")).to_have_text("Rp300.000")
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    check_out(
        page,
        delivery="courier",
        street="Jl. Melati No. 7 RT 02/RW 05",
        marketing_whatsapp=True,
        shot=shot,
    )

    expect(page.get_by_test_id("qris").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("order-total")).to_have_text("Rp315.000")
    payload = page.get_by_test_id("qris-payload").input_value()
    tags = tlv_decode(payload)
    assert tags["54"] == "315000" and tags["01"] == "12"
    confirm = page.get_by_test_id("confirm-whatsapp")
    expect(confirm).to_be_visible()
    href = confirm.get_attribute("href")
    number = page.get_by_test_id("order-number").inner_text()
    assert href.startswith("https://wa.me/6281311112222?text=") and number in unquote(href)
    assert tlv_decode(tags["62"])["01"] == number
    no_sideways_scroll(page)
    shot("confirmation")
    assert not console_errors, console_errors

    with shop_scope(ika_shop):
        order = Order.objects.get()
        assert order.external_id == number and order.city == "Kota Bandung"
        assert Customer.objects.get().pk == order.customer_id

    # the seller sees the product's stock go down in her catalog
    context = phone_context(page)
    seller = context.new_page()
    sign_in(seller, live_server, "ika", PASSWORD)
    seller.wait_for_load_state()
    shot("seller-home", seller)
    seller.get_by_role("link", name="Produk", exact=True).click()
    expect(seller.locator(".customer-row", has_text="Kue Lapis Legit")).to_contain_text("8")
    context.close()


def test_a_seller_adds_a_product_sets_stock_and_opens_her_online_shop(
    live_server, page, shot, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("link", name="Produk", exact=True).click()
    page.get_by_role("button", name="Tambah produk pertamamu").click()
    page.fill("#id_name", "Kue Sus Vla")
    page.fill("#id_variants-0-flavour", "Cokelat")
    page.fill("#id_variants-0-price", "35000")
    page.fill("#id_variants-0-sku", "SUS-C")
    shot("product-form")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("main h1")).to_contain_text("Kue Sus Vla")
    page.locator("input[name=on_hand]").first.fill("12")
    page.get_by_role("button", name="Simpan jumlah").first.click()
    expect(page.locator(".message")).to_contain_text("disimpan")
    expect(page.locator(".stock-moves")).to_contain_text("Penyesuaian")
    no_sideways_scroll(page)
    shot("stock")

    menu_go(page, "Toko online")
    page.fill("#id_whatsapp", "0813-1111-2222")
    page.fill("#id_qris", static_qris()[:-1] + ("0" if static_qris()[-1] != "0" else "1"))
    page.fill("#id_banks", "BCA | 1234567890 | Ika Rahmawati")
    page.fill("#id_pickup_address", "Jl. Mawar No. 3, Bandung")
    page.check("#id_is_open")
    page.check("#id_pickup_enabled")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".form-errors")).to_contain_text("Checksum QRIS tidak cocok")
    page.fill("#id_qris", static_qris())
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".message")).to_contain_text("Pengaturan toko online disimpan")
    shot("settings")
    no_sideways_scroll(page)
    page.get_by_test_id("public-url").click()
    expect(page.get_by_test_id("card-kue-sus-vla")).to_contain_text("Rp35.000")
    assert not console_errors, console_errors
