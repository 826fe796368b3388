"""Receipts and suppliers travel in ``merdeka export``: restored into a new shop, the
receipts come back with their photos (a booked one's onto its restored expense), the
prices, the mappings and the suppliers with their orders."""

from __future__ import annotations

import json

from django.core.management import call_command

from merdeka.books.models import ExpenseReceipt
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.receipts import prices
from merdeka.receipts.models import ItemMapping, PricePoint, Receipt
from merdeka.receipts.tests.world import receipts_world
from merdeka.storefront.tests.conftest import make_product
from merdeka.suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier


def test_receipts_and_suppliers_are_exported_and_restored(ika, ika_shop, tmp_path):
    _product, [variant] = make_product(ika_shop, name="Tepung Kanari", stock=0)
    world = receipts_world(ika_shop, variant)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    assert "purchasing.json" in json.loads((out / "manifest.json").read_text())["files"]
    data = json.loads((out / "purchasing.json").read_text())
    assert len(data["receipts"]) == 5 and all(r["photo"] for r in data["receipts"])

    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    make_product(fresh, name="Tepung Kanari", stock=0)  # her catalogue, set up again
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    with shop_scope(fresh):
        receipts = list(Receipt.objects.filter(shop=fresh).order_by("pk"))
        assert [r.status for r in receipts] == ["booked"] * 4 + ["review"]
        assert all(r.entry_id for r in receipts[:4])
        assert ExpenseReceipt.objects.filter(shop=fresh).count() == 4  # back on their expenses
        assert receipts[4].photo and receipts[4].items.count() == 2
        assert (
            PricePoint.objects.filter(shop=fresh).count()
            == PricePoint.unscoped.filter(shop=ika_shop).count()
        )
        assert ItemMapping.objects.filter(shop=fresh).count() == 0  # none was learned
        [supplier] = Supplier.objects.filter(shop=fresh)
        [order] = PurchaseOrder.objects.filter(shop=fresh)
        [line] = PurchaseOrderLine.objects.filter(shop=fresh)
    assert str(supplier.name) == "Kanari Rahasia Ika" and order.supplier == supplier
    assert (line.quantity, line.received) == (4, 2)
    _label, points = prices.item_history(shop=fresh, item_key=world["item_key"])
    assert [p.unit_price for p in points] == [15_000, 15_500, 15_000, 18_000]
    call_command("import", str(out), "--shop", fresh.slug, "--json")  # again: nothing new
    with shop_scope(fresh):
        assert Receipt.objects.filter(shop=fresh).count() == 5
