"""A storefront order from the buyer's phone to the parcel leaving: the seller records the
payment with a proof photo and ships it; stock and the buyer's email follow. The parcel
comes back, and the seller records the return: its goods are on the shelf again."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.catalog.models import StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import (
    check_out,
    no_sideways_scroll,
    open_storefront,
    phone_context,
    sign_in,
)
from merdeka.orders.models import Order, Payment
from merdeka.outreach.tests.conftest import smtp  # noqa: F401 - the real SMTP server
from merdeka.storefront.tests.conftest import make_product, tlv_decode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_shop(ika_shop):
    front = open_storefront(ika_shop, courier_enabled=True, courier_flat_fee=Decimal(15000))
    _product, [variant] = make_product(ika_shop, name="Kue Lapis Legit", stock=5)
    return front, variant


@pytest.fixture
def proof_file(tmp_path):
    path = tmp_path / "bukti-transfer.jpg"
    out = io.BytesIO()
    Image.new("RGB", (240, 320), (20, 120, 200)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_a_storefront_order_is_paid_with_proof_and_shipped_from_the_sellers_phone(
    live_server,
    page,
    shot,
    open_shop,
    ika_shop,
    proof_file,
    smtp,  # noqa: F811
    console_errors,
):
    front, variant = open_shop
    # the buyer, on her phone
    page.goto(f"{live_server.url}/s/{front.slug}/")
    page.get_by_test_id("card-kue-lapis-legit").click()
    page.fill("input[name=quantity]", "2")
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.get_by_test_id("subtotal")).to_have_text("Rp170.000")
    check_out(
        page, email="siti@example.id", delivery="courier", street="Jl. Melati No. 7 RT 02/RW 05"
    )
    expect(page.get_by_test_id("order-total")).to_have_text("Rp185.000")
    assert tlv_decode(page.get_by_test_id("qris-payload").input_value())["54"] == "185000"
    number = page.get_by_test_id("order-number").inner_text()
    shot("buyer-qris")
    assert smtp.messages == []

    # the seller, on hers
    context = phone_context(page)
    seller = context.new_page()
    seller_errors: list[str] = []
    seller.on("console", lambda m: seller_errors.append(m.text) if m.type == "error" else None)
    sign_in(seller, live_server, "ika", PASSWORD)
    seller.get_by_role("link", name="Pesanan", exact=True).click()
    seller.locator(".order-row", has_text=number).click()
    expect(seller.get_by_test_id("order-status")).to_have_text("Menunggu pembayaran")
    shot("seller-order", seller)

    seller.get_by_test_id("pay-section").locator("summary").click()
    seller.locator("input[name=method][value=qris]").check()
    expect(seller.locator("input[name=amount]")).to_have_value("185000")
    seller.fill("input[name=reference]", "QRIS 0931")
    seller.set_input_files("input[name=proof]", str(proof_file))
    shot("seller-payment", seller)
    seller.get_by_test_id("pay-submit").click()
    expect(seller.locator(".message")).to_contain_text("Pembayaran dicatat")
    expect(seller.get_by_test_id("order-status")).to_have_text("Dibayar")
    expect(seller.get_by_test_id("payments")).to_contain_text("Rp185.000")
    proof = seller.get_by_test_id("payment-proof").get_attribute("href")
    served = seller.request.get(f"{live_server.url}{proof}")
    assert served.status == 200 and served.headers["content-type"] == "image/webp"

    seller.get_by_test_id("ship-section").locator("summary").click()
    seller.select_option("select[name=courier]", "jne")
    seller.fill("input[name=tracking]", "jp1234567890")
    seller.get_by_test_id("ship-submit").click()
    expect(seller.locator(".message")).to_contain_text("Pesanan sudah dikirim")
    expect(seller.get_by_test_id("order-status")).to_have_text("Dikirim")
    expect(seller.get_by_test_id("order-shipment")).to_contain_text("JP1234567890")
    expect(seller.get_by_test_id("order-history")).to_contain_text("Pembayaran dicatat")
    no_sideways_scroll(seller)
    shot("seller-shipped", seller)

    # the packing slip to stick on the parcel, without prices
    seller.get_by_test_id("print-slip").click()
    expect(seller.get_by_test_id("packing-slip")).to_contain_text("Siti Nurhaliza")
    expect(seller.get_by_test_id("packing-slip")).not_to_contain_text("Rp")
    shot("packing-slip", seller)

    # the courier brings the parcel back: the seller records the return
    seller.go_back()
    seller.get_by_test_id("return-section").locator("summary").click()
    seller.fill("input[name=reason]", "Pembeli tidak di rumah tiga kali")
    seller.locator("input[name=restock][value=yes]").check()
    no_sideways_scroll(seller)
    shot("seller-return", seller)
    seller.get_by_test_id("return-submit").click()
    expect(seller.locator(".message")).to_contain_text("Retur sudah dicatat")
    expect(seller.get_by_test_id("order-status")).to_have_text("Dikembalikan")
    expect(seller.get_by_test_id("order-history")).to_contain_text(
        "Pembeli tidak di rumah tiga kali"
    )
    expect(seller.get_by_test_id("event-restock")).to_have_text("2 barang kembali ke stok")
    expect(seller.get_by_test_id("return-section")).to_have_count(0)
    no_sideways_scroll(seller)
    shot("seller-returned", seller)
    assert not seller_errors, seller_errors
    context.close()
    assert not console_errors, console_errors

    with shop_scope(ika_shop):
        order = Order.objects.get(external_id=number)
        stock = StockLevel.objects.get(variant=variant)
        payment = Payment.objects.get(order=order)
    assert order.status == "returned" and order.paid_at is not None
    assert (stock.on_hand, stock.reserved) == (5, 0)  # the two units came back
    assert payment.amount == Decimal(185000) and payment.method == "qris"
    # the buyer was told by email: the payment, the parcel with its resi, and that it
    # came back (why, and that her money will be returned)
    assert smtp.recipients() == ["siti@example.id"] * 3
    paid, shipped, back = smtp.messages
    assert back["Subject"] == f"Pesanan #{number} sudah kembali ke kami"
    assert "menghubungimu untuk mengembalikan pembayaran" in back.get_content()
    assert paid["Subject"] == f"Pesanan #{number}: pembayaran diterima"
    assert "Rp185.000" in paid.get_content()
    assert shipped["Subject"] == f"Pesanan #{number} sudah dikirim"
    assert "JNE" in shipped.get_content() and "JP1234567890" in shipped.get_content()
