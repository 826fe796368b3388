"""Reads of the catalog for the seller. Every read takes ``shop=``."""

from __future__ import annotations

from django.db.models import Count, Min, Prefetch, Sum

from merdeka.catalog.models import (
    Category,
    Product,
    ProductPhoto,
    StockLevel,
    StockLocation,
    StockMove,
    Variant,
)
from merdeka.core.scoping import shop_scope


def product_list(*, shop, query: str = ""):
    with shop_scope(shop):
        products = (
            Product.objects.filter(shop=shop)
            .annotate(
                price_from=Min("variants__price"),
                variant_count=Count("variants", distinct=True),
            )
            .select_related("category")
            .order_by("name", "id")
        )
        if query:
            products = products.filter(name__icontains=query)
        products = list(products)
        stock = dict(
            StockLevel.objects.filter(shop=shop, variant__is_active=True)
            .values("variant__product_id")
            .annotate(available=Sum("on_hand") - Sum("reserved"))
            .values_list("variant__product_id", "available")
        )
        for product in products:
            product.available = stock.get(product.pk)
        return products


def product_get(*, shop, product_id: int) -> Product:
    """The product (404 for another shop's id: the scoped manager never finds it)."""
    with shop_scope(shop):
        return (
            Product.objects.filter(shop=shop)
            .prefetch_related(
                Prefetch(
                    "variants",
                    queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
                ),
                Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id")),
            )
            .get(pk=product_id)
        )


def categories(*, shop) -> list[Category]:
    with shop_scope(shop):
        return list(Category.objects.filter(shop=shop).annotate(product_count=Count("products")))


def locations(*, shop) -> list[StockLocation]:
    with shop_scope(shop):
        return list(StockLocation.objects.filter(shop=shop))


def stock_grid(*, shop, product: Product) -> list[dict]:
    """Per variant: its level in every location of the shop (zeros where none yet)."""
    with shop_scope(shop):
        places = list(StockLocation.objects.filter(shop=shop))
        variants = list(product.variants.all())
        levels = {
            (lv.variant_id, lv.location_id): lv
            for lv in StockLevel.objects.filter(shop=shop, variant__in=variants)
        }
    rows = []
    for variant in variants:
        cells = []
        for place in places:
            level = levels.get((variant.pk, place.pk))
            cells.append(
                {
                    "location": place,
                    "on_hand": level.on_hand if level else 0,
                    "reserved": level.reserved if level else 0,
                }
            )
        rows.append({"variant": variant, "cells": cells})
    return rows


def stock_moves(*, shop, product: Product, limit: int = 50) -> list[StockMove]:
    with shop_scope(shop):
        return list(
            StockMove.objects.filter(shop=shop, variant__product=product)
            .select_related("variant", "location", "actor", "order")
            .order_by("-created_at", "-id")[:limit]
        )
