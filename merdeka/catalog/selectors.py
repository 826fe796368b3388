"""Reads of the catalog for the seller. Every read takes ``shop=``."""

from __future__ import annotations

from django.db.models import Count, Min, Prefetch, Sum

from merdeka.catalog.costing import value_moved
from merdeka.catalog.models import (
    Category,
    Product,
    ProductPhoto,
    StockCost,
    StockLevel,
    StockLocation,
    StockMove,
    Variant,
)
from merdeka.core import rawsql
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


def stock_held_for_orders(*, shop, order_ids) -> dict[int, list[tuple[int, int, int]]]:
    """What the stock ledger says is still reserved for each order: ``order id ->
    [(variant id, location id, quantity)]``, its reservations minus what was already
    shipped or released (the ledger decides, never the order's lines)."""
    held: dict[int, list[tuple[int, int, int]]] = {}
    ids = list(order_ids)
    if not ids:
        return held
    with shop_scope(shop):
        rows = (
            StockMove.objects.filter(shop=shop, order_id__in=ids)
            .values("order_id", "variant_id", "location_id")
            .annotate(held=Sum("reserved_change"))
            .order_by("order_id", "variant_id", "location_id")
        )
        for row in rows:
            if row["held"] > 0:
                held.setdefault(row["order_id"], []).append(
                    (row["variant_id"], row["location_id"], row["held"])
                )
    return held


def _sellable_sql(count: int) -> str:
    return (
        f'SELECT v.*, p."name" AS "_product_name", '  # noqa: S608 - our own names
        f'(SELECT COALESCE(SUM(l."on_hand" - l."reserved"), 0) FROM "{StockLevel._meta.db_table}" l'
        f' JOIN "{StockLocation._meta.db_table}" loc ON loc."id" = l."location_id"'
        ' WHERE l."shop_id" = v."shop_id" AND l."variant_id" = v."id" AND loc."sells_online")'
        ' AS "_available" '
        f'FROM "{Variant._meta.db_table}" v JOIN "{Product._meta.db_table}" p'
        ' ON p."id" = v."product_id" AND p."shop_id" = v."shop_id" '
        'WHERE v."shop_id" = %s AND v."id" IN ({}) AND v."is_active" AND p."is_published"'.format(
            ", ".join(["%s"] * count)
        )
    )


def variants_on_sale(*, shop, variant_ids) -> tuple[dict[int, Variant], dict[int, int]]:
    """The variants among ``variant_ids`` that are sold online now, with their
    product's name loaded, and the units the locations that sell online have free:
    ``({id: variant}, {id: units free})``. One raw query (the checkout's hot path:
    building the ORM's query costs more than running it)."""
    ids = sorted(variant_ids)
    variants: dict[int, Variant] = {}
    available: dict[int, int] = {}
    if not ids:
        return variants, available
    with shop_scope(shop):
        found = rawsql.raw(Variant, _sellable_sql(len(ids)), [shop.pk, *ids], shop_id=shop.pk)
        for variant in found:
            # the product as a deferred instance: its name is here, the rest loads if asked
            variant.product = Product.from_db(
                variant._state.db,
                ["id", "shop_id", "name"],
                [variant.product_id, variant.shop_id, variant._product_name],
            )
            variants[variant.pk] = variant
            available[variant.pk] = int(variant._available)
    return variants, available


# -- what stock cost ------------------------------------------------------------------


def order_goods_costs(
    *, shop, order_ids=(), id_range: tuple[int, int] | None = None
) -> dict[int, dict[int, tuple[int, int, int]]]:
    """What the goods that left for each order cost, from the stock ledger: ``order id
    -> {variant id: (units sent, their cost in rupiah, units sent without a cost)}``;
    of ``order_ids``, or of every order whose id is in ``id_range`` (both ends
    included: a batch read without a list of thousands of ids to send)."""
    found: dict[int, dict[int, tuple[int, int, int]]] = {}
    ids = list(order_ids)
    if id_range is not None:
        which = {"order_id__gte": id_range[0], "order_id__lte": id_range[1]}
    elif ids:
        which = {"order_id__in": ids}
    else:
        return found
    with shop_scope(shop):
        rows = (
            StockMove.objects.filter(shop=shop, reason=StockMove.Reason.ORDER_SENT, **which)
            .values("order_id", "variant_id")
            .annotate(
                units=Sum("on_hand_change"), value=Sum("value_change"), missing=Sum("cost_missing")
            )
            .order_by()
        )
        for row in rows:
            found.setdefault(row["order_id"], {})[row["variant_id"]] = (
                -row["units"],
                -row["value"],
                row["missing"],
            )
    return found


def variant_costs(*, shop, variant_ids) -> dict[int, StockCost]:
    """Each variant's cost row (absent: no unit of it ever had a cost)."""
    with shop_scope(shop):
        return {
            cost.variant_id: cost
            for cost in StockCost.objects.filter(shop=shop, variant_id__in=list(variant_ids))
        }


def count_sheet(*, shop, location: StockLocation, counts: dict[int, int] | None = None):
    """Stok opname: every counted variant's units in ``location`` and, for the units
    counted (``counts``), the difference and what it is worth at the moving average
    cost (None where no unit has a cost): what confirming the count would post."""
    counts = counts or {}
    with shop_scope(shop):
        variants = list(
            Variant.objects.filter(shop=shop, is_active=True, track_stock=True)
            .select_related("product")
            .order_by("product__name", "position", "id")
        )
        here = dict(
            StockLevel.objects.filter(shop=shop, location=location).values_list(
                "variant_id", "on_hand"
            )
        )
        totals = dict(
            StockLevel.objects.filter(shop=shop)
            .values("variant_id")
            .annotate(n=Sum("on_hand"))
            .values_list("variant_id", "n")
        )
    costs = variant_costs(shop=shop, variant_ids=[v.pk for v in variants])
    rows = []
    for variant in variants:
        on_hand = here.get(variant.pk, 0)
        counted = counts.get(variant.pk)
        row = {
            "variant": variant,
            "on_hand": on_hand,
            "counted": counted,
            "difference": None,
            "value": None,
            "average": costs[variant.pk].average if variant.pk in costs else None,
        }
        if counted is not None:
            cost = costs.get(variant.pk)
            moved = value_moved(
                quantity=cost.quantity if cost else 0,
                value=cost.value if cost else 0,
                on_hand_before=totals.get(variant.pk, 0),
                delta=counted - on_hand,
            )
            row["difference"] = counted - on_hand
            row["value"] = moved.value_change
            row["missing"] = moved.missing
        rows.append(row)
    return rows


def units_without_cost(*, shop, variants) -> list[dict]:
    """Per variant: its units on hand (every location), those whose cost is known, and
    those without one (what an opening value would price)."""
    ids = [v.pk for v in variants]
    with shop_scope(shop):
        totals = dict(
            StockLevel.objects.filter(shop=shop, variant_id__in=ids)
            .values("variant_id")
            .annotate(n=Sum("on_hand"))
            .values_list("variant_id", "n")
        )
    costs = variant_costs(shop=shop, variant_ids=ids)
    rows = []
    for variant in variants:
        cost = costs.get(variant.pk)
        on_hand = totals.get(variant.pk) or 0
        costed = cost.quantity if cost else 0
        rows.append(
            {
                "variant": variant,
                "on_hand": on_hand,
                "costed": costed,
                "without": max(0, on_hand - costed),
                "average": cost.average if cost else None,
            }
        )
    return rows
