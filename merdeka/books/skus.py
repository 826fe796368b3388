"""Imported order lines and the catalog: which variant a line is, and what it cost.

A marketplace's order export names its goods by the seller's SKU ("Nomor Referensi
SKU", "Seller SKU") and the product's name. A line maps to a catalog variant

* by itself, when its SKU is exactly a variant's SKU;
* otherwise as the seller mapped it once (``SkuMapping``: by SKU, or by product and
  variation name when the line has no SKU), on the SKU page; every later import uses
  the mapping too.

A mapped line's units leave the stock when its order's goods left (shipped or
completed), through the stock service (``merdeka.catalog.imported``), once (an order
placed before the variant's stock was first recorded here moves none: those units
were never on this shelf; it is costed at the average like an uncounted variant's): a
re-import moves nothing, a changed mapping moves the units back to the old variant
and out of the new one, a cancelled or returned order brings them back. Its cost of
goods (``ImportedLineCost``) is what the ledger says its units left at (the moving
average when they left): the books add these costs to the order's
(``merdeka.books.orders.orders_read``), so the cost posted is the stock's value that
left. A line whose units left without a known cost stays revenue without HPP (never
guessed). A variant whose stock is not counted moves none: its line is costed at the
variant's average when first costed (None while it has none, costed when it has one).
A mapping changed later moves the lines it names to the new variant and cost; the
orders then post the difference as an adjusting entry (never an edit of a posted
line).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from merdeka.books.models import ImportedLineCost, SkuMapping
from merdeka.books.orders import order_postings_sync
from merdeka.books.profit import shares
from merdeka.catalog.imported import stock_imported_settle, stock_started
from merdeka.catalog.models import Variant
from merdeka.catalog.selectors import variant_costs
from merdeka.core import bulk
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import Order, OrderLine, Status
from merdeka.privacy.audit import audit_record


def line_key(sku: str, name: str, variant: str) -> str:
    """What a line is known by: its SKU, or its product and variation name."""
    sku = (sku or "").strip()
    if sku:
        return f"sku:{sku}"[:250]
    return f"name:{(name or '').strip()}|{(variant or '').strip()}"[:250]


def _imported_lines(shop):
    return OrderLine.objects.filter(
        shop=shop, order__import_file__isnull=False, product_variant__isnull=True
    )


def _lines_of_key(shop, key: str):
    lines = _imported_lines(shop)
    if key.startswith("sku:"):
        return lines.filter(sku=key[4:])
    name, _bar, variant = key[5:].partition("|")
    return lines.filter(sku="", name=name, variant=variant)


def _units_cost(variant_id: int, quantity: int, costs) -> int | None:
    found = costs.get(variant_id)
    average = found.average if found is not None else None
    return None if average is None else average * quantity


# the events that bring imported orders (their lines are new, or changed)
IMPORT_EVENTS = ("order.imported", "order.synced")


def lines_imported(events) -> None:
    """Inline subscriber, before the books post the orders (``books.orders``): the
    imported lines are mapped and costed first, so the order posts its cost of goods
    in the same entry as its revenue."""
    by_shop: dict[int, set[int]] = defaultdict(set)
    for event in events:
        by_shop[event.shop_id].update(event.data.get("order_ids") or [event.data["order_id"]])
    for shop_id, ids in by_shop.items():
        shop = Shop.objects.get(pk=shop_id)
        if _maps_anything(shop):
            line_costs_apply(shop=shop, order_ids=ids)


def _maps_anything(shop) -> bool:
    """Does anything map yet (a variant with a SKU, a learned mapping)? A shop without a
    catalog imports without a look at its lines."""
    with shop_scope(shop):
        return (
            SkuMapping.objects.filter(shop=shop).exists()
            or Variant.objects.filter(shop=shop).exclude(sku="").exists()
        )


def line_costs_apply(*, shop, order_ids=None, lines=None) -> set[int]:
    """Map the imported lines of these orders (or these lines) that have no cost yet to
    their variants and cost them; returns the orders whose cost changed. Set-wise: a few
    queries per chunk of orders. Call inside the transaction that posts the orders."""
    changed: set[int] = set()
    with shop_scope(shop):
        if lines is None:
            costed = ImportedLineCost.objects.filter(shop=shop, cost__isnull=False)
            found = []
            for part in bulk.chunks(sorted(set(order_ids or ()))):
                found.extend(
                    _imported_lines(shop)
                    .filter(order_id__in=part)
                    .exclude(pk__in=costed.values("line_id"))
                    .values_list("pk", "order_id", "sku", "name", "variant", "quantity")
                )
            lines = found
        if lines:
            changed |= _lines_map(shop, lines)
        changed |= _stock_follow(shop, order_ids or {line[1] for line in lines})
    return changed


def _lines_map(shop, lines) -> set[int]:
    """Map these lines ``(pk, order id, sku, name, variation, quantity)`` to their
    variants, as learned or by an exact SKU; the orders whose lines changed."""
    keys = {line_key(sku, name, var) for _pk, _o, sku, name, var, _q in lines}
    learned = dict(
        SkuMapping.objects.filter(shop=shop, key__in=list(keys)).values_list("key", "variant_id")
    )
    skus = {key[4:] for key in keys if key.startswith("sku:") and key not in learned}
    exact = dict(Variant.objects.filter(shop=shop, sku__in=list(skus)).values_list("sku", "pk"))
    wanted = {}
    for pk, order_id, sku, name, var, quantity in lines:
        key = line_key(sku, name, var)
        variant_id = learned.get(key) or exact.get(key[4:] if key.startswith("sku:") else "")
        if variant_id is not None:
            wanted[pk] = (order_id, variant_id, quantity)
    return _costs_write(shop, wanted)


def _costs_write(shop, wanted: dict[int, tuple[int, int, int]]) -> set[int]:
    """Write each line's variant, and the cost of one whose variant's stock is not
    counted (as of now; a counted one's follows its stock: ``_stock_follow``); the
    orders whose lines moved."""
    costs = variant_costs(shop=shop, variant_ids={v for _o, v, _q in wanted.values()})
    counted = _counted(shop, {v for _o, v, _q in wanted.values()})
    have = {
        row.line_id: row
        for part in bulk.chunks(sorted(wanted))
        for row in ImportedLineCost.objects.filter(shop=shop, line_id__in=part)
    }
    fresh, moved, changed = [], [], set()
    for line_id, (order_id, variant_id, quantity) in wanted.items():
        cost = None if variant_id in counted else _units_cost(variant_id, quantity, costs)
        row = have.get(line_id)
        if row is None:
            fresh.append(
                ImportedLineCost(
                    shop=shop, line_id=line_id, order_id=order_id, variant_id=variant_id, cost=cost
                )
            )
        elif row.variant_id != variant_id or (row.cost is None and variant_id not in counted):
            row.variant_id, row.cost = variant_id, cost
            moved.append(row)
        else:
            continue
        if cost is not None or row is not None:
            changed.add(order_id)
    ImportedLineCost.objects.bulk_create(fresh)
    ImportedLineCost.objects.bulk_update(moved, ["variant", "cost"])
    return changed


def _counted(shop, variant_ids) -> set[int]:
    """The variants whose stock is counted (their units move with imported orders)."""
    return set(
        Variant.objects.filter(shop=shop, pk__in=sorted(variant_ids), track_stock=True).values_list(
            "pk", flat=True
        )
    )


# an imported order's goods left the shelf: shipped, or with the buyer
GOODS_LEFT = frozenset({Status.SHIPPED, Status.COMPLETED})


def _stock_follow(shop, order_ids) -> set[int]:
    """The stock of these imported orders' mapped lines follows the orders (their units
    left when the goods did, and come back when cancelled, returned or mapped
    elsewhere), and each such line's cost is what its units left at; the orders whose
    cost moved."""
    rows = []
    for part in bulk.chunks(sorted(set(order_ids))):
        rows.extend(
            ImportedLineCost.objects.filter(shop=shop, order_id__in=part).values_list(
                "pk", "order_id", "variant_id", "line__quantity", "cost"
            )
        )
    if not rows:
        return set()
    ids = sorted({row[1] for row in rows})
    status, ordered = {}, {}
    for part in bulk.chunks(ids):
        for pk, state, at in Order.objects.filter(shop=shop, pk__in=part).values_list(
            "pk", "status", "ordered_at"
        ):
            status[pk], ordered[pk] = state, at
    counted = _counted(shop, {row[2] for row in rows if row[2]})
    started = stock_started(shop=shop, variant_ids=counted)
    wanted: dict[int, dict[int, int]] = {order_id: {} for order_id in ids}
    mine: dict[tuple[int, int], list] = defaultdict(list)
    earlier: list[tuple] = []
    for pk, order_id, variant_id, quantity, cost in rows:
        if variant_id in counted and (
            started.get(variant_id) is None or ordered[order_id] < started[variant_id]
        ):
            # sold before this variant's stock was first recorded here (a year of history
            # imported after the opening count): its units were never on this shelf, so
            # none leave it; the line is costed at the average, as an uncounted one is
            earlier.append((pk, order_id, variant_id, quantity, cost))
        elif variant_id in counted:
            mine[(order_id, variant_id)].append((pk, quantity, cost))
            if status.get(order_id) in GOODS_LEFT:
                units = wanted[order_id].get(variant_id, 0) + quantity
                wanted[order_id][variant_id] = units
    sent = stock_imported_settle(shop=shop, wanted=wanted)
    moved, changed = [], set()
    for (order_id, variant_id), lines in mine.items():
        left = sent.get(order_id, {}).get(variant_id)
        known = left is not None and (left.value or left.missing < left.units)
        parts = shares(left.value, [q for _pk, q, _c in lines]) if known else [None] * len(lines)
        for (pk, _quantity, cost), part in zip(lines, parts, strict=True):
            if part != cost:
                moved.append(ImportedLineCost(pk=pk, shop=shop, cost=part))
                changed.add(order_id)
    costs = variant_costs(shop=shop, variant_ids={row[2] for row in earlier})
    for pk, order_id, variant_id, quantity, cost in earlier:
        if cost is None and (part := _units_cost(variant_id, quantity, costs)) is not None:
            moved.append(ImportedLineCost(pk=pk, shop=shop, cost=part))
            changed.add(order_id)
    ImportedLineCost.objects.bulk_update(moved, ["cost"])
    return changed


def sku_map(*, shop, key: str, variant_id: int, actor=None, request=None) -> set[int]:
    """The seller maps what imported lines call ``key`` to a variant (or changes the
    variant it maps to): the mapping is kept for later imports, the lines it names are
    costed anew, and their orders post the difference. Returns those orders."""
    if not key.startswith(("sku:", "name:")):
        raise ServiceError(_("Choose a product from the list."))
    with transaction.atomic(), shop_scope(shop):
        variant = Variant.objects.filter(shop=shop, pk=variant_id).select_related("product").first()
        if variant is None:
            raise ServiceError(_("Choose a product from the list."))
        lines = list(
            _lines_of_key(shop, key).values_list(
                "pk", "order_id", "sku", "name", "variant", "quantity"
            )
        )
        label = key[4:] if key.startswith("sku:") else key[5:].replace("|", " ").strip()
        mapping, created = SkuMapping.objects.update_or_create(
            shop=shop,
            key=key,
            defaults={"variant": variant, "label": label[:300], "created_by": actor},
        )
        wanted = {pk: (order_id, variant.pk, qty) for pk, order_id, _s, _n, _v, qty in lines}
        orders = _costs_write(shop, wanted)
        orders |= _stock_follow(shop, {order_id for _pk, order_id, *_rest in lines})
        order_postings_sync(shop=shop, order_ids=orders)
        audit_record(
            action="books.sku_mapped",
            shop=shop,
            actor=actor,
            target=mapping,
            request=request,
            detail={"new": created, "lines": len(lines), "orders": len(orders)},
        )
    return orders


def unmapped(*, shop, limit: int = 100) -> list[dict]:
    """What imported lines are called that maps to no variant yet, most sold first."""
    with shop_scope(shop):
        lines = _imported_lines(shop).exclude(
            pk__in=ImportedLineCost.objects.filter(shop=shop).values("line_id")
        )
        by_sku = (
            lines.exclude(sku="")
            .values("sku")
            .annotate(name=Max("name"), units=Sum("quantity"), orders=Count("order", distinct=True))
            .order_by("-units", "sku")[:limit]
        )
        by_name = (
            lines.filter(sku="")
            .values("name", "variant")
            .annotate(units=Sum("quantity"), orders=Count("order", distinct=True))
            .order_by("-units", "name")[:limit]
        )
        found = [{**row, "key": line_key(row["sku"], "", ""), "variant": ""} for row in by_sku]
        found += [
            {**row, "sku": "", "key": line_key("", row["name"], row["variant"])} for row in by_name
        ]
    return sorted(found, key=lambda row: -row["units"])[:limit]


def mappings(*, shop) -> list[SkuMapping]:
    with shop_scope(shop):
        return list(
            SkuMapping.objects.filter(shop=shop)
            .select_related("variant__product")
            .order_by("label", "pk")
        )


def variant_choices(*, shop) -> list[tuple[int, str]]:
    with shop_scope(shop):
        return [
            (variant.pk, f"{variant}{f' ({variant.sku})' if variant.sku else ''}")
            for variant in Variant.objects.filter(shop=shop)
            .select_related("product")
            .order_by("product__name", "pk")
        ]


def without_mapping(*, shop) -> bool:
    """Are there imported lines that map to no variant?"""
    with shop_scope(shop):
        return (
            _imported_lines(shop)
            .exclude(pk__in=ImportedLineCost.objects.filter(shop=shop).values("line_id"))
            .filter(~Q(name=""))
            .exists()
        )
