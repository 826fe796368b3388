"""A buyer's page in the customer workspace on a phone: a tag and a private note.

Finding buyers by name and number and saving a segment are part of the chained
journey in test_customer_reach_journey.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.customers.services import customer_create
from merdeka.e2e.tests.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_seller_tags_a_buyer_and_keeps_a_note_on_a_phone(
    live_server, page, shot, ika_shop, console_errors
):
    customer_create(
        shop=ika_shop,
        name="Siti Nurhaliza",
        phone="+6281234567801",
        city="Kota Bandung",
        province="Jawa Barat",
    )
    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    page.locator(".customer-row", has_text="Siti Nurhaliza").click()
    page.get_by_placeholder("mis. reseller").fill("Reseller")
    page.get_by_role("button", name="Tambah tag").click()
    expect(page.locator("#tags .tag-list")).to_contain_text("Reseller")
    page.fill("#id_body", "Suka nastar keju, kirim Jumat")
    page.get_by_role("button", name="Simpan catatan").click()
    expect(page.locator("#notes")).to_contain_text("Suka nastar keju")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("customer")
    assert not console_errors, console_errors
