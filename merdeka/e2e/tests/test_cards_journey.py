"""A buyer the shop knows from a marketplace export signs up from a parcel card: one
customer, not two.

Printing the cards and a new buyer's sign-up are part of the chained journey in
test_customer_reach_journey.py; here the batch is arranged through its service."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.cards.services import batch_create
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.resolution import Resolver, phone_claim, username_claim
from merdeka.e2e.tests.conftest import menu_go, sign_in
from merdeka.privacy import consent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_known_marketplace_buyer_signs_up_from_a_card_and_is_joined(
    live_server, page, browser, browser_context_args, shot, ika, ika_shop, console_errors
):
    with shop_scope(ika_shop), transaction.atomic():  # a buyer known from a Shopee export
        known = Resolver(shop=ika_shop, source="shopee").resolve(
            [phone_claim("0812-3456-7890"), username_claim("sari.dewi", "shopee")],
            name="Sari Dewi",
        )
    batch = batch_create(
        shop=ika_shop,
        actor=ika,
        label="Paket Shopee Desember",
        channel="shopee",
        count=8,
        voucher_code="KUEHEMAT10",
    )
    signup_path = reverse("signup", kwargs={"shop_slug": ika_shop.slug, "token": batch.token})

    buyer = browser.new_context(**browser_context_args)
    phone = buyer.new_page()
    buyer_errors: list[str] = []
    phone.on("console", lambda m: buyer_errors.append(m.text) if m.type == "error" else None)
    phone.goto(f"{live_server.url}{signup_path}")
    expect(phone.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    phone.get_by_role("button", name="Daftar").click()
    expect(phone.locator(".field-error").first).to_have_text("Tulis namamu.")
    phone.fill("#id_name", "Sari")
    phone.fill("#id_phone", "0812 3456 7890")
    phone.check("#id_consent_whatsapp")
    phone.get_by_role("button", name="Daftar").click()
    expect(phone.get_by_test_id("voucher")).to_contain_text("KUEHEMAT10")
    buyer.close()
    # the form with a missing name was answered 400 on purpose; nothing else went wrong
    assert [e for e in buyer_errors if "status of 400" not in e] == [], buyer_errors

    sign_in(page, live_server, "ika", PASSWORD)
    menu_go(page, "Kartu paket")
    card_batch = page.locator("article.batch").first
    expect(card_batch.get_by_test_id("printed")).to_have_text("8")
    expect(card_batch.get_by_test_id("signups")).to_have_text("1")
    expect(card_batch.get_by_test_id("known")).to_have_text("1")
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
