"""What a seller reads about stock: the place at home is "Rumah", and the history
says what the count was before and after each change."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.urls import reverse
from django.utils import translation

from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockLocation
from merdeka.catalog.services import stock_adjust


def test_the_stock_place_at_home_is_called_rumah_not_a_home_page(ika_shop):
    with translation.override("id"):
        home = catalog.location_default(shop=ika_shop)
    assert home.name == "Rumah"


def test_a_home_location_once_named_beranda_is_renamed_rumah(ika_shop, citra_shop, in_shop):
    home = catalog.location_default(shop=ika_shop)
    with in_shop(ika_shop):
        StockLocation.objects.filter(pk=home.pk).update(name="Beranda")
    citra_home = catalog.location_default(shop=citra_shop)
    with in_shop(citra_shop):
        StockLocation.objects.filter(pk=citra_home.pk).update(name="Beranda")
        # Citra already has a place called Rumah: her home keeps its name (no clash)
        StockLocation.objects.create(shop=citra_shop, name="Rumah", kind="warehouse")
    migration = importlib.import_module("merdeka.catalog.migrations.0004_home_location_is_rumah")
    migration.rename(apps, None)
    home.refresh_from_db()
    citra_home.refresh_from_db()
    assert (home.name, citra_home.name) == ("Rumah", "Beranda")


def test_the_stock_history_shows_the_count_before_and_after_each_change(
    ika_client, ika_shop, lapis, home
):
    product, variant = lapis
    stock_adjust(shop=ika_shop, variant=variant, location=home, on_hand=8)
    stock_adjust(shop=ika_shop, variant=variant, location=home, on_hand=5, note="dimakan")
    page = ika_client.get(reverse("product_stock", args=[product.pk]))
    text = page.content.decode()
    assert "Stok: 8 → 5 (\u22123)" in text
    assert page.context["moves"][0].on_hand_before == 8
