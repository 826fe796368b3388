from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from merdeka.catalog.models import Product, StockLevel, StockMove, Variant
from merdeka.catalog.services import (
    location_save,
    stock_adjust,
    stock_release,
    stock_reserve,
    stock_ship,
)
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError


def variant_rows(rows):
    data = {"variants-TOTAL_FORMS": str(len(rows)), "variants-INITIAL_FORMS": "0",
            "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, row in enumerate(rows):
        data.update({f"variants-{i}-{k}": v for k, v in row.items()})
    return data


def test_a_seller_adds_a_product_with_two_flavours_and_sets_its_stock(ika_client, ika_shop):
    data = {"name": "Kue Sus", "description": "Isi vla", "is_published": "on"}
    data.update(
        variant_rows(
            [
                {
                    "flavour": "Cokelat",
                    "price": "35000",
                    "sku": "SUS-C",
                    "weight_grams": "500",
                    "track_stock": "on",
                },
                {"flavour": "Keju", "price": "38000", "sku": "SUS-K", "track_stock": "on"},
            ]
        )
    )
    response = ika_client.post(reverse("product_add"), data)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        product = Product.objects.get()
        cokelat, keju = product.variants.order_by("position")
    assert (cokelat.flavour, cokelat.price, cokelat.weight_grams) == (
        "Cokelat",
        Decimal(35000),
        500,
    )
    assert keju.sku == "SUS-K" and product.slug == "kue-sus"
    assert response["Location"] == reverse("product_stock", args=[product.pk])
    page = ika_client.get(response["Location"])
    location = page.context["grid"][0]["cells"][0]["location"]
    response = ika_client.post(
        response["Location"],
        {"variant": keju.pk, "location": location.pk, "on_hand": "12", "note": "Baru dipanggang"},
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        assert StockLevel.objects.get(variant=keju).on_hand == 12
        move = StockMove.objects.get(variant=keju)
    assert (move.reason, move.on_hand_change, move.note) == ("adjustment", 12, "Baru dipanggang")
    assert move.actor.username == "ika"
    assert (
        "Baru dipanggang"
        in ika_client.get(reverse("product_stock", args=[product.pk])).content.decode()
    )


def test_a_product_form_with_a_bad_price_saves_nothing(ika_client, ika_shop):
    data = {"name": "Kue", **variant_rows([{"price": "-5"}])}
    response = ika_client.post(reverse("product_add"), data)
    assert response.status_code == 200
    with shop_scope(ika_shop):
        assert Product.objects.count() == 0


def test_two_variants_with_one_sku_are_refused(ika_client, ika_shop):
    data = {"name": "Kue", **variant_rows([{"price": "1000", "sku": "A", "size": "S"},
                                           {"price": "2000", "sku": "A", "size": "M"}])}  # fmt: skip
    response = ika_client.post(reverse("product_add"), data)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    with shop_scope(ika_shop):
        assert Product.objects.count() == 0


def test_editing_keeps_removed_variants_for_old_orders(ika_client, ika_shop, lapis):
    product, variant = lapis
    data = {"name": "Kue Lapis Legit Premium", "is_published": "on"}
    data.update(variant_rows([{"id": str(variant.pk), "price": "90000", "DELETE": "on"},
                              {"size": "Kecil", "price": "45000"}]))  # fmt: skip
    response = ika_client.post(reverse("product_edit", args=[product.pk]), data)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        variant.refresh_from_db()
        assert not variant.is_active
        assert [v.size for v in Variant.objects.filter(product=product, is_active=True)] == [
            "Kecil"
        ]


def test_staff_may_manage_products(rina_client, ika_shop, lapis):
    product, _ = lapis
    assert rina_client.get(reverse("product_edit", args=[product.pk])).status_code == 200
    assert rina_client.get(reverse("storefront_settings")).status_code == 403


def test_stock_cannot_be_set_below_what_is_ordered(ika_shop, lapis, home, english):
    _product, variant = lapis
    stock_reserve(shop=ika_shop, variant=variant, quantity=3)
    with pytest.raises(ServiceError, match="3 are already ordered"):
        stock_adjust(shop=ika_shop, variant=variant, location=home, on_hand=2)
    level = stock_adjust(shop=ika_shop, variant=variant, location=home, change=+4)
    assert (level.on_hand, level.reserved) == (9, 3)


def test_reserved_stock_is_released_or_shipped_with_a_logged_reason(ika_shop, lapis, home):
    _product, variant = lapis
    stock_reserve(shop=ika_shop, variant=variant, quantity=2)
    stock_release(shop=ika_shop, variant_id=variant.pk, location_id=home.pk, quantity=1)
    stock_ship(shop=ika_shop, variant_id=variant.pk, location_id=home.pk, quantity=1)
    with shop_scope(ika_shop):
        level = StockLevel.objects.get(variant=variant)
        reasons = list(StockMove.objects.order_by("id").values_list("reason", flat=True))
    assert (level.on_hand, level.reserved) == (4, 0)
    assert reasons == ["adjustment", "order", "order_cancelled", "order_sent"]


def test_the_database_itself_refuses_an_oversold_level(ika_shop, lapis):
    _product, variant = lapis
    # acting as the stock service (the owner) to reach the database's own check
    with shop_scope(ika_shop), owning(STOCK), pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(reserved=6)  # on hand is 5


def test_online_orders_take_stock_from_the_default_location_first(ika_shop, lapis, home):
    _product, variant = lapis
    gudang = location_save(shop=ika_shop, name="Gudang Cimahi", kind="warehouse",
                           is_default=True, sells_online=True)  # fmt: skip
    stock_adjust(shop=ika_shop, variant=variant, location=gudang, on_hand=2)
    assert stock_reserve(shop=ika_shop, variant=variant, quantity=2).pk == gudang.pk
    assert stock_reserve(shop=ika_shop, variant=variant, quantity=2).pk == home.pk
