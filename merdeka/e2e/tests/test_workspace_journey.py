"""The customer workspace on a phone: find a buyer by part of a name and by number,
filter the list and keep the filter as a saved segment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.customers.stats import customer_stats_refresh
from merdeka.e2e.tests.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def buyers(ika_shop):
    for name, phone, city, province in (
        ("Siti Nurhaliza", "+6281234567801", "Kota Bandung", "Jawa Barat"),
        ("Sitompul Batubara", "+6285711112222", "Kota Medan", "Sumatera Utara"),
        ("Dewi Sartika", "+6281299990000", "Kota Bogor", "Jawa Barat"),
        ("Budi Santoso", "+6281322223333", "Kota Denpasar", "Bali"),
    ):
        customer_create(shop=ika_shop, name=name, phone=phone, city=city, province=province)
    with shop_scope(ika_shop):
        customer_stats_refresh(shop=ika_shop)
    return ika_shop


def test_a_seller_finds_buyers_and_saves_a_segment_on_a_phone(
    live_server, page, shot, buyers, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.get_by_test_id("count")).to_have_text("4 pelanggan")

    # part of a name: the start of a word is enough
    page.get_by_test_id("search").fill("nurha")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("Siti Nurhaliza")
    assert "nurha" not in page.url.lower()  # the words travel sealed
    shot("name-search")

    # a number written the way the buyer sent it
    page.get_by_test_id("search").fill("0857-1111")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("Sitompul Batubara")
    page.get_by_test_id("search").fill("+62 812 9999 0000")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator(".customer-row")).to_contain_text("Dewi Sartika")
    shot("phone-search")

    # filter by province, then keep it as a segment
    page.get_by_test_id("search").fill("")
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_test_id("count")).to_have_text("4 pelanggan")
    page.locator("details.filters summary").click()
    page.select_option("#id_province", "Jawa Barat")
    page.select_option("#id_sort", "name")
    shot("filters")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("count")).to_have_text("2 pelanggan")
    expect(page.locator(".customer-row").first).to_contain_text("Dewi Sartika")
    page.fill("#id_segment_name", "Pembeli Jawa Barat")
    page.get_by_test_id("save-segment").click()
    expect(page.locator(".message")).to_contain_text("Segmen disimpan")
    expect(page.locator("main h1")).to_have_text("Pembeli Jawa Barat")
    expect(page.get_by_test_id("count")).to_have_text("2 pelanggan")
    shot("segment")

    page.get_by_role("link", name="Semua segmen").click()
    segment = page.locator(".segment-list li", has_text="Pembeli Jawa Barat")
    expect(segment.get_by_test_id("segment-count")).to_have_text("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("segments")

    # the buyer's page: numbers, a tag, a note
    segment.get_by_role("link").click()
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
