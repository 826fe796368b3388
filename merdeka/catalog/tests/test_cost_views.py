"""What stock costs, on the seller's pages: buying stock, the opening value, stok
opname (the differences and their value shown before anything is saved), and the
gross profit in the books."""

from __future__ import annotations

import re

from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.tests.test_costs import sell
from merdeka.books.tests.test_orders import by_key
from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockCost, StockLevel, StockMove
from merdeka.core.scoping import shop_scope


def test_the_seller_buys_stock_from_the_stock_page_once_per_tap(ika_client, ika_shop, lapis):
    product, variant = lapis
    page = ika_client.get(reverse("product_stock", args=[product.pk])).content.decode()
    assert reverse("stock_purchase", args=[product.pk]) in page
    url = reverse("stock_purchase", args=[product.pk])
    form = ika_client.get(url).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', form).group(1)
    bank = accounts_by_key(shop=ika_shop, keys=["bank"])["bank"]
    data = {
        "key": key,
        "variant": variant.pk,
        "location": catalog.location_default(shop=ika_shop).pk,
        "quantity": "10",
        "unit_cost": "Rp42.500",
        "paid_from": bank,
        "note": "Toko bahan Sinar",
    }
    assert ika_client.post(url, data).status_code == 302
    assert ika_client.post(url, data).status_code == 302  # the same tap again
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).on_hand == 5 + 10
        move = StockMove.objects.get(reason=StockMove.Reason.PURCHASE)
    assert (move.unit_cost, move.value_change) == (42500, 425000)
    assert by_key(ika_shop) == {"inventory": 425000, "bank": -425000}
    page = ika_client.get(reverse("product_stock", args=[product.pk])).content.decode()
    assert "Pembelian stok" in page


def test_a_bad_price_is_refused_with_a_message_and_buys_nothing(ika_client, ika_shop, lapis):
    product, variant = lapis
    url = reverse("stock_purchase", args=[product.pk])
    response = ika_client.post(
        url,
        {
            "key": "k",
            "variant": variant.pk,
            "location": catalog.location_default(shop=ika_shop).pk,
            "quantity": "3",
            "unit_cost": "dua ribu",
            "paid_from": accounts_by_key(shop=ika_shop, keys=["cash"])["cash"],
        },
    )
    assert response.status_code == 200
    assert "rupiah" in response.content.decode()
    with shop_scope(ika_shop):
        assert not StockMove.objects.filter(reason=StockMove.Reason.PURCHASE).exists()


def test_the_owner_gives_the_stock_on_the_shelf_its_opening_value(ika_client, ika_shop, lapis):
    product, variant = lapis
    url = reverse("stock_opening_value", args=[product.pk])
    assert "5 stok, 5 tanpa harga pokok" in ika_client.get(url).content.decode()
    response = ika_client.post(url, {"variant": variant.pk, "unit_cost": "40.000"})
    assert response.status_code == 302
    assert by_key(ika_shop) == {"inventory": 200000, "capital": 200000}
    again = ika_client.post(url, {"variant": variant.pk, "unit_cost": "40.000"})
    assert "sudah punya harga pokok" in again.content.decode()


def test_staff_buy_and_count_stock_but_do_not_set_the_opening_value(rina_client, lapis):
    product, _variant = lapis
    assert rina_client.get(reverse("stock_purchase", args=[product.pk])).status_code == 200
    assert rina_client.get(reverse("stock_count")).status_code == 200
    assert rina_client.get(reverse("stock_opening_value", args=[product.pk])).status_code == 403


def test_a_count_shows_its_differences_and_value_before_it_is_saved(ika_client, ika_shop, lapis):
    _product, variant = lapis
    home = catalog.location_default(shop=ika_shop)
    catalog.stock_opening_value(shop=ika_shop, variant=variant, unit_cost=40000)
    url = reverse("stock_count")
    check = ika_client.post(
        url, {"location": home.pk, f"count-{variant.pk}": "3", "step": "check"}
    ).content.decode()
    assert "5 → 3" in check and "Rp80.000" in check
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).on_hand == 5  # nothing saved yet
    response = ika_client.post(
        url, {"location": home.pk, f"count-{variant.pk}": "3", "step": "confirm"}
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=variant).on_hand == 3
        assert StockCost.objects.get(variant=variant).value == 120000
    assert by_key(ika_shop)["stock_difference"] == 80000
    bad = ika_client.post(url, {"location": home.pk, f"count-{variant.pk}": "-1"})
    assert "bilangan bulat" in bad.content.decode()


def test_the_owner_sees_gross_profit_per_product_and_channel(ika_client, ika_shop, ika, lapis):
    _product, variant = lapis
    catalog.stock_opening_value(shop=ika_shop, variant=variant, unit_cost=40000)
    sell(ika_shop, ika, variant, 2, "a", price=85000)
    report = ika_client.get(reverse("books_report")).content.decode()
    assert reverse("books_gross_profit") in report
    page = ika_client.get(reverse("books_gross_profit")).content.decode()
    assert "Kue Lapis Legit" in page and "Manual" in page
    assert "Rp90.000" in page  # 170.000 - 2 x 40.000
    assert "(53%)" in page
