"""Imported order lines map to catalog variants by SKU: exactly by themselves, otherwise
as the seller mapped them once; a mapped line brings its cost of goods, a line without
a known cost stays revenue without HPP, and a mapping changed later posts an adjusting
entry, never an edit."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from merdeka.books import skus
from merdeka.books.backfill import backfill
from merdeka.books.costs import gross_profit, revenue_without_cost
from merdeka.books.models import ImportedLineCost, JournalEntry, JournalLine, SkuMapping, Source
from merdeka.books.tests.test_orders import by_key
from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockMove, Variant
from merdeka.core import services as core_services
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.storefront.tests.conftest import make_product

SHOPEE = Path(__file__).parents[2] / "imports" / "tests" / "data" / "marketplaces"
ORDERS = SHOPEE / "Order.all.20250401_20250430.xlsx"
APRIL = {"date_from": dt.date(2025, 4, 1), "date_to": dt.date(2025, 4, 30)}
SHOPEE_HEADER = (
    "Order ID;Order Status;Order Creation Date;Product Name;SKU Reference No.;Quantity;"
    "Deal Price;Username (Buyer);City;Province\n"
)


@pytest.fixture(autouse=True)
def _one_process(settings):
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0


def run_import(capsys, shop, *paths) -> dict:
    with contextlib.suppress(SystemExit):
        call_command("import", *map(str, paths), "--shop", shop.slug, "--json")
    return {f["name"]: f for f in json.loads(capsys.readouterr().out)["files"]}


COUNTED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def variant_with_cost(shop, actor, name, sku, unit_cost):
    _product, [variant] = make_product(shop, name=name, stock=10)
    with shop_scope(shop):
        Variant.objects.filter(pk=variant.pk).update(sku=sku)
    if unit_cost:
        catalog.stock_opening_value(shop=shop, variant=variant, unit_cost=unit_cost, actor=actor)
    # the stock was counted before the imported orders (May 2025) were placed
    with shop_scope(shop), owning(STOCK):
        StockMove.objects.filter(shop=shop, variant=variant).update(created_at=COUNTED)
    return variant


def order_entries(shop, external_id):
    with shop_scope(shop):
        order = Order.objects.get(shop=shop, external_id=external_id)
        return list(JournalEntry.objects.filter(order=order, source=Source.ORDER).order_by("pk"))


def posted(shop, entries):
    """Each entry with its lines, as written."""
    with shop_scope(shop):
        return [
            (e.pk, sorted(e.lines.values_list("account_id", "debit", "credit"))) for e in entries
        ]


def test_an_exact_sku_costs_the_line_in_the_orders_own_entry(ika_shop, ika, capsys):
    variant_with_cost(ika_shop, ika, "Nastar Keju Premium", "NST-500", 30000)
    run_import(capsys, ika_shop, ORDERS)
    books = by_key(ika_shop)
    # 2504226A23B55PX (Selesai): 2 x NST-500 at 30.000; Kastengel (KST-1) is unknown
    assert books["cost_of_goods"] == 60000
    [_entry] = order_entries(ika_shop, "2504226A23B55PX")  # one entry: revenue and cost
    found = gross_profit(shop=ika_shop, **APRIL)
    assert [row["name"] for row in revenue_without_cost(shop=ika_shop, **APRIL)[1]] == [
        "Kastengel Edam"
    ]
    assert {p.label for p in found.by_product} == {"Nastar Keju Premium", "Kastengel Edam"}
    names = {row["key"] for row in skus.unmapped(shop=ika_shop)}
    assert names == {"sku:KST-1", "sku:PS-250", "sku:NST-250"}


def test_mapping_once_costs_the_delivered_orders_and_later_imports(ika_shop, ika, capsys, tmp_path):
    kastengel = variant_with_cost(ika_shop, ika, "Kastengel Keju", "KSTG", 40000)
    run_import(capsys, ika_shop, ORDERS)
    assert "cost_of_goods" not in by_key(ika_shop)
    orders = skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=kastengel.pk, actor=ika)
    assert len(orders) == 1
    assert by_key(ika_shop)["cost_of_goods"] == 40000
    first, _adjusting = order_entries(ika_shop, "2504226A23B55PX")  # a second entry
    with shop_scope(ika_shop):
        assert JournalLine.objects.filter(entry=first, account__key="cost_of_goods").count() == 0
    without = [row["name"] for row in revenue_without_cost(shop=ika_shop, **APRIL)[1]]
    assert without == ["Nastar Keju Premium"]  # not mapped: still without a cost

    # a later export with the same SKU: costed by the mapping, in the order's one entry
    later = tmp_path / "Order.all.20250501_20250531.csv"
    later.write_text(
        SHOPEE_HEADER + "2505020000009Z;Completed;2025-05-02 10:00;Kastengel Edam;KST-1;3;90,000;"
        "rina_w;Kota Bandung;Jawa Barat\n",
        encoding="utf-8",
    )
    run_import(capsys, ika_shop, later)
    assert len(order_entries(ika_shop, "2505020000009Z")) == 1
    assert by_key(ika_shop)["cost_of_goods"] == 40000 + 3 * 40000


def test_changing_a_mapping_posts_the_difference_never_an_edit(ika_shop, ika, capsys):
    cheap = variant_with_cost(ika_shop, ika, "Kastengel Mini", "KST-MINI", 20000)
    dear = variant_with_cost(ika_shop, ika, "Kastengel Besar", "KST-BSR", 45000)
    run_import(capsys, ika_shop, ORDERS)
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=cheap.pk, actor=ika)
    before = posted(ika_shop, order_entries(ika_shop, "2504226A23B55PX"))
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=dear.pk, actor=ika)
    entries = order_entries(ika_shop, "2504226A23B55PX")
    assert posted(ika_shop, entries[: len(before)]) == before  # posted lines stay as they were
    assert len(entries) == len(before) + 1
    assert by_key(ika_shop)["cost_of_goods"] == 45000
    with shop_scope(ika_shop):
        assert SkuMapping.objects.get().variant_id == dear.pk
        assert set(ImportedLineCost.objects.values_list("variant_id", flat=True)) == {dear.pk}


def test_a_variant_without_a_cost_stays_revenue_without_hpp(ika_shop, ika, capsys):
    variant_with_cost(ika_shop, ika, "Nastar Keju Premium", "NST-500", 0)
    run_import(capsys, ika_shop, ORDERS)
    assert "cost_of_goods" not in by_key(ika_shop)
    names = [row["name"] for row in revenue_without_cost(shop=ika_shop, **APRIL)[1]]
    assert sorted(names) == ["Kastengel Edam", "Nastar Keju Premium"]
    with shop_scope(ika_shop):
        assert ImportedLineCost.objects.get().cost is None


def test_the_sku_page_maps_once_and_refuses_another_shops_variant(
    ika_shop, ika, ika_client, capsys, citra_shop
):
    kastengel = variant_with_cost(ika_shop, ika, "Kastengel Keju", "KSTG", 40000)
    _product, [foreign] = make_product(citra_shop, name="Kue Citra", stock=1)
    run_import(capsys, ika_shop, ORDERS)
    page = ika_client.get(reverse("books_skus"))
    assert page.status_code == 200 and b"KST-1" in page.content
    refused = ika_client.post(
        reverse("books_skus"), {"key": "sku:KST-1", "variant": foreign.pk}, follow=True
    )
    assert "Pilih produk dari daftar." in refused.content.decode()
    with shop_scope(ika_shop):
        assert not SkuMapping.objects.exists()
    ika_client.post(reverse("books_skus"), {"key": "sku:KST-1", "variant": kastengel.pk})
    assert by_key(ika_shop)["cost_of_goods"] == 40000
    page = ika_client.get(reverse("books_skus"))
    assert b'data-testid="sku-mapping"' in page.content
    assert Decimal(by_key(ika_shop)["cost_of_goods"]) == Decimal(40000)


def test_the_costs_travel_in_the_export_and_nothing_posts_again(ika, ika_shop, capsys, tmp_path):
    kastengel = variant_with_cost(ika_shop, ika, "Kastengel Keju", "KSTG", 40000)
    variant_with_cost(ika_shop, ika, "Nastar Keju Premium", "NST-500", 30000)
    run_import(capsys, ika_shop, ORDERS)
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=kastengel.pk, actor=ika)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    capsys.readouterr()
    assert by_key(fresh) == by_key(ika_shop)
    with shop_scope(fresh):
        assert sorted(ImportedLineCost.objects.values_list("cost", flat=True)) == [40000, 60000]
    assert backfill(shop=fresh) == 0  # the restored costs are what the orders posted
    assert by_key(fresh)["cost_of_goods"] == 100000
