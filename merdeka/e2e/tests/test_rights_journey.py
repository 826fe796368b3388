"""A customer's rights on a phone: download their data, restrict, correct, erase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.resolution import Resolver, phone_claim
from merdeka.customers.selectors import customer_list
from merdeka.e2e.tests.conftest import menu_go, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_owner_answers_a_customers_data_request(
    live_server, page, shot, ika_shop, console_errors
):
    with shop_scope(ika_shop), transaction.atomic():
        customer = Resolver(shop=ika_shop, source="shopee").resolve(
            [phone_claim("0812-1111-2222")], name="Budi Santoso"
        )
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/privasi/pelanggan/{customer.pk}/")
    expect(page.locator("main h1")).to_have_text("Hak atas data")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["customer"]["name"] == "Budi Santoso"
    assert download.value.suggested_filename == f"data-pelanggan-{customer.pk}.json"

    page.select_option("#id_reason", "request")
    page.get_by_role("button", name="Batasi pemrosesan").click()
    expect(page.get_by_test_id("restricted")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("restricted")

    page.get_by_role("button", name="Perbaiki nama, nomor, email, atau alamat").click()
    page.fill("#id_name", "Budi S.")
    page.get_by_role("button", name="Simpan perbaikan").click()
    expect(page.locator(".message")).to_contain_text("Data pelanggan sudah diperbaiki")

    page.get_by_role("button", name="Hapus pelanggan ini").click()
    page.get_by_test_id("erase-customer-open").click()  # the confirmation opens
    page.fill("#id_confirm", "hapus")
    page.get_by_role("button", name="Hapus selamanya").click()
    expect(page.locator(".field-error")).to_contain_text("Ketik HAPUS dengan huruf besar")
    page.fill("#id_confirm", "HAPUS")
    shot("erase")
    page.get_by_role("button", name="Hapus selamanya").click()
    expect(page.locator(".message")).to_contain_text("Pelanggan sudah dihapus")
    with shop_scope(ika_shop):
        assert not Customer.objects.exists()
    assert not customer_list(shop=ika_shop, phone="081211112222").exists()

    menu_go(page, "Keamanan")
    page.get_by_role("button", name="Buka catatan pemrosesan").click()
    page.select_option("#id_retention_months", "24")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_test_id("retention")).to_contain_text("24 bulan")
    shot("record")
    # the 400 of the mistyped confirmation is on purpose
    assert [e for e in console_errors if "status of 400" not in e] == [], console_errors
