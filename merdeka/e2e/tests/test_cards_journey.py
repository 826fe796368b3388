"""From marketplace buyer to own customer: parcel cards, a QR sign-up, a merged customer."""

from __future__ import annotations

import pytest
from django.db import transaction
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.resolution import Resolver, phone_claim, username_claim
from merdeka.e2e.tests.conftest import sign_in
from merdeka.privacy import consent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_seller_prints_cards_and_a_buyer_signs_up_from_one(
    live_server, page, browser, browser_context_args, shot, ika_shop, console_errors
):
    with shop_scope(ika_shop), transaction.atomic():  # a buyer known from a Shopee export
        known = Resolver(shop=ika_shop, source="shopee").resolve(
            [phone_claim("0812-3456-7890"), username_claim("sari.dewi", "shopee")],
            name="Sari Dewi",
        )

    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("link", name="Kartu paket", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Kartu paket")
    page.fill("#id_label", "Paket Shopee Desember")
    page.select_option("#id_channel", "shopee")
    page.fill("#id_count", "8")
    page.fill("#id_voucher_code", "KUEHEMAT10")
    shot("new-batch")
    page.get_by_role("button", name="Buat kartunya").click()

    expect(page.locator(".sheet")).to_have_count(2)
    for sheet in page.locator(".sheet").all():
        expect(sheet.locator(".card")).to_have_count(4)
        expect(sheet.locator(".card svg.qr")).to_have_count(4)
    expect(page.locator(".card").first).to_contain_text("Dapur Kue Bu Ika")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("print")
    page.emulate_media(media="print")
    size = page.locator(".sheet").first.bounding_box()
    # an A4 sheet: 210 x 297 mm at 96 px per inch
    assert abs(size["width"] - 793.7) < 2 and abs(size["height"] - 1122.5) < 2
    page.emulate_media(media="screen")
    signup_url = page.get_by_test_id("signup-url").inner_text()
    assert signup_url.startswith(f"{live_server.url}/daftar/dapur-ika/")

    buyer = browser.new_context(**browser_context_args)
    phone = buyer.new_page()
    buyer_errors: list[str] = []
    phone.on("console", lambda m: buyer_errors.append(m.text) if m.type == "error" else None)
    phone.goto(signup_url)
    expect(phone.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    expect(phone.locator("#id_consent_whatsapp")).not_to_be_checked()
    expect(phone.locator("#id_consent_email")).not_to_be_checked()
    phone.get_by_role("button", name="Daftar").click()
    expect(phone.locator(".field-error").first).to_have_text("Tulis namamu.")
    phone.fill("#id_name", "Sari")
    phone.fill("#id_phone", "0812 3456 7890")
    phone.check("#id_consent_whatsapp")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot("signup", phone)
    phone.get_by_role("button", name="Daftar").click()
    expect(phone.get_by_test_id("voucher")).to_contain_text("KUEHEMAT10")
    shot("thanks", phone)
    buyer.close()
    # the form with a missing name was answered 400 on purpose; nothing else went wrong
    assert [e for e in buyer_errors if "status of 400" not in e] == [], buyer_errors

    page.get_by_role("link", name="Kartu paket", exact=True).click()
    batch = page.locator("article.batch").first
    expect(batch.get_by_test_id("printed")).to_have_text("8")
    expect(batch.get_by_test_id("signups")).to_have_text("1")
    expect(batch.get_by_test_id("known")).to_have_text("1")
    shot("batches")

    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.locator(".customer-row")).to_have_count(1)
    page.locator(".customer-row", has_text="Sari Dewi").click()
    expect(page.get_by_test_id("audit-history")).to_contain_text("Mendaftar dari kartu paket")
    expect(page.locator(".identities")).to_contain_text("Username marketplace")
    shot("customer")
    with shop_scope(ika_shop):
        [customer] = Customer.objects.filter(merged_into__isnull=True)
    assert customer.pk == known.pk
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    assert not consent.consent_allows(shop=ika_shop, customer=customer, channel="email")
    assert not console_errors, console_errors
