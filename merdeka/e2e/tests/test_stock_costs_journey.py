"""Bu Ika on her phone: she buys stock at a price, counts the shelf (stok opname) and
sees the difference and its value before saving, then reads her gross profit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.tests.test_costs import sell
from merdeka.catalog.models import StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_seller_buys_counts_and_sees_her_gross_profit(
    live_server, page, shot, ika_shop, ika, console_errors
):
    product, [variant] = make_product(ika_shop, name="Kastengel Keju Edam", stock=0)
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/produk/{product.pk}/stok/")
    page.get_by_test_id("stock-cost-links").get_by_role("button", name="Beli stok").click()
    page.fill("#id_quantity", "12")
    page.fill("#id_unit_cost", "45.000")
    page.select_option("#id_paid_from", label="Belum dibayar (utang)")
    page.fill("#id_note", "Toko bahan kue Sinar Jaya")
    no_sideways_scroll(page)
    shot("purchase")
    page.get_by_role("button", name="Simpan pembelian").click()
    expect(page.locator(".stock-moves")).to_contain_text("Pembelian stok")
    expect(page.locator(".stock-moves")).to_contain_text("Rp45.000 per unit")

    page.get_by_test_id("stock-cost-links").get_by_role("button", name="Stok opname").click()
    page.fill(f"input[name=count-{variant.pk}]", "10")
    page.get_by_test_id("count-check").click()
    expect(page.get_by_test_id("count-differences")).to_contain_text("12 → 10")
    expect(page.get_by_test_id("count-total")).to_have_text("-Rp90.000")
    no_sideways_scroll(page)
    shot("count-check")
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).on_hand == 12  # nothing saved yet
    page.get_by_test_id("count-confirm").click()
    expect(page.locator("body")).to_contain_text("Stok opname tersimpan: 1 selisih dicatat.")
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).on_hand == 10

    sell(ika_shop, ika, variant, 2, "a", price=70000)
    page.goto(f"{live_server.url}/buku/laporan/")
    page.get_by_test_id("gross-profit-link").click()
    expect(page.get_by_test_id("gross-profit")).to_have_text("Rp50.000")  # 140.000 - 90.000
    expect(page.get_by_test_id("gross-profit-products")).to_contain_text("Kastengel Keju Edam")
    no_sideways_scroll(page)
    shot("gross-profit")
    assert not console_errors
